import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt } from '@minefleet/testkit/cli';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(ROOT, 'apps', 'cli');

/**
 * `minefleet` installs the ways users expect: npm links a bin that is in the repository (so `npm ci`
 * links it before any build and `npx minefleet` works after the build), and a packed tarball installs
 * globally without a registry.
 */
describe('installing the minefleet CLI', () => {
  let tmp: string;
  beforeAll(async () => {
    assertCliBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-install-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('its bin is a tracked, executable file, so npm ci can link it before the build', async () => {
    const pkg = JSON.parse(await readFile(path.join(CLI, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(Object.keys(pkg.bin)).toEqual(['minefleet']);
    const target = path.posix.join('apps/cli', pkg.bin.minefleet!);
    const tracked = execFileSync('git', ['ls-files', '-s', '--', target], { cwd: ROOT, encoding: 'utf8' });
    expect(tracked, `${target} must be committed`).toMatch(/^100755 /);
    expect(pkg.files).toContain(pkg.bin.minefleet!.replace(/^\.\//, '').split('/')[0]);
  });

  it('the bin says to build first when the build is missing', async () => {
    const bare = path.join(tmp, 'unbuilt');
    await mkdir(path.join(bare, 'bin'), { recursive: true });
    await copyFile(path.join(CLI, 'bin', 'minefleet.js'), path.join(bare, 'bin', 'minefleet.js'));
    const run = spawnSync(process.execPath, [path.join(bare, 'bin', 'minefleet.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/npm run build/);
  });

  it('the checkout itself names the same bin (npm install -g . from the repository)', async () => {
    const rootPkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    expect(rootPkg.bin?.minefleet).toBe('apps/cli/bin/minefleet.js');
  });

  it('npx minefleet works in the checkout', () => {
    const run = spawnSync('npx', ['--no-install', 'minefleet', '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a packed tarball installs with npm install -g and runs', async () => {
    const packed = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'pack-cli.mjs'), tmp], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!;
    expect(packed).toMatch(/minefleet-cli-.*\.tgz$/);
    const prefix = path.join(tmp, 'global');
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', packed],
      {
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
    const bin = path.join(prefix, 'bin', 'minefleet');
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = spawnSync(bin, ['servers', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/list/);
    // Commands that reach the API work the same (here: not signed in).
    const list = spawnSync(bin, ['servers', 'list'], {
      encoding: 'utf8',
      env: { ...process.env, MINEFLEET_CONFIG_DIR: tmp, MINEFLEET_URL: 'http://127.0.0.1:9' },
    });
    expect(list.stderr).toMatch(/UNAUTHENTICATED|not logged in/);
  }, 120_000);
});
