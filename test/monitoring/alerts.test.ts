// The Prometheus rules in deploy/monitoring/alerts.yml: every alert has a runbook page and promtool unit
// tests that show it firing and staying quiet, reads only metrics a running control plane (or the
// operator) serves on its metrics page, and passes
// `promtool test rules` when promtool is installed (Debian's `prometheus` package; .ci/run installs it).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '@minefleet/operator/metrics';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { freePort } from '@minefleet/testkit/ports';
import { parse } from 'yaml';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const MONITORING = path.join(ROOT, 'deploy/monitoring');
const RULES = path.join(MONITORING, 'alerts.yml');
const TESTS = path.join(MONITORING, 'tests');
const RUNBOOK_BASE = 'https://github.com/minefleet/minefleet/blob/main/docs/runbooks/';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface PromtoolFile {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const testFiles = readdirSync(TESTS).filter((f) => f.endsWith('.yml'));

function whichPromtool(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'promtool');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The metric names (`# TYPE` lines) a Prometheus scrape of `text` finds. prom-client writes the TYPE line of
 * every registered metric, also before its first sample.
 */
function exported(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

describe('alert rules', () => {
  it('cover what operations needs', () => {
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const needed of [
      'MinefleetServerFailed',
      'MinefleetServerCrashLooping',
      'MinefleetServerStuckTransitioning',
      'MinefleetBackupMissed',
      'MinefleetBackupStoreUnreachable',
      'MinefleetServerDiskFillingUp',
      'MinefleetControlPlaneDown',
      'MinefleetApiErrorBudgetBurnFast',
      'MinefleetApiLatencyBudgetBurnFast',
      'MinefleetDatabaseUnreachable',
      'MinefleetDatabaseSlow',
      'MinefleetEventBusDisconnected',
      'MinefleetWebSocketSaturation',
      'MinefleetGatewayWakeFailures',
      'MinefleetGatewaySlowWakes',
      'MinefleetOperatorReconcileErrors',
      'MinefleetOperatorQueueBacklog',
    ]) {
      expect(names).toContain(needed);
    }
  });

  it('every alert links a runbook page that exists and says what, how to confirm, fix and verify', () => {
    for (const alert of alerts) {
      const url = alert.annotations?.['runbook_url'];
      expect(url, alert.alert).toBe(`${RUNBOOK_BASE}${alert.alert}.md`);
      const file = path.join(ROOT, 'docs/runbooks', `${alert.alert}.md`);
      expect(existsSync(file), `${file} is missing`).toBe(true);
      const page = readFileSync(file, 'utf8');
      expect(page.startsWith(`# ${alert.alert}\n`), file).toBe(true);
      for (const section of ['## What it means', '## How to confirm', '## How to fix', '## How to verify']) {
        expect(page, `${file}: ${section}`).toContain(section);
      }
    }
    // No page for an alert that no longer exists.
    const pages = readdirSync(path.join(ROOT, 'docs/runbooks')).map((f) => f.replace(/\.md$/, ''));
    expect(pages.sort()).toEqual(alerts.map((a) => a.alert).sort());
  });

  it('every alert has a promtool case where it fires and one where it does not', () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readFileSync(path.join(TESTS, file), 'utf8')) as PromtoolFile;
      expect(doc.rule_files, file).toEqual(['../alerts.yml']);
      for (const test of doc.tests) {
        for (const c of test.alert_rule_test ?? []) {
          ((c.exp_alerts ?? []).length > 0 ? firing : quiet).add(c.alertname);
        }
      }
    }
    for (const alert of alerts) {
      expect(firing.has(alert.alert), `${alert.alert}: no firing case`).toBe(true);
      expect(quiet.has(alert.alert), `${alert.alert}: no non-firing case`).toBe(true);
    }
  });

  describe('read only metrics the product exports', () => {
    // A real control plane (with the gateway on, whose wake metrics two alerts read) and the operator's
    // registry, read the way Prometheus reads them: the names the rules use must be on the page.
    let cp: RunningControlPlane;
    let controlPlaneMetrics: Set<string>;
    let operatorMetrics: Set<string>;
    beforeAll(async () => {
      cp = await startControlPlane(primaryBackend(), {
        env: { MINEFLEET_GATEWAY: 'on', MINEFLEET_GATEWAY_PORT: String(await freePort()) },
      });
      const res = await cp.api.request('GET', '/metrics', {
        headers: { authorization: `Bearer ${cp.metricsToken}` },
      });
      expect(res.status).toBe(200);
      controlPlaneMetrics = exported(String(res.body));
      operatorMetrics = exported(await createMetrics().registry.metrics());
    }, 60_000);
    afterAll(async () => {
      await cp?.close();
    });

    it('every metric an alert or recording rule reads is served by the control plane or the operator', () => {
      const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
      const used = new Set(rules.flatMap((r) => r.expr.match(/\bminefleet[_:][a-z0-9_:]*/g) ?? []));
      expect(used.size).toBeGreaterThan(20);
      // The page is the real one: the default process metrics and the HTTP histogram are on it.
      expect(controlPlaneMetrics).toContain('minefleet_process_cpu_user_seconds_total');
      expect(controlPlaneMetrics).toContain('minefleet_nodejs_eventloop_lag_p99_seconds');
      expect(operatorMetrics).toContain('minefleet_operator_leader');
      for (const name of used) {
        if (recorded.has(name)) continue;
        // Histograms are one TYPE line for their _bucket, _count and _sum series.
        const base = name.replace(/_(bucket|count|sum)$/, '');
        const served = name.startsWith('minefleet_operator_') ? operatorMetrics : controlPlaneMetrics;
        expect(served.has(name) || served.has(base), `${name} is not exported`).toBe(true);
      }
    });
  });

  const promtool = whichPromtool();
  if (!promtool) {
    console.warn(
      '\n*** SKIPPED: promtool is not installed, so the alert rules were NOT evaluated. ***\n' +
        '*** Install it (Debian: apt-get install --no-install-recommends prometheus) to run them. ***\n',
    );
  }
  it.skipIf(!promtool)(
    `promtool checks the rules and passes every unit test${promtool ? '' : ' (skipped: promtool is not installed)'}`,
    async () => {
      const check = await run(promtool!, ['check', 'rules', RULES]);
      expect(check.stdout).toContain('SUCCESS');
      const files = testFiles.map((f) => path.join(TESTS, f));
      const { stdout } = await run(promtool!, ['test', 'rules', ...files], { maxBuffer: 8 * 1024 * 1024 });
      expect(stdout.match(/SUCCESS/g)).toHaveLength(files.length);
      expect(stdout).not.toContain('FAILED');
    },
    300_000,
  );
});
