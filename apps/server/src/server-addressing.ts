// Where players connect to a server, as its `address` in the API says. On the local runtime each game
// server has a port of this host (MINEFLEET_GAME_HOST). On Kubernetes a game server has no address
// players can reach (its pod's is inside the cluster): they connect through the gateway by the server's
// hostname, `<server>.<tenant slug>.<MINEFLEET_GAME_DOMAIN>`, on the gateway's port; without a gateway
// and a game domain there is no address to give, and it is null.
import type { Database } from '@minefleet/db/database';
import { GatewayStore } from '@minefleet/services/gateway/gateway-store';
import type { ServerRecord } from '@minefleet/services/servers';
import type { Config } from './config.js';
import type { ServerAddressing, ServerView } from './http/serializers.js';

export function createServerAddressing(config: Config, database: Database): ServerAddressing {
  const runtime = config.runtimeKind;
  if (runtime === 'local') {
    const view: ServerView = {
      runtime,
      address: (s) => (s.port ? { host: config.gameHost, port: s.port } : null),
    };
    return { view: () => Promise.resolve(view) };
  }
  const gateway = config.gateway;
  const domain = gateway && (gateway.enabled || gateway.external) ? gateway.gameDomain : '';
  if (!domain) {
    const view: ServerView = { runtime, address: () => null };
    return { view: () => Promise.resolve(view) };
  }
  // A tenant's slug is given once and never changes: each is read once per process.
  const store = new GatewayStore(database);
  const slugs = new Map<string, Promise<string>>();
  const slugOf = (tenantId: string) => {
    let slug = slugs.get(tenantId);
    if (!slug) {
      slug = store.slug(tenantId);
      slugs.set(tenantId, slug);
      slug.catch(() => slugs.delete(tenantId));
    }
    return slug;
  };
  return {
    async view(servers) {
      const tenants = [...new Set(servers.map((s) => s.tenantId))];
      const known = new Map(await Promise.all(tenants.map(async (t) => [t, await slugOf(t)] as const)));
      return {
        runtime,
        address: (s: ServerRecord) => {
          const slug = known.get(s.tenantId);
          return slug ? { host: `${s.name}.${slug}.${domain}`, port: gateway!.port } : null;
        },
      };
    },
  };
}
