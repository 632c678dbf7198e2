import { getContext, setContext } from 'svelte';
import type { LiveHub } from './live/live-hub.svelte.js';
import type { Router } from './router.svelte.js';
import type { Session } from './session.svelte.js';

/** What every page needs, handed down through Svelte context (no module singletons). */
export interface AppContext {
  session: Session;
  router: Router;
  /** The live transport of the current session; replaced when the token changes. */
  hub: () => LiveHub;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined;
}

const KEY = Symbol('minefleet-app');

export function provideApp(app: AppContext): void {
  setContext(KEY, app);
}

export function useApp(): AppContext {
  const app = getContext<AppContext | undefined>(KEY);
  if (!app) throw new Error('useApp() outside the dashboard app');
  return app;
}

export function appContextMap(app: AppContext): Map<symbol, AppContext> {
  return new Map([[KEY, app]]);
}
