import type { Command } from 'commander';
import { examples, type CliApp } from '../cli-app.js';
import { registerCatalogueAdministration, registerCatalogueBrowsing } from './plugin-catalogue.js';
import { registerServerPluginCommands } from './server-plugins.js';

export { parseConfigAssignments } from './server-plugins.js';

/**
 * `minefleet plugins`: the catalogue's commands (plugin-catalogue.ts) and a server's plugins
 * (server-plugins.ts).
 */
export function registerPluginCommands(program: Command, app: CliApp): void {
  const plugins = program
    .command('plugins')
    .alias('plugin')
    .description('The plugin catalogue and the plugins of a server (servers by name or id)');
  examples(plugins, [
    'minefleet plugins search --for survival',
    'minefleet plugins install survival local:hello -c greeting="Hi {player}"',
    'minefleet plugins ls survival',
    'minefleet plugins disable survival hello',
  ]);

  // In this order in the help: browse, then a server's plugins, then the administrators' commands.
  registerCatalogueBrowsing(plugins, app);
  registerServerPluginCommands(plugins, app);
  registerCatalogueAdministration(plugins, app);
}
