/** What enabling and disabling a plugin needs of the other plugins on the server. */
import { DomainError } from '@minefleet/domain/errors';
import type { InstallationView, ServerPluginState } from './server-plugin-state.js';

/** The plugin and, transitively, the required dependencies it needs enabled with it. */
export function toEnable(state: ServerPluginState, view: InstallationView): InstallationView[] {
  const out: InstallationView[] = [];
  const visit = (current: InstallationView) => {
    if (out.includes(current)) return;
    out.push(current);
    for (const dep of current.dependencies) {
      if (dep.optional) continue;
      const found = state.byPlugin(dep.pluginId);
      if (!found || found.row.status === 'failed') {
        throw new DomainError(
          'DEPENDENCY_CONFLICT',
          `${current.row.pluginId} needs ${dep.pluginId}, which is not installed on this server.`,
          {
            reason: 'missing',
            plugin_id: dep.pluginId,
            chain: [
              { plugin_id: current.row.pluginId },
              { plugin_id: dep.pluginId, version_range: dep.versionRange },
            ],
            conflicts: [],
          },
        );
      }
      if (!found.row.enabled) visit(found);
    }
  };
  visit(view);
  return out;
}

/** Disabling a plugin that an enabled plugin requires would break that one at the next start. */
export function assertNoEnabledDependents(state: ServerPluginState, view: InstallationView): void {
  const enabled = state.views.filter((v) => v.row.status === 'installed' && v.row.enabled);
  const dependents = enabled.filter((v) =>
    v.dependencies.some((d) => d.pluginId === view.row.pluginId && !d.optional),
  );
  if (dependents.length > 0) {
    throw new DomainError(
      'PLUGIN_HAS_DEPENDENTS',
      `${dependents.map((d) => d.row.pluginId).join(', ')} need ${view.row.pluginId}: disable them first.`,
      {
        plugin_id: view.row.pluginId,
        dependents: dependents.map((d) => ({ plugin_id: d.row.pluginId, installation_id: d.row.id })),
      },
    );
  }
}
