import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { HealthCheck } from './http/routes/health.js';

interface Contained {
  isolation: { level: string; reason: string };
  /** How the plans' CPU and memory are enforced (`cgroup-v2`, `cgroup-v1` or `none`). */
  limits?: { level: string; reason: string };
}

function isContained(runtime: unknown): runtime is Contained {
  return typeof runtime === 'object' && runtime !== null && 'isolation' in runtime;
}

/**
 * /health's `isolation` check: how game processes are contained on this host (docs/security.md).
 * `degraded` when they are not contained at all, so monitoring flags a host that cannot isolate.
 */
export function isolationCheck(runtime: RuntimeDriver): HealthCheck {
  return {
    name: 'isolation',
    critical: false,
    run: () => {
      if (!isContained(runtime))
        return Promise.resolve({ status: 'ok', level: 'external', reason: runtime.name });
      const { level, reason } = runtime.isolation;
      const limits = runtime.limits
        ? { level: runtime.limits.level, reason: runtime.limits.reason }
        : undefined;
      return Promise.resolve({
        status: level === 'none' ? 'degraded' : 'ok',
        level,
        reason,
        ...(limits ? { limits } : {}),
      });
    },
  };
}

/** The warning logged at start when game processes run uncontained. */
export function isolationWarning(runtime: RuntimeDriver): string | undefined {
  if (!isContained(runtime) || runtime.isolation.level !== 'none') return undefined;
  return (
    `GAME PROCESSES ARE NOT ISOLATED: ${runtime.isolation.reason}. A plugin or server can read this ` +
    "control plane's database, secrets and every other server. Install bubblewrap and run as root, or set " +
    'MINEFLEET_ISOLATION=require to refuse to start like this (docs/security.md).'
  );
}
