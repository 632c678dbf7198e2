import type { Logger } from 'pino';

/**
 * On SIGTERM or SIGINT: closes gracefully (once, however many signals come) and exits 0, or 1 when the
 * close fails or takes longer than the grace period plus 5 s.
 */
export function closeOnSignals(
  target: { close(): Promise<void> },
  logger: Logger,
  graceSeconds: number,
): void {
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
      graceSeconds * 1000 + 5000,
    );
    force.unref();
    target
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
