#!/usr/bin/env node
/**
 * Entry point of the control plane: reads the environment, builds everything through the composition
 * root and serves until SIGTERM/SIGINT, then shuts down gracefully. Game servers keep running across a
 * restart of the control plane; the next one adopts them.
 */
import { ConfigError, loadConfig } from './config.js';
import { closeOnSignals } from './shutdown.js';
import { createControlPlane, VERSION } from './control-plane.js';

async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`minefleet: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const controlPlane = await createControlPlane({ config });
  const { logger } = controlPlane;
  await controlPlane.listen();
  const address = controlPlane.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl.replace(`:${config.port}`, `:${port}`);
  logger.info(
    { url, version: VERSION, database: controlPlane.database.dialect, dataDir: config.dataDir },
    'Minefleet is ready',
  );
  process.stdout.write(
    `\nMinefleet ${VERSION} is ready at ${url}\n` +
      `  Dashboard:  ${url}/\n` +
      `  API docs:   ${url}/api/v1/docs\n` +
      `  Sign up:    open the dashboard, or\n` +
      `              curl -X POST ${url}/api/v1/auth/signup -H 'content-type: application/json' \\\n` +
      `                -d '{"email":"you@example.com","password":"a long passphrase"}'\n` +
      `              then sign in the same way at ${url}/api/v1/auth/login\n` +
      (config.identity.smtpUrl
        ? `  Verify:     open the link mailed to you after signing up\n\n`
        : `  Verify:     no MINEFLEET_SMTP_URL, so mail is printed in this log instead of sent: after\n` +
          `              signing up, open the ${url}/verify-email#token=… link printed below\n` +
          `              (API keys, invitations and administrator rights need a verified email)\n\n`),
  );

  closeOnSignals(controlPlane, logger, config.shutdownGraceSeconds);
}

main().catch((error: unknown) => {
  process.stderr.write(`minefleet: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
