import type { Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { UsageError } from '../errors.js';
import { collect, nonNegativeInt, positiveInt } from '../option-parsers.js';
import { resolveServer } from '../resolve-server.js';
import { addWaitOptions, settleServer, type WaitFlags } from '../wait-for-server.js';

interface StartOptions extends WaitFlags {
  warmupTimeout?: number;
  preStart?: string[];
}

interface StopOptions extends WaitFlags {
  force?: boolean;
  graceful?: number;
  announce?: string;
  save: boolean;
  postStop?: string[];
}

function stopBody(opts: StopOptions) {
  return {
    ...(opts.force ? { force: true } : {}),
    ...(opts.graceful !== undefined ? { graceful_timeout_seconds: opts.graceful } : {}),
    ...(opts.announce !== undefined ? { announce: opts.announce } : {}),
    ...(opts.save === false ? { save_world: false } : {}),
    ...(opts.postStop ? { post_stop_commands: opts.postStop } : {}),
  };
}

function startBody(opts: StartOptions) {
  return {
    ...(opts.warmupTimeout !== undefined ? { warmup_timeout_seconds: opts.warmupTimeout } : {}),
    ...(opts.preStart ? { pre_start_commands: opts.preStart } : {}),
  };
}

function withStartOptions(command: Command): Command {
  return command
    .option('--warmup-timeout <seconds>', 'fail if not answering the server-list ping by then', positiveInt)
    .option('--pre-start <command>', 'console command to run once started (repeatable)', collect);
}

function withStopOptions(command: Command): Command {
  return command
    .option('--force', 'kill at once, without the graceful stop')
    .option('--graceful <seconds>', 'time given to a graceful stop before the kill', nonNegativeInt)
    .option('--announce <message>', 'message shown to players before stopping')
    .option('--no-save', 'do not save the world first')
    .option('--post-stop <command>', 'command to run after stopping (repeatable)', collect);
}

export function registerServerPowerCommands(servers: Command, app: CliApp): void {
  const start = addWaitOptions(
    withStartOptions(leafCommand(servers, 'start <server>', 'Start a server; waits until it is running')),
    'running',
  ).action(async (ref: string, opts: StartOptions, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, ref);
    const starting = unwrap(
      await ctx.client.POST('/api/v1/servers/{id}/start', {
        params: { path: { id: server.id } },
        body: startBody(opts),
      }),
    );
    await settleServer(ctx, starting, 'running', opts);
  });
  examples(start, ['minefleet servers start survival', 'minefleet servers start survival --no-wait']);

  const stop = addWaitOptions(
    withStopOptions(
      leafCommand(
        servers,
        'stop <server>',
        'Stop a server gracefully (warn, save, stop; kill after the timeout)',
      ),
    ),
    'stopped',
  ).action(async (ref: string, opts: StopOptions, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, ref);
    const stopping = unwrap(
      await ctx.client.POST('/api/v1/servers/{id}/stop', {
        params: { path: { id: server.id } },
        body: stopBody(opts),
      }),
    );
    await settleServer(ctx, stopping, 'stopped', opts);
  });
  examples(stop, [
    'minefleet servers stop survival',
    'minefleet servers stop survival --announce "Back in 5 minutes" --graceful 30',
  ]);

  const restart = addWaitOptions(
    withStartOptions(
      withStopOptions(
        leafCommand(servers, 'restart <server>', 'Stop gracefully, then start; waits until running'),
      ),
    ),
    'running',
  ).action(async (ref: string, opts: StartOptions & StopOptions, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, ref);
    const restarting = unwrap(
      await ctx.client.POST('/api/v1/servers/{id}/restart', {
        params: { path: { id: server.id } },
        body: { ...stopBody(opts), ...startBody(opts) },
      }),
    );
    await settleServer(ctx, restarting, 'running', opts);
  });
  examples(restart, ['minefleet servers restart survival --announce "Restarting for an update"']);

  const kill = addWaitOptions(
    leafCommand(servers, 'kill <server>', 'Kill the server process at once (unsaved world changes are lost)'),
    'stopped',
  ).action(async (ref: string, opts: WaitFlags, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, ref);
    const killed = unwrap(
      await ctx.client.POST('/api/v1/servers/{id}/kill', { params: { path: { id: server.id } } }),
    );
    await settleServer(ctx, killed, 'stopped', opts);
  });
  examples(kill, ['minefleet servers kill stuck-server']);

  const exec = leafCommand(servers, 'exec <server> <command...>', 'Send a command to the server console')
    // Everything after the server is the console command, even words that look like options.
    .passThroughOptions()
    .action(async (ref: string, words: string[], _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      // With pass-through options commander keeps a "--" separator as a word; it is not the command's.
      const line = (words[0] === '--' ? words.slice(1) : words).join(' ').replace(/^\//, '');
      if (line.trim() === '') throw new UsageError('the console command is empty');
      if (/[\r\n]/.test(line)) throw new UsageError('a console command is one line');
      const server = await resolveServer(ctx, ref);
      const accepted = unwrap(
        await ctx.client.POST('/api/v1/servers/{id}/commands', {
          params: { path: { id: server.id } },
          body: { command: line },
        }),
      );
      ctx.result(accepted, () => `Sent to ${server.name}: ${line}\n`);
    });
  examples(exec, [
    'minefleet servers exec survival say Hello everyone',
    'minefleet servers exec survival time set day',
    'minefleet servers exec survival -- tp Steve 0 -60 0   # "--": the rest is the command',
  ]);
}
