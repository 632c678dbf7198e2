import type { Command } from 'commander';
import type * as PlatformBackupModule from '@minefleet/server/platform-backup';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { createContext } from '../context.js';
import { CliError, ConnectionError, EXIT_CODES, UsageError } from '../errors.js';
import { downloadPlatformBackup, type PlatformBackupSummary } from '../platform-backup-download.js';
import { registerAdminBackupsCommand } from './admin-backups.js';

interface Location {
  dataDir?: string;
  databaseUrl?: string;
}

type PlatformBackup = typeof PlatformBackupModule;

/** The server's backup module; a CLI installed without the control plane cannot run these commands. */
async function platformBackup(): Promise<PlatformBackup> {
  try {
    return await import('@minefleet/server/platform-backup');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new UsageError(
      '"minefleet admin" works on the control plane\'s own data, which this install of the CLI does not include: run it from the Minefleet checkout.',
    );
  }
}

/** Runs a platform backup step, reporting its refusals as one line with their stable code. */
async function guarded<T>(module: PlatformBackup, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof module.PlatformBackupError) {
      throw new CliError(error.message, { exitCode: EXIT_CODES.api, code: error.code });
    }
    throw error;
  }
}

function where(opts: Location, env: NodeJS.ProcessEnv): { dataDir: string; databaseUrl: string | undefined } {
  return {
    dataDir: opts.dataDir ?? (env.MINEFLEET_DATA_DIR || './data'),
    databaseUrl: opts.databaseUrl ?? (env.DATABASE_URL || undefined),
  };
}

function locationOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data folder (env: MINEFLEET_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded database (env: DATABASE_URL)');
}

interface BackupOptions {
  output?: string;
  url?: string;
  token?: string;
  offline?: boolean;
  force?: boolean;
}

/**
 * The online backup when a control plane is named or logged in to: `--url`/`--token`, MINEFLEET_URL /
 * MINEFLEET_TOKEN, or the stored login. Undefined means offline: `--offline`, a location given
 * (`--data-dir`, `--database-url`, `--force`), no credential, or the stored login's control plane not
 * answering (a named one not answering is an error).
 */
async function onlineBackup(
  app: CliApp,
  opts: Location & BackupOptions,
  output: string,
): Promise<{ manifest: PlatformBackupSummary; bytes: number } | undefined> {
  if (opts.offline || opts.dataDir || opts.databaseUrl || opts.force) return undefined;
  const ctx = await createContext(app.io, { url: opts.url, token: opts.token });
  if (!ctx.token) return undefined;
  try {
    return await downloadPlatformBackup(ctx, output);
  } catch (error) {
    const named = opts.url !== undefined || app.io.env.MINEFLEET_URL;
    if (!(error instanceof ConnectionError) || named) throw error;
    app.io.stderr.write(`${error.message}; backing up offline instead.\n`);
    return undefined;
  }
}

async function offlineBackup(
  app: CliApp,
  opts: Location & BackupOptions,
  output: string,
): Promise<{ manifest: PlatformBackupSummary; bytes: number }> {
  const module = await platformBackup();
  const manifest = await guarded(module, () =>
    module.createPlatformBackup({ ...where(opts, app.io.env), output, force: opts.force === true }),
  );
  return { manifest, bytes: await module.archiveBytes(output) };
}

/**
 * `minefleet admin backup|restore|verify`: the control plane's own state (database and generated
 * secrets). `backup` goes through the running control plane when it can (online, no stop); otherwise,
 * like `restore` and `verify`, it reads and writes directly on this machine (docs/operations.md).
 */
export function registerAdminCommands(program: Command, app: CliApp): void {
  const admin = program.command('admin').description("Back up and restore the platform's own state");
  examples(admin, [
    'minefleet admin backup -o platform.tar.gz',
    'minefleet admin verify platform.tar.gz',
    'minefleet admin restore platform.tar.gz',
  ]);

  const backup = locationOptions(
    leafCommand(admin, 'backup', 'Archive the database and the secrets of the data folder'),
  )
    .option('-o, --output <file>', 'archive to write (default minefleet-platform-<time>.tar.gz)')
    .option('--url <url>', 'take it online through this control plane (env: MINEFLEET_URL)')
    .option('--token <token>', "a platform administrator's session token or API key (env: MINEFLEET_TOKEN)")
    .option('--offline', 'read the data folder or database directly, never through the API')
    .option(
      '--force',
      'offline: back up an embedded database whose control plane was killed (postmaster.pid left)',
    )
    .action(async (opts: Location & BackupOptions) => {
      const output =
        opts.output ?? `minefleet-platform-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
      const online = await onlineBackup(app, opts, output);
      const { manifest, bytes } = online ?? (await offlineBackup(app, opts, output));
      app.io.stdout.write(
        `Platform backup written to ${output} (${bytes} bytes${online ? ', online' : ''}): ${manifest.database} database at ` +
          `${manifest.schema_tag}, ${manifest.files.map((f) => f.name).join(', ')}.\n`,
      );
      if (app.io.env.MINEFLEET_JWT_SECRET || app.io.env.MINEFLEET_METRICS_TOKEN) {
        app.io.stderr.write(
          'Note: secrets given in the environment (MINEFLEET_JWT_SECRET, MINEFLEET_METRICS_TOKEN) are not in the archive; keep them with it.\n',
        );
      }
    });
  examples(backup, [
    'minefleet admin backup -o platform.tar.gz          # online, as the logged-in platform administrator',
    'minefleet admin backup --offline --data-dir /var/lib/minefleet -o platform.tar.gz   # control plane stopped',
    'DATABASE_URL=postgres://minefleet@db/minefleet minefleet admin backup --offline -o platform.tar.gz',
  ]);

  const restore = locationOptions(
    leafCommand(admin, 'restore <archive>', 'Restore a platform backup into an empty database'),
  ).action(async (archive: string, opts: Location) => {
    const module = await platformBackup();
    const manifest = await guarded(module, () =>
      module.restorePlatformBackup({ ...where(opts, app.io.env), archive }),
    );
    app.io.stdout.write(
      `Restored the ${manifest.database} database (${manifest.schema_tag}, backed up ${manifest.created_at}) ` +
        `and ${manifest.files.filter((f) => !f.name.includes('.')).length} secret file(s). Start the control ` +
        'plane: it migrates to this release and adopts the game servers still running.\n',
    );
  });
  examples(restore, [
    'minefleet admin restore platform.tar.gz --data-dir /var/lib/minefleet',
    'createdb minefleet2 && minefleet admin restore platform.tar.gz --database-url postgres://…/minefleet2',
  ]);

  const verify = leafCommand(
    admin,
    'verify <archive>',
    'Check an archive (manifest, checksums, schema)',
  ).action(async (archive: string) => {
    const module = await platformBackup();
    const manifest = await guarded(module, () => module.verifyPlatformBackup(archive));
    app.io.stdout.write(
      `${archive}: sound. ${manifest.database} database at ${manifest.schema_tag}, made ${manifest.created_at} ` +
        `by Minefleet ${manifest.minefleet_version}.\n`,
    );
  });
  examples(verify, ['minefleet admin verify platform.tar.gz']);

  registerAdminBackupsCommand(admin, app);
}
