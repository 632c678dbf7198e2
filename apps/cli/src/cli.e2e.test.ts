import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, startCli } from '@minefleet/testkit/cli';
import { BOT_TEST_VERSION, freePort, joinBot, pingOnce, type TestBot } from '@minefleet/testkit/minecraft';

/**
 * A server's lifecycle through the built `minefleet` executable, as a user would run it: a real control plane
 * in this process, the CLI as child processes (argv arrays, a temporary config folder), a real
 * flying-squid server and a real mineflayer bot. Run `npx tsc -b` first: the CLI runs from dist/.
 */
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const PASSWORD = 'a long cli passphrase';

async function until(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A TCP relay in front of the control plane that can cut every connection and refuse new ones for a
 * while: a network drop the CLI must survive, without touching the control plane.
 */
async function startRelay(
  target: URL,
): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the minefleet CLI drives a server’s life', () => {
  let cp: RunningControlPlane;
  let configDir: string;
  let env: NodeJS.ProcessEnv;
  let bot: TestBot | undefined;
  let address: { host: string; port: number };
  const email = `cli-${process.pid}-${Date.now()}@example.com`;
  const cli = (args: readonly string[], input?: string) =>
    runCli(args, { env, ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
    });
    configDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-'));
    env = cliEnv(configDir);
  });
  afterAll(async () => {
    await bot?.quit();
    await cp?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('prints its version and help with examples', async () => {
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(PACKAGE.version);
    const help = await cli(['servers', 'create', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--format');
  });

  it('signs up, logs in with the password on stdin, and stores the session readable by its owner only', async () => {
    const signup = await cli(
      ['signup', '--url', cp.url, '--email', email, '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(signup.stderr).toBe('');
    expect(signup.code).toBe(0);
    expect(signup.stdout).toContain(`Logged in to ${cp.url} as ${email}`);

    const login = await cli(
      ['login', '--url', cp.url, '--email', email, '--password-stdin', '--format', 'json'],
      `${PASSWORD}\n`,
    );
    expect(login.code).toBe(0);
    const session = JSON.parse(login.stdout) as { user: { email: string }; role: string; url: string };
    expect(session).toMatchObject({ user: { email }, role: 'owner', url: cp.url });
    expect(login.stdout).not.toContain('"token"');

    const file = path.join(configDir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ url: cp.url, auth: 'session', email });

    // Signing up again with the address (another password) answers like a new sign-up, logs nobody
    // in and leaves the stored session alone; the owner is mailed a notice.
    const stored = readFileSync(file, 'utf8');
    const again = await cli(
      ['signup', '--url', cp.url, '--email', email, '--password-stdin'],
      'another long passphrase\n',
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Check your email/);
    expect(again.stdout).toContain(`minefleet login --url ${cp.url} --email ${email}`);
    expect(readFileSync(file, 'utf8')).toBe(stored);
    expect((await cp.mailbox!.waitFor(email, /tried to sign up/i)).text).toContain('/forgot-password');

    const whoami = await cli(['whoami', '--format', 'yaml']);
    expect(whoami.code).toBe(0);
    expect(parseYaml(whoami.stdout)).toMatchObject({ user: { email }, role: 'owner' });
  });

  it('creates a flying-squid server with --start and shows its progress until running', async () => {
    const created = await cli([
      'servers',
      'create',
      'cli-life',
      '--sku',
      'starter',
      '--minecraft-version',
      BOT_TEST_VERSION,
      '--property',
      'motd=Made by the CLI',
      '--property',
      'gamemode=creative',
      '--start',
      '--format',
      'json',
    ]);
    expect(created.stderr).not.toMatch(/error/);
    expect(created.code).toBe(0);
    // Not a terminal: one plain line per status change, no colour codes.
    expect(created.stderr).toMatch(/cli-life: deploying( → stopped)? → starting/);
    expect(created.stderr).toMatch(/→ running at 127\.0\.0\.1:\d+ \(\d+\.\d+s\)/);
    expect(created.stderr).not.toContain('\u001b[');
    const server = JSON.parse(created.stdout) as {
      status: string;
      address: { host: string; port: number };
      server_properties: Record<string, unknown>;
    };
    expect(server.status).toBe('running');
    expect(server.server_properties).toMatchObject({ motd: 'Made by the CLI', gamemode: 'creative' });
    address = server.address;

    const list = await cli(['servers', 'ls']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS/);
    expect(list.stdout).toMatch(/cli-life\s+running\s+flying-squid 1\.20\.2/);
    expect(list.stdout).not.toContain('\u001b[');
    // Which runtime runs it: a local process here (docs/kubernetes.md for the other).
    expect((await cli(['servers', 'get', 'cli-life'])).stdout).toMatch(/Runtime:?\s+local\n/);
  });

  it('a bot joins at the address the CLI printed and is counted; a console command reaches it', async () => {
    bot = await joinBot(address, { username: 'CliWalker', version: BOT_TEST_VERSION });
    await until(
      async () => {
        const got = await cli(['servers', 'get', 'cli-life', '--format', 'json']);
        const s = JSON.parse(got.stdout) as { players_online: number | null };
        return s.players_online === 1;
      },
      10_000,
      'players_online = 1',
    );

    const heard = bot.waitForMessage(/hello from the cli/);
    const exec = await cli(['servers', 'exec', 'cli-life', 'say', 'hello', 'from', 'the', 'cli']);
    expect(exec.code).toBe(0);
    expect(exec.stdout).toContain('Sent to cli-life: say hello from the cli');
    expect(await heard).toMatch(/hello from the cli/);
  });

  it('logs --tail prints recent lines; logs -f receives a line produced after it started', async () => {
    const tail = await cli(['servers', 'logs', 'cli-life', '--tail', '3']);
    expect(tail.code).toBe(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (INFO|WARN|DEBUG|ERROR)/m);
    expect(tail.stdout).toContain('hello from the cli');

    const json = await cli(['servers', 'logs', 'cli-life', '--grep', 'hello from', '--format', 'json']);
    const found = JSON.parse(json.stdout) as { message: string; source: string }[];
    expect(found.some((l) => l.source === 'command' && l.message.includes('hello from the cli'))).toBe(true);

    const follower = startCli(['servers', 'logs', 'cli-life', '-f', '--tail', '1'], env);
    let followed = '';
    follower.stdout!.setEncoding('utf8').on('data', (d: string) => (followed += d));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    try {
      // The one line of history is printed once the stream is connected: live lines follow it.
      await until(() => followed.includes('\n'), 10_000, 'the follower to connect');
      const marker = `followed-${Date.now()}`;
      expect(followed).not.toContain(marker);
      const sent = await cli(['servers', 'exec', 'cli-life', 'say', marker]);
      expect(sent.code).toBe(0);
      await until(() => followed.includes(marker), 10_000, 'the live line');
      expect(followed).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  .*${marker}`));
    } finally {
      follower.kill('SIGINT');
    }
    // Ctrl-C ends it cleanly; a follower that hung would also hold the control plane's close open.
    const killer = setTimeout(() => follower.kill('SIGKILL'), 5_000);
    expect(await exited).toBe(0);
    clearTimeout(killer);
  });

  it('logs -f survives a dropped connection: it reconnects and prints the lines it missed, once', async () => {
    const relay = await startRelay(new URL(cp.url));
    const { token } = JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')) as {
      token: string;
    };
    const follower = startCli(
      ['servers', 'logs', 'cli-life', '-f', '--tail', '1', '--url', relay.url, '--token', token],
      env,
    );
    let followed = '';
    let notes = '';
    follower.stdout!.setEncoding('utf8').on('data', (d: string) => (followed += d));
    follower.stderr!.setEncoding('utf8').on('data', (d: string) => (notes += d));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    try {
      await until(() => followed.includes('\n'), 10_000, 'the follower to connect');
      relay.cut();
      const marker = `missed-${Date.now()}`;
      expect((await cli(['servers', 'exec', 'cli-life', 'say', marker])).code).toBe(0);
      await until(() => notes.includes('reconnecting'), 5_000, 'the follower to notice the drop');
      relay.restore();
      await until(() => followed.includes(`[Server] ${marker}`), 15_000, 'the missed line');
      expect(notes).toContain('reconnected');
      // The command echo and the chat line, each printed once.
      expect(followed.split('\n').filter((l) => l.includes(marker))).toHaveLength(2);
    } finally {
      follower.kill('SIGINT');
      await relay.close();
    }
    const killer = setTimeout(() => follower.kill('SIGKILL'), 5_000);
    expect(await exited).toBe(0);
    clearTimeout(killer);
  });

  it('config set records a revision, history shows the diff, rollback restores it', async () => {
    const get = await cli(['servers', 'config', 'get', 'cli-life', 'motd', 'difficulty']);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/motd\s+Made by the CLI\s+A Minefleet server\s+on restart/);
    expect(get.stdout).toMatch(/difficulty\s+easy\s+easy\s+live/);

    const set = await cli([
      'servers',
      'config',
      'set',
      'cli-life',
      'motd=Changed by the CLI',
      'max_players=5',
      'pvp=false',
      '--format',
      'json',
    ]);
    expect(set.code).toBe(0);
    const change = JSON.parse(set.stdout) as {
      revision: number;
      applied: string;
      server: { max_players: number; server_properties: Record<string, unknown> };
    };
    expect(change.revision).toBe(2);
    expect(change.applied).toBe('on_restart');
    expect(change.server.max_players).toBe(5);
    // Typed values: a boolean and a number went out as JSON booleans and numbers.
    expect(change.server.server_properties).toMatchObject({ motd: 'Changed by the CLI', pvp: false });

    const history = await cli(['servers', 'config', 'history', 'cli-life']);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/#2 .* by cli-/);
    expect(history.stdout).toContain('motd: Made by the CLI → Changed by the CLI');
    expect(history.stdout).toContain('max_players: 10 → 5');

    const rollback = await cli(['servers', 'config', 'rollback', 'cli-life', '1']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain('revision 3');
    expect(rollback.stdout).toContain('motd: Changed by the CLI → Made by the CLI');

    const revisions = await cli(['servers', 'config', 'history', 'cli-life', '--format', 'yaml']);
    const parsed = parseYaml(revisions.stdout) as { revision: number; rollback_of: number | null }[];
    expect(parsed.map((r) => r.revision)).toEqual([3, 2, 1]);
    expect(parsed[0]!.rollback_of).toBe(1);
  });

  it('restart applies a setting the server list then shows; stop disconnects the bot', async () => {
    const set = await cli(['servers', 'config', 'set', 'cli-life', 'motd=After the restart']);
    expect(set.stdout).toContain('applies on the next start');
    const restart = await cli(['servers', 'restart', 'cli-life']);
    expect(restart.code).toBe(0);
    expect(restart.stderr).toMatch(/cli-life: stopping .*→ starting/);
    expect(restart.stderr).toMatch(/→ running at /);
    expect((await pingOnce(address, BOT_TEST_VERSION)).motd).toContain('After the restart');

    bot = await joinBot(address, { username: 'CliWalker', version: BOT_TEST_VERSION });
    const stop = await cli(['servers', 'stop', 'cli-life', '--announce', 'Going down']);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toMatch(/cli-life: stopping .*→ stopped/);
    expect(await bot.ended).toBeDefined();
    bot = undefined;

    const notRunning = await cli(['servers', 'exec', 'cli-life', 'say', 'anyone?']);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toMatch(/^error: SERVER_NOT_RUNNING: /);
  });

  it('answers errors with one line and the documented exit codes', async () => {
    const taken = await cli(['servers', 'create', 'cli-life', '--sku', 'starter', '-m', BOT_TEST_VERSION]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^error: SERVER_NAME_TAKEN: .*"cli-life".*\n$/);

    const missing = await cli(['servers', 'get', 'no-such-server']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: SERVER_NOT_FOUND: /);

    const badFormat = await cli(['servers', 'ls', '--format', 'xml']);
    expect(badFormat.code).toBe(2);
    const unknown = await cli(['servers', 'explode']);
    expect(unknown.code).toBe(2);
    const noCommand = await cli(['servers', 'exec', 'cli-life']);
    expect(noCommand.code).toBe(2);
    const badAssignment = await cli(['servers', 'config', 'set', 'cli-life', 'motd']);
    expect(badAssignment.code).toBe(2);
    expect(badAssignment.stderr).toBe('error: "motd" is not key=value\n');

    const closed = await freePort();
    const unreachable = await cli(['skus', 'ls', '--url', `http://127.0.0.1:${closed}`, '--token', 'x']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^error: cannot reach the Minefleet API at .*ECONNREFUSED/);

    const stranger = await runCli(['servers', 'ls', '--url', cp.url], {
      env: cliEnv(path.join(configDir, 'nobody')),
    });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/^error: UNAUTHENTICATED: /);
    const badToken = await cli(['servers', 'ls', '--token', 'not-a-token']);
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^error: (UNAUTHENTICATED|TOKEN_EXPIRED): .*minefleet login/);
  });

  it('rm refuses without --yes when not in a terminal, then deletes the server', async () => {
    const unconfirmed = await cli(['servers', 'rm', 'cli-life']);
    expect(unconfirmed.code).toBe(2);
    const removed = await cli(['servers', 'rm', 'cli-life', '--yes', '--format', 'json']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ name: 'cli-life', deleted: true });
    const list = await cli(['servers', 'ls', '--format', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
