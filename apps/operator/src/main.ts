#!/usr/bin/env node
// The operator's composition root: configuration from the environment, then the one Operator.
import os from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '@minefleet/runtime-kubernetes/kube/client';
import { createLogger, type LogLevel } from './log.js';
import { createMetrics, resourceOfPath } from './metrics.js';
import { Operator, type OperatorConfig } from './operator.js';

const env = process.env;
const int = (name: string, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
};

const log = createLogger((env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
const kc = new KubeConfig();
kc.loadFromDefault();
const metrics = createMetrics();
const api = new KubeClient(kc, {
  maxSockets: int('MINEFLEET_OPERATOR_MAX_CONNECTIONS', 32),
  onResponse: (verb, path, code, seconds) =>
    metrics.apiRequests.observe({ verb, resource: resourceOfPath(path), code: String(code) }, seconds),
});
const identity = env.POD_NAME || `${os.hostname()}-${process.pid}`;

const config: OperatorConfig = {
  namespace: env.MINEFLEET_OPERATOR_WATCH_NAMESPACE || undefined,
  workers: int('MINEFLEET_OPERATOR_WORKERS', 16),
  resyncSeconds: int('MINEFLEET_OPERATOR_RESYNC_SECONDS', 600),
  images: {
    java: env.MINEFLEET_JAVA_IMAGE || 'docker.io/itzg/minecraft-server:java21',
    flyingSquid: env.MINEFLEET_FLYING_SQUID_IMAGE || 'ghcr.io/minefleet/flying-squid:0.1.0',
  },
  leaderElection:
    env.MINEFLEET_OPERATOR_LEADER_ELECT === 'false'
      ? undefined
      : {
          namespace: env.POD_NAMESPACE || 'default',
          leaseName: env.MINEFLEET_OPERATOR_LEASE_NAME || 'minefleet-operator',
          identity,
          leaseDurationSeconds: int('MINEFLEET_OPERATOR_LEASE_DURATION_SECONDS', 15),
          renewDeadlineSeconds: int('MINEFLEET_OPERATOR_RENEW_DEADLINE_SECONDS', 10),
          retryPeriodSeconds: int('MINEFLEET_OPERATOR_RETRY_PERIOD_SECONDS', 2),
        },
  httpPort: int('MINEFLEET_OPERATOR_HTTP_PORT', 8080),
  httpHost: env.MINEFLEET_OPERATOR_HTTP_HOST || '0.0.0.0',
  instance: identity,
  playersIntervalSeconds: int('MINEFLEET_OPERATOR_PLAYERS_SECONDS', 30),
};

const operator = new Operator(config, {
  api,
  log,
  metrics,
  onLostLeadership: () => {
    // Stop at once: a replica that lost the lease must not write again; Kubernetes restarts it clean.
    log.error('lost the leader lease, exiting');
    process.exit(1);
  },
});

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  void operator.stop().then(() => {
    api.close();
    process.exit(0);
  });
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

operator.start().then(
  () =>
    log.info('operator started', {
      identity,
      http: operator.httpAddress?.port,
      namespace: config.namespace ?? '(all)',
    }),
  (error: unknown) => {
    log.error('operator failed to start', { error: (error as Error).message });
    process.exit(1);
  },
);
