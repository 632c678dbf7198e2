/**
 * A small History-API router: the control plane answers every non-API path with index.html, so deep
 * links (/servers/<id>/console) work on reload. Routes are a closed union, matched by one function.
 */
export type ServerTab =
  'overview' | 'console' | 'logs' | 'players' | 'settings' | 'files' | 'plugins' | 'backups';
export const SERVER_TABS: readonly ServerTab[] = [
  'overview',
  'console',
  'logs',
  'players',
  'settings',
  'files',
  'plugins',
  'backups',
];

export type Route =
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'servers' }
  | { name: 'create-server' }
  | { name: 'server'; id: string; tab: ServerTab }
  | { name: 'api-keys' }
  | { name: 'members' }
  | { name: 'team-settings' }
  | { name: 'backups' }
  | { name: 'activity' }
  | { name: 'plugin-review' }
  | { name: 'account' }
  | { name: 'verify-email' }
  | { name: 'forgot-password' }
  | { name: 'reset-password' }
  | { name: 'sso' }
  | { name: 'not-found'; path: string };

/** Pages that work signed in or not (they carry their own proof: a mailed token). */
export const OPEN_ROUTES: readonly Route['name'][] = [
  'verify-email',
  'reset-password',
  'forgot-password',
  'sso',
];

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/servers') return { name: 'servers' };
  if (path === '/login') return { name: 'login' };
  if (path === '/signup') return { name: 'signup' };
  if (path === '/servers/new') return { name: 'create-server' };
  if (path === '/api-keys') return { name: 'api-keys' };
  if (path === '/members') return { name: 'members' };
  if (path === '/team') return { name: 'team-settings' };
  if (path === '/backups') return { name: 'backups' };
  if (path === '/activity') return { name: 'activity' };
  if (path === '/admin/plugins') return { name: 'plugin-review' };
  if (path === '/account') return { name: 'account' };
  if (path === '/verify-email') return { name: 'verify-email' };
  if (path === '/forgot-password') return { name: 'forgot-password' };
  if (path === '/reset-password') return { name: 'reset-password' };
  if (path === '/sso') return { name: 'sso' };
  const server = /^\/servers\/([0-9a-fA-F-]{36})(?:\/([a-z]+))?$/.exec(path);
  if (server) {
    const tab = (server[2] ?? 'overview') as ServerTab;
    if (SERVER_TABS.includes(tab)) return { name: 'server', id: server[1]!, tab };
  }
  return { name: 'not-found', path };
}

export class Router {
  route = $state<Route>({ name: 'servers' });
  path = $state('/');
  /** The query string (with its `?`, or ''): a page's own state, such as the Files tab's folder. */
  search = $state('');

  constructor(private readonly win: Window | undefined) {
    if (win) {
      this.path = win.location.pathname;
      this.search = win.location.search;
      this.route = matchRoute(this.path);
      win.addEventListener('popstate', () => this.sync());
    }
  }

  /**
   * Goes to `to` (a path with an optional query). `keepFocus`: a change within the page (such as the
   * folder shown), so focus stays where it is instead of moving to the page's heading.
   */
  navigate(to: string, options: { replace?: boolean; keepFocus?: boolean } = {}) {
    if (this.win) {
      if (to === this.win.location.pathname + this.win.location.search) return;
      if (options.replace) this.win.history.replaceState(null, '', to);
      else this.win.history.pushState(null, '', to);
      this.sync();
      // Move focus to the page's heading for screen readers, like a full page load would.
      if (!options.keepFocus)
        queueMicrotask(() => this.win?.document.querySelector<HTMLElement>('main h1')?.focus());
    } else {
      const query = to.indexOf('?');
      this.path = query < 0 ? to : to.slice(0, query);
      this.search = query < 0 ? '' : to.slice(query);
      this.route = matchRoute(this.path);
    }
  }

  /** Handles clicks on same-origin links so they navigate without a page load. */
  interceptLinks(root: HTMLElement) {
    root.addEventListener('click', (event) => {
      if (event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const anchor = (event.target as Element | null)?.closest?.('a');
      if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
      const url = new URL(anchor.href, this.win?.location.href);
      if (url.origin !== this.win?.location.origin || url.pathname.startsWith('/api/')) return;
      event.preventDefault();
      this.navigate(url.pathname + url.search);
    });
  }

  private sync() {
    if (!this.win) return;
    this.path = this.win.location.pathname;
    this.search = this.win.location.search;
    this.route = matchRoute(this.path);
  }
}
