import type { Command } from 'commander';
import { examples, type CliApp } from '../cli-app.js';
import { UsageError } from '../errors.js';
import { nonNegativeInt } from '../option-parsers.js';

interface GatewayRunOptions {
  port?: number;
  host?: string;
  adminPort?: number;
  adminHost?: string;
  dataDir?: string;
  databaseUrl?: string;
  natsUrl?: string;
}

/**
 * `minefleet gateway run` runs the Minecraft gateway as its own process (docs/gateway.md, "Running it
 * standalone"): the server's gateway entry point, with the control plane's environment variables
 * (DATABASE_URL, NATS_URL, MINEFLEET_GAME_DOMAIN, MINEFLEET_PORT_RANGE, …). Flags are written into
 * the environment before it loads, so they win over variables already set.
 */
export function registerGatewayRunCommand(gateway: Command, app: CliApp): void {
  const run = gateway
    .command('run')
    .description(
      'Run the Minecraft gateway as its own process beside the control plane (needs PostgreSQL and NATS)',
    )
    .option('--port <port>', 'Minecraft port (env: MINEFLEET_GATEWAY_PORT, default 25565)', nonNegativeInt)
    .option('--host <address>', 'address to listen on (env: MINEFLEET_GATEWAY_HOST, default 0.0.0.0)')
    .option(
      '--admin-port <port>',
      '/health and /metrics port (env: MINEFLEET_GATEWAY_ADMIN_PORT, default 8081)',
      nonNegativeInt,
    )
    .option(
      '--admin-host <address>',
      'address of /health and /metrics (env: MINEFLEET_GATEWAY_ADMIN_HOST, default 127.0.0.1)',
    )
    .option('--data-dir <dir>', "the control plane's data folder (env: MINEFLEET_DATA_DIR, default ./data)")
    .option('--database-url <url>', "the control plane's PostgreSQL URL (env: DATABASE_URL)")
    .option('--nats-url <url>', "the control plane's NATS URL (env: NATS_URL)")
    .action(async (opts: GatewayRunOptions) => {
      // The server reads process.env itself; the CLI's io.env is the same object in a real run.
      const env = process.env;
      if (opts.port !== undefined) env.MINEFLEET_GATEWAY_PORT = String(opts.port);
      if (opts.host !== undefined) env.MINEFLEET_GATEWAY_HOST = opts.host;
      if (opts.adminPort !== undefined) env.MINEFLEET_GATEWAY_ADMIN_PORT = String(opts.adminPort);
      if (opts.adminHost !== undefined) env.MINEFLEET_GATEWAY_ADMIN_HOST = opts.adminHost;
      if (opts.dataDir !== undefined) env.MINEFLEET_DATA_DIR = opts.dataDir;
      if (opts.databaseUrl !== undefined) env.DATABASE_URL = opts.databaseUrl;
      if (opts.natsUrl !== undefined) env.NATS_URL = opts.natsUrl;
      app.io.stderr.write('Starting the Minefleet gateway…\n');
      // Importing the entry point runs it: it listens, prints where, and serves until SIGINT/SIGTERM.
      try {
        await import('@minefleet/server/gateway-main');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        throw new UsageError(
          '"minefleet gateway run" runs the gateway, which this install of the CLI does not include: run it from the Minefleet checkout.',
        );
      }
    });
  examples(run, [
    'minefleet gateway run --database-url postgres://minefleet@db/minefleet --nats-url nats://nats:4222',
    'MINEFLEET_GAME_DOMAIN=play.example.com minefleet gateway run --port 25565 --admin-port 8081',
  ]);
}
