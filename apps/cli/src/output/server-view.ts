import type { Server } from '@minefleet/api-client/client';
import { show } from './format.js';
import { styleStatus } from './status.js';
import type { Style } from './style.js';
import { renderFields, renderTable } from './table.js';
import { formatAge } from './time.js';

export function addressOf(server: Server): string {
  return server.address ? `${server.address.host}:${server.address.port}` : '-';
}

function players(server: Server): string {
  return server.players_online === null ? '-' : `${server.players_online}/${server.max_players}`;
}

export function serverTable(servers: readonly Server[], style: Style): string {
  return renderTable(
    servers,
    [
      { header: 'NAME', value: (s) => s.name },
      { header: 'STATUS', value: (s) => s.status, style: (t, s) => styleStatus(s.status, style)(t) },
      { header: 'VERSION', value: (s) => `${s.distribution} ${s.minecraft_version}` },
      { header: 'ADDRESS', value: addressOf },
      { header: 'PLAYERS', value: players, align: 'right' },
      { header: 'PLAN', value: (s) => s.sku_id },
      { header: 'AGE', value: (s) => formatAge(s.created_at), align: 'right' },
      { header: 'ID', value: (s) => s.id },
    ],
    style,
  );
}

export function serverFields(server: Server, style: Style): string {
  const status = styleStatus(server.status, style)(server.status);
  return renderFields(
    [
      ['Name', server.name],
      ['ID', server.id],
      ['Status', server.status_reason ? `${status} (${server.status_reason})` : status],
      ['Desired state', server.desired_state],
      ['Software', `${server.distribution} ${server.minecraft_version}`],
      ['Address', addressOf(server)],
      ['Region', server.region],
      ['Runtime', server.runtime],
      ['Players', players(server)],
      ['Max players', String(server.max_players)],
      ['Plan', server.sku_id],
      [
        'Resources',
        `${server.resources.cpu_millicores / 1000} CPU, ${server.resources.memory_mb} MB memory, ${server.resources.storage_mb} MB storage`,
      ],
      ['Config revision', String(server.config_revision)],
      ['Created', `${server.created_at} (${formatAge(server.created_at)} ago)`],
      ['Started', server.started_at ? `${server.started_at} (${formatAge(server.started_at)} ago)` : '-'],
      [
        'Properties',
        Object.entries(server.server_properties)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(' ') || '-',
      ],
    ],
    style,
  );
}
