import { Option, type Command } from 'commander';
import { createContext, type Context, type GlobalOptions, type Io } from './context.js';
import { FORMATS } from './output/format.js';

/** What command groups get when they register: the process's streams and a way to build a context. */
export interface CliApp {
  io: Io;
  /** The context of a running command, from its options and its ancestors' (the nearest wins). */
  context(command: Command): Promise<Context>;
}

export function createCliApp(io: Io): CliApp {
  return {
    io,
    context: (command) => createContext(io, globalOptions(command)),
  };
}

/** `--url`, `--token`, `--format` given on the command itself or before it (`minefleet --format json …`). */
export function globalOptions(command: Command): GlobalOptions {
  const merged: GlobalOptions = {};
  for (let current: Command | null = command; current; current = current.parent) {
    const opts = current.opts<GlobalOptions>();
    merged.url ??= opts.url;
    merged.token ??= opts.token;
    merged.format ??= opts.format;
  }
  return merged;
}

/** Adds the options every command takes; each command lists them in its own --help. */
export function withGlobalOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'Minefleet API base URL (env: MINEFLEET_URL)').helpGroup('Global options:'),
    )
    .addOption(
      new Option('--token <token>', 'session token or API key (env: MINEFLEET_TOKEN)').helpGroup(
        'Global options:',
      ),
    )
    .addOption(
      new Option('-o, --format <format>', 'output format (default: table)')
        .choices(FORMATS)
        .helpGroup('Global options:'),
    );
}

/**
 * A leaf command (one that does something). It gets the global options once the tree is built
 * (addGlobalOptionsToLeaves), so its own options come first in its --help.
 */
export function leafCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent.command(nameAndArgs).description(description);
}

/** Commands that talk to no API, so --url/--token/--format mean nothing to them. */
const LOCAL_COMMANDS = new Set(['up', 'help', 'gateway run']);

export function addGlobalOptionsToLeaves(command: Command): void {
  for (const sub of command.commands) {
    if (sub.commands.length > 0) addGlobalOptionsToLeaves(sub);
    // `admin` works on this machine's data folder, not through the API.
    else if (
      !LOCAL_COMMANDS.has(sub.name()) &&
      !LOCAL_COMMANDS.has(`${command.name()} ${sub.name()}`) &&
      command.name() !== 'admin'
    )
      withGlobalOptions(sub);
  }
}

/** Appends an "Examples:" section to a command's --help. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
