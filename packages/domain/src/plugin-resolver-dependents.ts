/**
 * Removal rules for installed plugins: who still needs a plugin, and which dependencies become unused.
 */
import type { InstalledPlugin } from './plugin-resolver.js';

/**
 * Installed plugins that require `pluginId` (optional dependencies do not count: the dependent keeps
 * working without it, as with Bukkit's softdepend). Removing `pluginId` is refused while this is not
 * empty (PLUGIN_HAS_DEPENDENTS).
 */
export function dependentsOf(pluginId: string, installed: readonly InstalledPlugin[]): InstalledPlugin[] {
  return installed.filter(
    (p) => p.pluginId !== pluginId && p.dependencies.some((d) => d.pluginId === pluginId && !d.optional),
  );
}

/**
 * Plugins installed only as dependencies that nothing needs once `pluginId` is removed: those no longer
 * reachable from a plugin the user installed explicitly (so removing `shop` frees `economy`, and `core`
 * too if nothing else uses it, and a cycle of unused dependencies goes as a whole). Optional
 * dependencies count as a use: a plugin that someone integrates with is not silently removed.
 * Sorted by id; callers remove them all in one go.
 */
export function orphansAfterRemoval(pluginId: string, installed: readonly InstalledPlugin[]): string[] {
  const remaining = new Map(installed.filter((p) => p.pluginId !== pluginId).map((p) => [p.pluginId, p]));
  const reachable = new Set<string>();
  const stack = [...remaining.values()].filter((p) => !p.asDependency).map((p) => p.pluginId);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    for (const dep of remaining.get(id)?.dependencies ?? []) {
      if (remaining.has(dep.pluginId)) stack.push(dep.pluginId);
    }
  }
  return [...remaining.keys()].filter((id) => !reachable.has(id)).sort();
}
