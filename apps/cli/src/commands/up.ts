import type { Command } from 'commander';
import { examples, type CliApp } from '../cli-app.js';
import { UsageError } from '../errors.js';
import { positiveInt } from '../option-parsers.js';

interface UpOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * `minefleet up` runs the control plane in this process: the server's own entry point, with the same
 * environment variables (PORT, HOST, MINEFLEET_DATA_DIR, DATABASE_URL, …). Flags are written into the
 * environment before it loads, so they win over variables already set.
 */
export function registerUpCommand(program: Command, app: CliApp): void {
  const up = program
    .command('up')
    .description('Run the Minefleet control plane (API, dashboard, game servers) in this process')
    .option('--port <port>', 'HTTP port (env: PORT, default 8080)', positiveInt)
    .option('--host <address>', 'address to listen on (env: HOST, default 0.0.0.0)')
    .option('--data-dir <dir>', 'data folder (env: MINEFLEET_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded database (env: DATABASE_URL)')
    .action(async (opts: UpOptions) => {
      // The server reads process.env itself (its loadConfig); the CLI's io.env is the same object in
      // a real run.
      const env = process.env;
      if (opts.port !== undefined) env.PORT = String(opts.port);
      if (opts.host !== undefined) env.HOST = opts.host;
      if (opts.dataDir !== undefined) env.MINEFLEET_DATA_DIR = opts.dataDir;
      if (opts.databaseUrl !== undefined) env.DATABASE_URL = opts.databaseUrl;
      app.io.stderr.write('Starting the Minefleet control plane…\n');
      // Importing the entry point runs it: it listens, prints where, and serves until SIGINT/SIGTERM.
      try {
        await import('@minefleet/server/main');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        throw new UsageError(
          '"minefleet up" runs the control plane, which this install of the CLI does not include: run it from the Minefleet checkout ("npm start").',
        );
      }
    });
  examples(up, [
    'minefleet up',
    'minefleet up --port 9000 --data-dir /var/lib/minefleet',
    'DATABASE_URL=postgres://minefleet@db/minefleet minefleet up',
  ]);
}
