import { Histogram, type Registry } from 'prom-client';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Logger } from '@minefleet/services/logger';

/**
 * Operations that change a server: logged at info with the request id. The rest — pings, stats, reads
 * and `adopt`, which every reconcile pass calls — are only timed.
 */
const MUTATING = new Set(['deploy', 'configure', 'start', 'sendCommand', 'stop', 'kill', 'remove']);
const TIMED = [
  'deploy',
  'configure',
  'start',
  'sendCommand',
  'stop',
  'kill',
  'inspect',
  'adopt',
  'ping',
  'stats',
  'readLogs',
  'storageUsed',
  'remove',
] as const;

/**
 * The runtime driver with every operation counted and timed (`minefleet_runtime_operation_duration_seconds`
 * by operation and outcome) and logged: the logger's mixin adds the request id of the HTTP request that
 * caused the operation, so a start or a command can be followed from the API to the process. A decorator
 * in the composition root, so neither the services nor the drivers know about Prometheus.
 */
export function instrumentRuntime(runtime: RuntimeDriver, registry: Registry, logger: Logger): RuntimeDriver {
  const duration = new Histogram({
    name: 'minefleet_runtime_operation_duration_seconds',
    help: 'Duration of runtime driver operations, by operation and outcome (ok or error).',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
    registers: [registry],
  });
  // Plain delegation, every method bound to the driver (a prototype trick would let the driver's own
  // writes to `this` land on the wrapper).
  const wrapped: RuntimeDriver = {
    name: runtime.name,
    catalogue: () => runtime.catalogue(),
    deploy: (spec, signal) => runtime.deploy(spec, signal),
    configure: (spec) => runtime.configure(spec),
    start: (spec, options) => runtime.start(spec, options),
    sendCommand: (serverId, command) => runtime.sendCommand(serverId, command),
    stop: (serverId, options) => runtime.stop(serverId, options),
    kill: (serverId) => runtime.kill(serverId),
    inspect: (serverId) => runtime.inspect(serverId),
    ...(runtime.pause
      ? { pause: (serverId: string, paused: boolean) => runtime.pause!(serverId, paused) }
      : {}),
    adopt: (serverIds, options) => runtime.adopt(serverIds, options),
    ...(runtime.endpoint ? { endpoint: (serverId: string) => runtime.endpoint!(serverId) } : {}),
    ping: (serverId, timeoutMs) => runtime.ping(serverId, timeoutMs),
    ...(runtime.ready ? { ready: (serverId: string) => runtime.ready!(serverId) } : {}),
    stats: (serverId) => runtime.stats(serverId),
    storageUsed: (serverId, options) => runtime.storageUsed(serverId, options),
    storageChanged: (serverId) => runtime.storageChanged(serverId),
    ...(runtime.players ? { players: (serverId: string) => runtime.players!(serverId) } : {}),
    onEvent: (listener) => runtime.onEvent(listener),
    readLogs: (serverId, query) => runtime.readLogs(serverId, query),
    workspace: (serverId) => runtime.workspace(serverId),
    ...(runtime.files ? { files: () => runtime.files!() } : {}),
    ...(runtime.archives ? { archives: () => runtime.archives!() } : {}),
    remove: (serverId) => runtime.remove(serverId),
    close: () => runtime.close(),
  };
  for (const operation of TIMED) {
    // The delegates above are arrow functions: taking one off the object keeps its meaning.
    const original = Reflect.get(wrapped, operation) as (...args: unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      const started = performance.now();
      const serverId =
        typeof args[0] === 'string' ? args[0] : (args[0] as { serverId?: string } | undefined)?.serverId;
      try {
        const result = await original(...args);
        const seconds = (performance.now() - started) / 1000;
        duration.observe({ operation, outcome: 'ok' }, seconds);
        if (MUTATING.has(operation)) {
          logger.info({ operation, serverId, ms: Math.round(seconds * 1000) }, 'runtime operation');
        }
        return result;
      } catch (error) {
        const seconds = (performance.now() - started) / 1000;
        duration.observe({ operation, outcome: 'error' }, seconds);
        if (MUTATING.has(operation)) {
          logger.warn(
            { operation, serverId, ms: Math.round(seconds * 1000), err: error },
            'runtime operation failed',
          );
        }
        throw error;
      }
    };
  }
  return wrapped;
}
