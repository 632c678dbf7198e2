import { PassThrough } from 'node:stream';
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@minefleet/api-client/client';
import type { Io } from './context.js';
import { describeError } from './errors.js';
import { buildProgram, cliVersion } from './program.js';

function memoryIo(): Io & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { MINEFLEET_CONFIG_DIR: '/nonexistent/minefleet-cli-test' },
    out: () => out,
    err: () => err,
  };
}

function leaves(command: Command, prefix: string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return sub.commands.length > 0 ? leaves(sub, path) : [{ path, command: sub }];
  });
}

async function parse(args: string[]): Promise<{ error: unknown; io: ReturnType<typeof memoryIo> }> {
  const io = memoryIo();
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' });
    return { error: undefined, io };
  } catch (error) {
    return { error, io };
  }
}

describe('the command tree', () => {
  const program = buildProgram(memoryIo());
  const commands = leaves(program).filter((l) => l.path[0] !== 'help');

  it('has every command of the server lifecycle', () => {
    const names = commands.map((c) => c.path.join(' '));
    for (const expected of [
      'up',
      'gateway run',
      'login',
      'logout',
      'whoami',
      'signup',
      'skus ls',
      'distributions ls',
      'servers ls',
      'servers create',
      'servers get',
      'servers start',
      'servers stop',
      'servers restart',
      'servers kill',
      'servers rm',
      'servers exec',
      'servers logs',
      'servers config get',
      'servers config set',
      'servers config history',
      'servers config rollback',
      'api-keys create',
      'api-keys ls',
      'api-keys rm',
      'members ls',
      'members add',
      'members set-role',
      'members rm',
      'admin backup',
      'admin restore',
      'admin verify',
      'roles ls',
      'roles permissions',
      'roles create',
      'roles update',
      'roles delete',
      'tenant security show',
      'tenant security set',
    ])
      expect(names).toContain(expected);
  });

  it.each(commands.map((c) => [c.path.join(' '), c.command] as const))(
    '%s has examples in its help, and --format/--url/--token unless it talks to no API',
    (name, command) => {
      expect(command.helpInformation()).toContain('Usage: minefleet');
      const io = memoryIo();
      command.configureOutput({ writeOut: (t) => io.stdout.write(t) });
      command.outputHelp();
      expect(io.out()).toContain('Examples:');
      const flags = command.options.map((o) => o.long);
      // `up`, `gateway run` and `admin …` run here (a server program, the data folder), not through the API.
      if (name !== 'up' && name !== 'gateway run' && !name.startsWith('admin '))
        expect(flags).toEqual(expect.arrayContaining(['--format', '--url', '--token']));
    },
  );
});

function groups(command: Command): Command[] {
  return command.commands.filter((c) => c.commands.length > 0).flatMap((c) => [c, ...groups(c)]);
}

it('every command group has examples in its help', () => {
  for (const group of groups(buildProgram(memoryIo()))) {
    const io = memoryIo();
    group.configureOutput({ writeOut: (t) => io.stdout.write(t) });
    group.outputHelp();
    expect(io.out(), group.name()).toContain('Examples:');
  }
});

describe('usage errors', () => {
  it.each([
    [['servers', 'ls', '--format', 'xml']],
    [['servers', 'explode']],
    [['servers', 'exec', 'lobby']],
    [['servers', 'logs', 'lobby', '--tail', 'ten']],
    // Any word can name a custom role, so only a missing role is refused before asking the API.
    [['members', 'set-role', 'a@example.com']],
    [['tenant', 'security', 'set', '--require-2fa', 'yes']],
    [['--no-such-flag']],
  ])('%j is refused by commander with a non-zero exit code', async (args) => {
    const { error, io } = await parse(args);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).not.toBe(0);
    expect(io.err()).toMatch(/error|Usage/);
  });

  it('--version prints the package version and exits 0', async () => {
    const { error, io } = await parse(['--version']);
    expect((error as CommanderError).exitCode).toBe(0);
    expect(io.out().trim()).toBe(cliVersion());
  });
});

describe('describeError', () => {
  it('prints API errors with their code and exit code 1, adding a hint for login problems', () => {
    const taken = new ApiError(409, { error: { code: 'SERVER_NAME_TAKEN', message: 'Taken.' } }, 'x');
    expect(describeError(taken)).toEqual({ message: 'SERVER_NAME_TAKEN: Taken.', exitCode: 1 });
    const expired = new ApiError(401, { error: { code: 'TOKEN_EXPIRED', message: 'Expired.' } }, 'x');
    expect(describeError(expired).message).toContain('minefleet login');
  });

  it('prints anything else as an unexpected error', () => {
    expect(describeError(new Error('boom'))).toEqual({ message: 'unexpected error: boom', exitCode: 1 });
  });
});
