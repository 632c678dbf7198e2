import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addGlobalOptionsToLeaves, createCliApp, examples, withGlobalOptions } from './cli-app.js';
import type { Io } from './context.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerApiKeyCommands } from './commands/api-keys.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerBackupCommands } from './commands/backups.js';
import { registerDistributionCommands } from './commands/distributions.js';
import { registerGatewayCommands } from './commands/gateway.js';
import { registerFileCommands } from './commands/files.js';
import { registerMemberCommands } from './commands/members.js';
import { registerPlayerCommands } from './commands/players.js';
import { registerPluginCommands } from './commands/plugins.js';
import { registerRoleCommands } from './commands/roles.js';
import { registerScheduleCommands } from './commands/schedules.js';
import { registerServerCommands } from './commands/servers.js';
import { registerSkuCommands } from './commands/skus.js';
import { registerTenantCommands } from './commands/tenant.js';
import { registerUpCommand } from './commands/up.js';

/** The CLI's version is its package's (read at run time, from src/ in tests and dist/ when built). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * The whole command tree. Errors are not printed or exited on here: commander is told to throw
 * (exitOverride) and main() turns every failure into one line and an exit code.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('minefleet');
  const app = createCliApp(io);
  program
    .description('Minefleet: self-hosted Minecraft servers from your terminal.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    // Options after a subcommand belong to it; this lets `servers exec` pass "-x" words through.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showSuggestionAfterError(true);
  withGlobalOptions(program);
  examples(program, [
    'minefleet up                                   # run the control plane here',
    'minefleet login --url http://localhost:8080 --email me@example.com',
    'minefleet servers create survival -m 1.20.2 --start',
    'minefleet servers logs survival -f',
    'minefleet servers exec survival say Hello',
  ]);
  program.addHelpText(
    'after',
    '\nEnvironment: MINEFLEET_URL, MINEFLEET_TOKEN, MINEFLEET_CONFIG_DIR, NO_COLOR.\n' +
      'Exit codes: 0 ok, 1 API error, 2 usage error, 3 cannot reach the API.\n',
  );

  registerUpCommand(program, app);
  registerAuthCommands(program, app);
  registerSkuCommands(program, app);
  registerDistributionCommands(program, app);
  registerServerCommands(program, app);
  registerApiKeyCommands(program, app);
  registerMemberCommands(program, app);
  registerRoleCommands(program, app);
  registerTenantCommands(program, app);
  registerPluginCommands(program, app);
  registerPlayerCommands(program, app);
  registerFileCommands(program, app);
  registerBackupCommands(program, app);
  registerScheduleCommands(program, app);
  registerGatewayCommands(program, app);
  registerAdminCommands(program, app);
  addGlobalOptionsToLeaves(program);
  return program;
}
