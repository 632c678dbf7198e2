import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { LiveHub } from './lib/live/live-hub.svelte.js';
import { Router } from './lib/router.svelte.js';
import { Session } from './lib/session.svelte.js';

const storage = (() => {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage disabled: sessions last until reload
  }
})();

const session = new Session(storage, window.location.origin);
const router = new Router(window);
const wsUrl = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/api/v1/ws`;

let hub: LiveHub | undefined;
let hubToken: string | undefined;
/** One live transport per session token: a new token (sign-in, tenant switch) needs a new socket. */
function currentHub(): LiveHub {
  if (!hub || hubToken !== session.token) {
    hub?.close();
    hubToken = session.token;
    hub = new LiveHub({
      wsUrl,
      streamUrl: (id) => session.api.url(`/servers/${encodeURIComponent(id)}/console/stream`),
      token: () => session.token,
    });
  }
  return hub;
}

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');
router.interceptLinks(document.body);
mount(App, { target, props: { app: { session, router, hub: currentHub, storage } } });
