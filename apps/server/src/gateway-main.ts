#!/usr/bin/env node
/**
 * Entry point of the standalone gateway (`minefleet gateway run`, docs/gateway.md): reads the same
 * environment as the control plane, listens on the Minecraft port and on its admin port (/health,
 * /metrics), and serves until SIGTERM/SIGINT. Game servers it woke keep running after it stops.
 */
import { ConfigError } from './config.js';
import { closeOnSignals } from './shutdown.js';
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

  closeOnSignals(gateway, logger, config.shutdownGraceSeconds);
}

main().catch((error: unknown) => {
  process.stderr.write(`minefleet gateway: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
