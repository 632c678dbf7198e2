import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Raised when the data folder cannot be used safely; the message says how to fix it. */
export class DataFolderError extends Error {}

/**
 * Makes the control plane's data folder private before anything is written into it: the database (its
 * WAL holds emails and password hashes), the JWT secret and the metrics token live there.
 *
 * - The process umask becomes 077, so every file created from now on (PGlite's among them, which asks
 *   for 0666) is readable by this user only.
 * - A missing folder is created 0700.
 * - An existing folder that its group or others may enter is refused, with the command that fixes it:
 *   silently tightening it would hide that its contents were exposed until now.
 */
export async function secureDataFolder(dataDir: string): Promise<void> {
  restrictUmask();
  let mode: number;
  try {
    mode = (await stat(dataDir)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    return;
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    throw new DataFolderError(
      `the data folder ${dataDir} is accessible to other users (mode ${octal}); it holds the database and ` +
        `secrets. Make it private and start again: chmod -R go-rwx ${shellQuote(dataDir)}`,
    );
  }
}

/** Files created by this process (and the game servers it starts) are private to its user. */
function restrictUmask(): void {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; the folder check and explicit file modes still apply.
  }
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A secret kept in the data folder: read when present (and long enough), else generated once and written
 * 0600. The caller checks a value given in the environment first.
 */
export async function storedSecret(dataDir: string, name: string, bytes = 48): Promise<string> {
  const file = path.join(dataDir, name);
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 32) return stored;
  } catch {
    // Not there yet: made below.
  }
  const secret = randomBytes(bytes).toString('base64url');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // Exclusive create: replicas sharing the folder that start together agree on the first one written.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length < 32) throw new DataFolderError(`${file} is too short to be a secret; delete it.`);
    return stored;
  }
  return secret;
}

/**
 * Takes group and other permissions off everything under `dir`. The embedded database's file system
 * layer sets 0666 on the files it creates whatever the umask; the 0700 data folder already keeps other
 * users out, and this keeps the files themselves private should the folder ever be opened up.
 */
export async function privatiseTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  await chmod(dir, 0o700);
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) continue;
    const { mode } = await lstat(full);
    if ((mode & 0o077) !== 0) await chmod(full, mode & 0o700);
  }
}
