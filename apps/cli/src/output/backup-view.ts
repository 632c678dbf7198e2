import type { Context } from '../context.js';
import type { Backup } from '../resolve-backup.js';
import { formatBytes } from './bytes.js';
import { renderFields, renderTable } from './table.js';
import { formatAge } from './time.js';

/** Backups as a table: one row each, status coloured. */
export function backupTable(backups: readonly Backup[], ctx: Context): string {
  return renderTable(
    backups,
    [
      { header: 'NAME', value: (b) => b.name },
      { header: 'SERVER', value: (b) => (b.server_deleted ? `${b.server_name} (deleted)` : b.server_name) },
      {
        header: 'STATUS',
        value: (b) => b.status,
        style: (text, b) =>
          b.status === 'completed'
            ? ctx.style.green(text)
            : b.status === 'failed'
              ? ctx.style.red(text)
              : ctx.style.yellow(text),
      },
      { header: 'TYPE', value: (b) => b.type },
      { header: 'SIZE', value: (b) => formatBytes(b.size_bytes), align: 'right' },
      { header: 'AGE', value: (b) => formatAge(b.created_at) },
      { header: 'LOCKED', value: (b) => (b.locked ? 'yes' : '') },
      { header: 'ID', value: (b) => b.id },
    ],
    ctx.style,
  );
}

/** One backup, field by field. */
export function backupFields(b: Backup, ctx: Context): string {
  return renderFields(
    [
      ['ID', b.id],
      ['Name', b.name],
      ['Server', `${b.server_name} (${b.server_id})${b.server_deleted ? ', deleted' : ''}`],
      ['Status', b.status],
      ['Type', b.type],
      ['Compression', b.compression],
      ['Size', `${formatBytes(b.size_bytes)} (${b.size_bytes} bytes)`],
      ['SHA-256', b.sha256 ?? '-'],
      ['Tags', b.tags.length > 0 ? b.tags.join(', ') : '-'],
      ['Description', b.description ?? '-'],
      ['Locked', b.locked ? 'yes' : 'no'],
      ['Game', `${b.distribution ?? '?'} ${b.minecraft_version ?? '?'}`],
      ['Created', b.created_at],
      ['Completed', b.completed_at ?? '-'],
      ['Expires', b.expires_at ?? 'never'],
      ...(b.error ? ([['Error', b.error]] as const) : []),
    ],
    ctx.style,
  );
}
