import { call, type Api } from '../api.js';

/** Players of a server: online list, whitelist, operators, kicks and bans, through the typed client. */

export interface BanInput {
  reason?: string;
  /** A duration from now (`1h`, `7d`); empty for a permanent ban. */
  expires_in?: string;
}

const end = (input: BanInput) => ({
  ...(input.reason ? { reason: input.reason } : {}),
  ...(input.expires_in ? { expires_in: input.expires_in } : {}),
});

export const playersApi = {
  online: (api: Api, id: string) =>
    call(api.client.GET('/api/v1/servers/{id}/players', { params: { path: { id } } })),
  lists: (api: Api, id: string) =>
    call(api.client.GET('/api/v1/servers/{id}/players/lists', { params: { path: { id } } })),
  setWhitelist: (api: Api, id: string, enabled: boolean) =>
    call(
      api.client.PUT('/api/v1/servers/{id}/players/whitelist', {
        params: { path: { id } },
        body: { enabled },
      }),
    ),
  whitelistAdd: (api: Api, id: string, name: string) =>
    call(
      api.client.POST('/api/v1/servers/{id}/players/whitelist', { params: { path: { id } }, body: { name } }),
    ),
  whitelistRemove: (api: Api, id: string, name: string) =>
    call(
      api.client.DELETE('/api/v1/servers/{id}/players/whitelist/{name}', { params: { path: { id, name } } }),
    ),
  op: (api: Api, id: string, name: string, level: number) =>
    call(
      api.client.POST('/api/v1/servers/{id}/players/ops', {
        params: { path: { id } },
        body: { name, level },
      }),
    ),
  deop: (api: Api, id: string, name: string) =>
    call(api.client.DELETE('/api/v1/servers/{id}/players/ops/{name}', { params: { path: { id, name } } })),
  kick: (api: Api, id: string, name: string, reason?: string) =>
    call(
      api.client.POST('/api/v1/servers/{id}/players/kick', {
        params: { path: { id } },
        body: { name, ...(reason ? { reason } : {}) },
      }),
    ),
  ban: (api: Api, id: string, name: string, input: BanInput) =>
    call(
      api.client.POST('/api/v1/servers/{id}/players/bans', {
        params: { path: { id } },
        body: { name, ...end(input) },
      }),
    ),
  pardon: (api: Api, id: string, name: string) =>
    call(api.client.DELETE('/api/v1/servers/{id}/players/bans/{name}', { params: { path: { id, name } } })),
  banIp: (api: Api, id: string, ip: string, input: BanInput) =>
    call(
      api.client.POST('/api/v1/servers/{id}/players/ip-bans', {
        params: { path: { id } },
        body: { ip, ...end(input) },
      }),
    ),
  pardonIp: (api: Api, id: string, ip: string) =>
    call(api.client.DELETE('/api/v1/servers/{id}/players/ip-bans/{ip}', { params: { path: { id, ip } } })),
};

export type OnlinePlayer = Awaited<ReturnType<typeof playersApi.online>>['players'][number];
export type PlayerLists = Awaited<ReturnType<typeof playersApi.lists>>;
export type PlayerChange = Awaited<ReturnType<typeof playersApi.kick>>;

/** How the answer says a change took effect, in words. */
export function appliedText(change: PlayerChange): string {
  if (change.applied === 'live') return 'applied by the running server';
  if (change.applied === 'sent') return 'sent to the running server';
  return 'saved; in force when the server starts';
}
