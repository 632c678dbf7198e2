/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and the share
 * of time by package (node_modules/<name>, node: internals, the project's own files).
 * Usage: node --import tsx bench/cpu-profile-top.ts <file.cpuprofile> [top=30]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-top.ts <file.cpuprofile> [top]');
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  if (!url) return '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const p = /\/(apps|packages)\/([^/]+)\//.exec(url);
  return p ? `${p[1]}/${p[2]}` : url;
}

const fns = new Map<string, number>();
const pkgs = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  const pkg = where(n.callFrame.url);
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
const top = Number(topArg ?? 30);
process.stdout.write(`total ${(total / 1e6).toFixed(1)} s of samples\n\nself time by function:\n`);
for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(us)}  ${k}\n`);
process.stdout.write('\nself time by package:\n');
for (const [k, us] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 20))
  process.stdout.write(`${pct(us)}  ${k}\n`);
