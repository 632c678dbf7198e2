// Packs the `minefleet` CLI as a self-contained npm tarball (run after "npm run build"):
//   npm run pack:cli            → build/minefleet-cli-<version>.tgz
//   npm install -g build/minefleet-cli-<version>.tgz
// The workspace packages it uses are private, so the compiled CLI is bundled (esbuild) with its
// dependencies into one file; the tarball installs with no registry access. `minefleet up` (which runs
// the control plane itself) needs the full checkout and says so.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile, copyFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const cliDir = path.join(root, 'apps', 'cli');
const entry = path.join(cliDir, 'dist', 'main.js');
if (!existsSync(entry)) {
  console.error('pack-cli: apps/cli/dist/main.js is missing; run "npm run build" first.');
  process.exit(1);
}
const out = path.resolve(process.argv[2] ?? path.join(root, 'build'));
const stage = path.join(out, 'minefleet-cli');
await rm(stage, { recursive: true, force: true });
await mkdir(path.join(stage, 'dist'), { recursive: true });
await mkdir(path.join(stage, 'bin'), { recursive: true });

await build({
  entryPoints: [entry],
  outfile: path.join(stage, 'dist', 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@minefleet/server', '@minefleet/server/*'],
  // CommonJS dependencies bundled into an ES module still call require().
  banner: {
    js: "import { createRequire as __mfRequire } from 'node:module'; const require = __mfRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
await copyFile(path.join(cliDir, 'bin', 'minefleet.js'), path.join(stage, 'bin', 'minefleet.js'));
await chmod(path.join(stage, 'bin', 'minefleet.js'), 0o755);
const pkg = JSON.parse(await readFile(path.join(cliDir, 'package.json'), 'utf8'));
await writeFile(
  path.join(stage, 'package.json'),
  JSON.stringify(
    {
      name: 'minefleet-cli',
      version: pkg.version,
      description: pkg.description,
      license: 'Apache-2.0',
      type: 'module',
      engines: { node: '>=20.19' },
      bin: { minefleet: './bin/minefleet.js' },
      files: ['bin', 'dist'],
    },
    null,
    2,
  ) + '\n',
);
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], {
  cwd: stage,
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .pop();
await rm(stage, { recursive: true, force: true });
console.log(path.join(out, tarball));
