#!/usr/bin/env node
/**
 * Entry point of the standalone gateway (`minefleet gateway run`, docs/gateway.md): reads the same
 * environment as the control plane, listens on the Minecraft port and on its admin port (/health,
 * /metrics), and serves until SIGTERM/SIGINT. Game servers it woke keep running after it stops.
 */
import { ConfigError } from './config.js';
import { createGatewayProcess, loadGatewayProcessConfig } from './gateway-process.js';
import { VERSION } from './version.js';

async function main(): Promise<void> {
  let config;
  try {
    config = await loadGatewayProcessConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`minefleet gateway: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const gateway = await createGatewayProcess({ config });
  const { logger } = gateway;
  const adminUrl = await gateway.listen();
  const address = gateway.gatewayAddress()!;
  logger.info({ gateway: address, admin: adminUrl, version: VERSION }, 'Minefleet gateway is ready');
  process.stdout.write(
    `\nMinefleet gateway ${VERSION} is listening on ${address.host}:${address.port}\n` +
      `  Health:   ${adminUrl}/health\n` +
      `  Metrics:  ${adminUrl}/metrics\n\n`,
  );

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(
      () => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      },
      config.shutdownGraceSeconds * 1000 + 5000,
    );
    force.unref();
    gateway
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`minefleet gateway: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
