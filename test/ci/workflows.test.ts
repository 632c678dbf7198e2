// The GitHub Actions workflows cannot run here. They are validated by GitHub's own workflow parser
// (@actions/workflow-parser, the schema and parser behind the Actions language server: unknown keys,
// wrong value types and invalid expressions are errors), and what they refer to in this repository —
// test paths, Dockerfiles, the chart — is checked to exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(ROOT, '.github/workflows');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix: Record<string, unknown[]> };
  services?: Record<string, { image: string }>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
/** Every error GitHub's parser reports for a workflow: syntax, schema, expressions, job graph. */
async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    // The conversion reports the parse errors again, besides its own.
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return [...new Set(errors)];
}
const load = (name: string) => parse(readFileSync(path.join(DIR, name), 'utf8')) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''));
const uses = (w: Workflow) =>
  Object.values(w.jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));

describe('GitHub Actions workflows', () => {
  it('the parser rejects a broken workflow (so a pass below means something)', async () => {
    const broken = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: true\n';
    expect(await workflowErrors('broken.yml', broken)).toEqual([
      expect.stringContaining("Unexpected value 'stepz'"),
    ]);
    const badExpression =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix. }}\n';
    expect((await workflowErrors('expr.yml', badExpression)).length).toBeGreaterThan(0);
  });

  it.each(['ci.yml', 'images.yml', 'release.yml'])('%s is a valid workflow', async (name) => {
    expect(files).toContain(name);
    expect(await workflowErrors(name, readFileSync(path.join(DIR, name), 'utf8'))).toEqual([]);
  });

  it('every action is pinned to a version', () => {
    for (const name of files) {
      for (const action of uses(load(name)))
        expect(action, `${name}: ${action}`).toMatch(/^[\w.-]+\/[\w./-]+@v\d+/);
    }
  });

  it('ci.yml: lint, typecheck, tests on Node 20/22/24 with PostgreSQL and NATS, browser, kind, helm', () => {
    const ci = load('ci.yml');
    expect(Object.keys(ci.jobs).sort()).toEqual(['browser', 'helm', 'kubernetes', 'lint', 'test']);
    expect(runs(ci)).toEqual(expect.arrayContaining(['npm run typecheck', 'npm run lint']));
    const test = ci.jobs['test']!;
    expect(test.strategy!.matrix['node']).toEqual([20, 22, 24]);
    expect(test.services!['postgres']!.image).toMatch(/^postgres:/);
    expect(runs(ci).join('\n')).toContain('nats:2.10 -js');
    expect(uses(ci)).toContain('helm/kind-action@v1');
    expect(runs(ci).join('\n')).toContain('helm lint --strict deploy/helm/minefleet');

    // Every path handed to vitest exists, and together they cover every test folder.
    const vitestPaths = runs(ci)
      .flatMap((r) => r.split('\n'))
      .filter((line) => line.includes('npx vitest run'))
      .flatMap((line) =>
        line
          .slice(line.indexOf('npx vitest run') + 'npx vitest run'.length)
          .trim()
          .split(/\s+/),
      )
      .filter((arg) => arg && !arg.startsWith('-') && !arg.endsWith('.config.ts'));
    for (const p of vitestPaths) expect(existsSync(path.join(ROOT, p)), p).toBe(true);
    for (const dir of readdirSync(path.join(ROOT, 'test'), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const covered = vitestPaths.some((p) => p === `test/${dir.name}` || p.startsWith(`test/${dir.name}/`));
      expect(covered, `test/${dir.name} runs in no CI job`).toBe(true);
    }
  });

  it('images.yml: multi-arch, SBOM, provenance and cosign-signed images of existing Dockerfiles', () => {
    const images = load('images.yml');
    expect(images.on).toHaveProperty('push.tags', ['v*']);
    const job = images.jobs['image']!;
    for (const image of job.strategy!.matrix['image'] as string[]) {
      expect(existsSync(path.join(ROOT, `deploy/docker/${image}.Dockerfile`)), image).toBe(true);
    }
    const build = job.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(String(build.with!['platforms'])).toContain('linux/amd64,linux/arm64');
    expect(build.with!['sbom']).toBe(true);
    expect(uses(images)).toEqual(
      expect.arrayContaining(['docker/setup-buildx-action@v3', 'sigstore/cosign-installer@v3']),
    );
    expect(runs(images).join('\n')).toContain('cosign sign --yes');
  });

  it('release.yml: bumps the version, writes the changelog, packages the chart and builds the images', () => {
    const release = load('release.yml');
    const all = runs(release).join('\n');
    expect(all).toContain('npm version');
    expect(all).toContain('deploy/helm/minefleet/Chart.yaml');
    expect(all).toContain('CHANGELOG.md');
    expect(all).toContain('helm package deploy/helm/minefleet');
    expect(all).toContain('gh workflow run images.yml');
    expect(load('images.yml').on).toHaveProperty('workflow_dispatch');
  });

  it('chaos.yml: the chaos suite nightly and on demand, with PostgreSQL, nats-server and its report kept', () => {
    const chaos = load('chaos.yml');
    expect(chaos.on).toHaveProperty('schedule');
    expect(chaos.on).toHaveProperty('workflow_dispatch');
    const job = Object.values(chaos.jobs)[0]!;
    expect(job.services?.postgres?.image).toMatch(/^postgres:/);
    const all = runs(chaos).join('\n');
    expect(all).toContain('npm run test:chaos');
    expect(all).toContain('nats-server');
    expect(uses(chaos).some((u) => u.startsWith('actions/upload-artifact@'))).toBe(true);
    // What the runs read: the chaos config and the suite's settings exist under these names.
    expect(existsSync(path.join(ROOT, 'test/chaos/vitest.config.ts'))).toBe(true);
    expect(readFileSync(path.join(ROOT, 'test/chaos/kit/rng.ts'), 'utf8')).toContain('CHAOS_SEED');
  });
});
