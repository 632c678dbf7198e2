import { unwrap } from '@minefleet/api-client/client';
import type { Context } from './context.js';
import { CliError } from './errors.js';
import { formatBytes } from './output/bytes.js';
import { formatElapsed } from './output/time.js';
import type { Backup } from './resolve-backup.js';

const POLL_MS = 250;

/** Polls a backup until its job is over; a failed backup ends the command with exit code 1. */
export async function waitForBackup(ctx: Context, backup: Backup, timeoutSeconds: number): Promise<Backup> {
  const started = Date.now();
  let current = backup;
  let last = '';
  while (['pending', 'running'].includes(current.status)) {
    if (current.status !== last)
      ctx.note(`${current.name}: ${current.status} (${formatElapsed(Date.now() - started)})`);
    last = current.status;
    if (Date.now() - started > timeoutSeconds * 1000)
      throw new CliError(`backup ${current.name} still ${current.status} after ${timeoutSeconds}s`, {
        code: 'TIMEOUT',
      });
    await new Promise((r) => setTimeout(r, POLL_MS));
    current = unwrap(
      await ctx.client.GET('/api/v1/backups/{backup_id}', { params: { path: { backup_id: backup.id } } }),
    );
  }
  if (current.status === 'failed')
    throw new CliError(`backup ${current.name} failed: ${current.error ?? 'no reason given'}`, {
      code: 'BACKUP_FAILED',
    });
  ctx.note(
    `${current.name}: completed, ${formatBytes(current.size_bytes)} (${formatElapsed(Date.now() - started)})`,
  );
  return current;
}
