import type { Command } from 'commander';
import { unwrap, type Server } from '@minefleet/api-client/client';
import type { Context } from './context.js';
import { CliError } from './errors.js';
import { positiveInt } from './option-parsers.js';
import { formatElapsed } from './output/time.js';

export type WaitGoal = 'running' | 'stopped' | 'deleted';

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
}

const POLL_MS = 250;

/**
 * A progress line on stderr. On a terminal it is redrawn in place; elsewhere (CI logs, pipes) each
 * change of status is its own line, so a log shows the whole path without control characters.
 */
class ProgressLine {
  private readonly tty: boolean;
  private drawn = false;

  constructor(private readonly ctx: Context) {
    this.tty = ctx.io.stderr.isTTY === true;
  }

  update(text: string, changed: boolean): void {
    if (this.tty) {
      this.ctx.io.stderr.write(`\r\u001b[2K${text}`);
      this.drawn = true;
    } else if (changed) {
      this.ctx.io.stderr.write(`${text}\n`);
    }
  }

  finish(text: string): void {
    if (this.tty) this.ctx.io.stderr.write(`\r\u001b[2K${text}\n`);
    else this.ctx.io.stderr.write(`${text}\n`);
    this.drawn = false;
  }

  /** Leaves a redrawn line where it is (before an error is printed under it). */
  end(): void {
    if (this.tty && this.drawn) this.ctx.io.stderr.write('\n');
    this.drawn = false;
  }
}

function address(server: Server): string {
  return server.address ? ` at ${server.address.host}:${server.address.port}` : '';
}

/** Whether waiting is over: the goal reached (true), hopeless (an error), or not yet (false). */
function settled(goal: WaitGoal, server: Server, path: readonly string[]): boolean {
  if (goal === 'running') {
    if (server.status === 'running') return true;
    if (server.status === 'failed')
      throw new CliError(`server ${server.name} failed: ${server.status_reason ?? 'no reason given'}`, {
        code: 'SERVER_FAILED',
      });
    // A stop requested after the start (by someone else) ends the wait. Before `starting` was seen a
    // stopped server is the first half of a restart, not a refusal.
    if (server.desired_state !== 'running' && server.status === 'stopped' && path.includes('starting'))
      throw new CliError(`server ${server.name} stopped before it was running${reason(server)}`, {
        code: 'SERVER_STOPPED',
      });
    return false;
  }
  if (goal === 'stopped') {
    if (server.status === 'stopped') return true;
    if (server.status === 'failed')
      throw new CliError(`server ${server.name} failed: ${server.status_reason ?? 'no reason given'}`, {
        code: 'SERVER_FAILED',
      });
    return false;
  }
  return false;
}

function reason(server: Server): string {
  return server.status_reason ? `: ${server.status_reason}` : '';
}

/**
 * Polls the server until it reaches the goal, drawing "name: deploying → starting → running (3.1s)".
 * Polling (rather than the event stream) keeps this correct across reconnects and API restarts: the
 * answer of GET is the truth, whatever events were missed.
 */
export async function waitForServer(
  ctx: Context,
  initial: Server,
  goal: WaitGoal,
  options: WaitOptions,
): Promise<Server | undefined> {
  const progress = new ProgressLine(ctx);
  const started = Date.now();
  const path: string[] = [initial.status];
  const label = ctx.errStyle.bold(initial.name);
  const line = (extra = '') =>
    `${label}: ${path.join(' → ')}${extra} (${formatElapsed(Date.now() - started)})`;
  let server = initial;
  let drawn = false;
  try {
    for (;;) {
      if (settled(goal, server, path)) {
        progress.finish(line(goal === 'running' ? address(server) : ''));
        return server;
      }
      if (!drawn) {
        progress.update(line(), true);
        drawn = true;
      }
      if (Date.now() - started > options.timeoutMs) {
        throw new CliError(
          `server ${server.name} is still ${server.status} after ${formatElapsed(options.timeoutMs)} (raise --timeout, or check "minefleet servers logs ${server.name}")`,
          { code: 'TIMEOUT' },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? POLL_MS));
      const answer = await ctx.client.GET('/api/v1/servers/{id}', { params: { path: { id: initial.id } } });
      if (goal === 'deleted' && answer.response.status === 404) {
        path.push('deleted');
        progress.finish(line());
        return undefined;
      }
      server = unwrap(answer);
      const changed = path.at(-1) !== server.status;
      if (changed) path.push(server.status);
      // The goal's own line is drawn by finish() (with the address), not twice.
      if (server.status !== goal)
        progress.update(line(server.status === 'crashed' ? reason(server) : ''), changed);
    }
  } catch (error) {
    progress.end();
    throw error;
  }
}

export interface WaitFlags {
  /** false with --no-wait. */
  wait: boolean;
  /** Seconds. */
  timeout: number;
}

/** `--no-wait` and `--timeout <seconds>` for commands that change a server's state. */
export function addWaitOptions(command: Command, goal: string): Command {
  return command
    .option('--no-wait', `return at once instead of waiting until the server is ${goal}`)
    .option('--timeout <seconds>', `how long to wait until ${goal}`, positiveInt, 300);
}

/**
 * After a state-changing request: either wait for the goal with a progress line, or report the
 * transitional state at once. json/yaml print the final server object (nothing for a deleted one but
 * `{ id, deleted: true }`); in table mode the progress line is the report.
 */
export async function settleServer(
  ctx: Context,
  server: Server,
  goal: WaitGoal,
  flags: WaitFlags,
): Promise<void> {
  if (!flags.wait) {
    ctx.result(server, () => `${server.name} is ${server.status}.\n`);
    return;
  }
  const final = await waitForServer(ctx, server, goal, { timeoutMs: flags.timeout * 1000 });
  if (ctx.format !== 'table')
    ctx.result(final ?? { id: server.id, name: server.name, deleted: true }, () => '');
}
