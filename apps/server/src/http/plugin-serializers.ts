import type { Distribution } from '@minefleet/domain/distributions';
import type { ErrorCode } from '@minefleet/domain/errors';
import type {
  CatalogueEntry,
  PluginDetails,
  PluginVersionRecord,
} from '@minefleet/services/plugins/catalogue-service';
import type { InstallationView, PlanResult, RemoveResult } from '@minefleet/services/plugins/install-service';

/** Plugin records (camelCase, Dates) to the API's JSON shapes (snake_case, ISO strings). */

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function pluginFields(p: CatalogueEntry['plugin']) {
  return {
    id: p.id,
    source: p.source,
    source_id: p.sourceId,
    name: p.name,
    description: p.description,
    category: p.category,
    author: p.author,
    homepage: p.homepage,
    updated_at: p.updatedAt.toISOString(),
  };
}

export function toPluginSummary(entry: CatalogueEntry) {
  return {
    ...pluginFields(entry.plugin),
    latest_version: entry.latestVersion,
    minecraft_versions: entry.minecraftVersions,
    // Stored as text; the sources only produce our distributions.
    distributions: entry.distributions as Distribution[],
    version_count: entry.versionCount,
  };
}

export function toPluginVersion(v: PluginVersionRecord) {
  return {
    version: v.version,
    minecraft_versions: v.minecraftVersions,
    distributions: v.distributions as Distribution[],
    dependencies: v.dependencies,
    sha256: v.sha256,
    sha512: v.sha512,
    size_bytes: v.sizeBytes,
    file_name: v.fileName,
    approval: v.approval,
    published_at: iso(v.publishedAt),
    created_at: v.createdAt.toISOString(),
  };
}

export function toPlugin(details: PluginDetails) {
  return {
    ...pluginFields(details.plugin),
    latest_version: details.versions.find((v) => v.approval === 'approved')?.version ?? null,
    versions: details.versions.map(toPluginVersion),
  };
}

export function toInstallation(view: InstallationView) {
  const r = view.row;
  return {
    id: r.id,
    server_id: r.serverId,
    plugin_id: r.pluginId,
    plugin_name: view.pluginName,
    version: r.version,
    status: r.status,
    enabled: r.enabled,
    as_dependency: r.asDependency,
    config_overrides: r.configOverrides,
    file_name: r.fileName,
    error: r.error ? { code: (r.errorCode ?? 'INTERNAL') as ErrorCode, message: r.error } : null,
    dependencies: view.dependencies.map((d) => ({
      plugin_id: d.pluginId,
      version_range: d.versionRange,
      optional: d.optional,
    })),
    required_by: view.requiredBy,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export function toInstallResult(result: PlanResult, dryRun: boolean) {
  return {
    installation: result.installation ? toInstallation(result.installation) : null,
    resolved: result.resolved.map((r) => ({
      plugin_id: r.pluginId,
      name: r.name,
      version: r.version,
      action: r.action,
      previous_version: r.previousVersion,
      as_dependency: r.asDependency,
      required_by: r.requiredBy,
      size_bytes: r.sizeBytes,
    })),
    load_order: result.loadOrder,
    skipped_optional: result.skippedOptional.map((s) => ({
      plugin_id: s.pluginId,
      required_by: s.requiredBy,
      reason: s.reason,
    })),
    applied: result.applied,
    dry_run: dryRun,
  };
}

export function toRemoveResult(result: RemoveResult) {
  return {
    removed: result.removed.map((r) => ({ id: r.id, plugin_id: r.pluginId })),
    orphans: result.orphans,
    applied: result.applied,
  };
}
