#!/usr/bin/env node
/**
 * The `minefleet` executable. Every failure ends here as one line on stderr and an exit code:
 * 1 for API errors, 2 for usage errors, 3 when the API cannot be reached (docs/cli.md).
 */
import { CommanderError } from 'commander';
import { describeError, EXIT_CODES } from './errors.js';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  const program = buildProgram(io);
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed its own message (or the help); --help and --version are not failures.
      process.exitCode = error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
      return;
    }
    const { message, exitCode } = describeError(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = exitCode;
  }
}

// Not process.exit(): output still buffered for a pipe must be written before the process ends.
void main();
