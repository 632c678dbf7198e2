// Where the flying-squid image keeps a server's files. The world volume is mounted at /data
// (MINEFLEET_DATA_DIR moves it outside a container); the game's folder is `server/` inside it, not the
// volume itself, because a restore builds the new folder beside the old one and swaps the two with
// renames, and a mount point cannot be renamed. The agent's own scratch (a restore's staging folder, the
// folder set aside) stays on the same volume, so the swap is two renames in one directory.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { tarArchiveEngine } from '@minefleet/backups/archive-engine';

export const volumeDir = path.resolve(process.env.MINEFLEET_DATA_DIR || '/data');
export const serverDir = path.join(volumeDir, 'server');
export const socketPath = path.join(serverDir, '.minefleet', 'console.sock');

/**
 * Readies the server's folder before the game or the agent starts: first finishes a restore a killed
 * agent left half-done (puts back the folder it had set aside, or removes a half-extracted one), then
 * makes the folder, moving a world an older image kept at the top of the volume into it (once: only while
 * `server/` does not exist). `lost+found`, which a fresh ext4 volume has, stays where it is.
 */
export async function prepareServerFolder() {
  const actions = await tarArchiveEngine.recoverInterruptedRestore(serverDir);
  for (const action of actions) console.error(`minefleet: interrupted restore: ${action}`);
  let exists = true;
  try {
    statSync(serverDir);
  } catch {
    exists = false;
  }
  if (exists) return;
  const moving = path.join(volumeDir, '.server.moving');
  mkdirSync(moving, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(volumeDir)) {
    if (name === 'lost+found' || name === '.server.moving' || name.startsWith('.server.mf-')) continue;
    renameSync(path.join(volumeDir, name), path.join(moving, name));
  }
  // One rename makes it whole: a pod killed midway leaves `.server.moving`, which the next start finishes.
  renameSync(moving, serverDir);
}
