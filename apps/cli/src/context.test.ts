import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configDir, configFile, readConfig, writeConfig } from './config-store.js';
import { createContext, DEFAULT_URL, normalizeUrl, type Io } from './context.js';
import { CliError, UsageError } from './errors.js';

function io(env: NodeJS.ProcessEnv): Io {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env };
}

describe('the config folder', () => {
  it('is MINEFLEET_CONFIG_DIR, else XDG_CONFIG_HOME/minefleet, else ~/.config/minefleet', () => {
    expect(configDir({ MINEFLEET_CONFIG_DIR: '/a', XDG_CONFIG_HOME: '/b' })).toBe('/a');
    expect(configDir({ XDG_CONFIG_HOME: '/b' })).toBe('/b/minefleet');
    expect(configDir({})).toBe(path.join(os.homedir(), '.config', 'minefleet'));
  });
});

describe('stored credentials', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-unit-'));
    env = { MINEFLEET_CONFIG_DIR: path.join(dir, 'nested', 'cfg') };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('are written 0600 in a 0700 folder, replacing a looser file', async () => {
    await writeConfig(env, { url: 'http://a:1' });
    await writeFile(configFile(env), '{"url":"http://a:1"}', { mode: 0o644 });
    await writeConfig(env, { url: 'http://a:1', token: 'secret' });
    expect((await stat(configFile(env))).mode & 0o777).toBe(0o600);
    expect((await stat(configDir(env))).mode & 0o777).toBe(0o700);
    expect(await readConfig(env)).toEqual({ url: 'http://a:1', token: 'secret' });
  });

  it('read as nothing when there is no file, and as a clear error when it is not JSON', async () => {
    expect(await readConfig(env)).toEqual({});
    await writeConfig(env, {});
    await writeFile(configFile(env), 'not json');
    await expect(readConfig(env)).rejects.toThrow(CliError);
  });

  it('flags win over MINEFLEET_URL/MINEFLEET_TOKEN, which win over the file', async () => {
    await writeConfig(env, { url: 'http://stored:1', token: 'stored-token' });
    const fromFile = await createContext(io(env), {});
    expect([fromFile.url, fromFile.token]).toEqual(['http://stored:1', 'stored-token']);
    const fromEnv = await createContext(
      io({ ...env, MINEFLEET_URL: 'http://env:2', MINEFLEET_TOKEN: 'env-token' }),
      {},
    );
    expect([fromEnv.url, fromEnv.token]).toEqual(['http://env:2', 'env-token']);
    const fromFlags = await createContext(io({ ...env, MINEFLEET_TOKEN: 'env-token' }), {
      url: 'http://flag:3',
      token: 'flag-token',
    });
    expect([fromFlags.url, fromFlags.token]).toEqual(['http://flag:3', 'flag-token']);
  });

  it('never sends the stored token to another URL', async () => {
    await writeConfig(env, { url: 'http://stored:1', token: 'stored-token' });
    const elsewhere = await createContext(io(env), { url: 'http://evil.example' });
    expect(elsewhere.token).toBeUndefined();
    expect(() => elsewhere.requireToken()).toThrow(/not logged in to http:\/\/evil\.example/);
    const same = await createContext(io(env), { url: 'http://stored:1/api/v1/' });
    expect(same.token).toBe('stored-token');
  });

  it('defaults to the local control plane', async () => {
    expect((await createContext(io(env), {})).url).toBe(DEFAULT_URL);
  });
});

describe('normalizeUrl', () => {
  it.each([
    ['http://h:8080', 'http://h:8080'],
    ['http://h:8080/', 'http://h:8080'],
    ['https://h/api/v1', 'https://h'],
    ['https://h/minefleet/api/v1/', 'https://h/minefleet'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeUrl(raw)).toBe(expected);
  });

  it.each(['localhost:8080', 'ftp://h', 'not a url'])('refuses %s as a usage error', (raw) => {
    expect(() => normalizeUrl(raw)).toThrow(UsageError);
  });
});
