import { Type } from '@sinclair/typebox';
import { DISTRIBUTIONS } from '@minefleet/domain/distributions';
import { INSTALLATION_STATUSES, PLUGIN_APPROVALS } from '@minefleet/domain/enums';
import { ERROR_CODES } from '@minefleet/domain/errors';
import { Nullable, PageQuery, Pagination, Ref, StringEnum, Timestamp, Uuid } from './common.js';

/** `<source>:<id>`: `local:hello`, `modrinth:AANobbMI`, `hangar:ViaVersion`. */
export const PluginId = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,30}:[^\\s/?#]{1,200}$',
  description: 'Catalogue id, `<source>:<source id>` (e.g. `local:hello`).',
});
const VersionString = Type.String({ minLength: 1, maxLength: 200 });
const Applied = Type.Union([Type.Literal('live'), Type.Literal('on_restart')], {
  description: 'Whether the change took effect at once or takes effect on the next (re)start.',
});
const ConfigOverrides = Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), {
  maxProperties: 200,
  description: "Written to the plugin's configuration file (flying-squid: `plugins/<slug>/config.json`).",
});

export const PluginDependency = Type.Object({
  plugin_id: Type.String(),
  version_range: Type.String({ description: 'A semver range; `*` for any version.' }),
  optional: Type.Boolean(),
});

export const PluginVersion = Type.Object(
  {
    version: Type.String(),
    minecraft_versions: Type.Array(Type.String(), {
      description: 'Exact versions, `1.20.x` wildcards, `1.16-1.18.2` spans or `*`.',
    }),
    distributions: Type.Array(StringEnum(DISTRIBUTIONS)),
    dependencies: Type.Array(PluginDependency),
    sha256: Nullable(Type.String()),
    sha512: Nullable(Type.String()),
    size_bytes: Type.Integer(),
    file_name: Type.String(),
    approval: StringEnum(PLUGIN_APPROVALS, { description: 'Only approved versions are installed.' }),
    published_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: 'PluginVersion' },
);

const pluginFields = {
  id: Type.String(),
  source: Type.String(),
  source_id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  author: Type.String(),
  homepage: Nullable(Type.String()),
  updated_at: Timestamp,
};

export const PluginSummary = Type.Object(
  {
    ...pluginFields,
    latest_version: Type.String({ description: 'The newest version that matched the filters.' }),
    minecraft_versions: Type.Array(Type.String()),
    distributions: Type.Array(StringEnum(DISTRIBUTIONS)),
    version_count: Type.Integer(),
  },
  { $id: 'PluginSummary' },
);

export const Plugin = Type.Object(
  {
    ...pluginFields,
    latest_version: Nullable(Type.String({ description: 'The newest approved version.' })),
    versions: Type.Array(Ref(PluginVersion), { description: 'Newest first.' }),
  },
  { $id: 'Plugin' },
);

export const PluginSearchQuery = Type.Object({
  ...PageQuery,
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the id, name or description.' })),
  category: Type.Optional(Type.String({ maxLength: 64 })),
  minecraft_version: Type.Optional(Type.String({ maxLength: 32 })),
  distribution: Type.Optional(StringEnum(DISTRIBUTIONS)),
  approval: Type.Optional(
    StringEnum([...PLUGIN_APPROVALS, 'any'] as const, {
      description: 'Which versions count for the filters: `approved` (installable, default), `pending`, ….',
    }),
  ),
});

export const PluginList = Type.Object({
  plugins: Type.Array(Ref(PluginSummary)),
  pagination: Ref(Pagination),
});

export const PluginParams = Type.Object({ id: PluginId });
export const PluginVersionParams = Type.Object({ id: PluginId, version: VersionString });

export const ApprovalBody = Type.Object(
  { approval: StringEnum(PLUGIN_APPROVALS) },
  { additionalProperties: false },
);

export const SyncBody = Type.Object(
  {
    sources: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
    plugin_ids: Type.Optional(
      Type.Array(PluginId, { maxItems: 50, description: 'Sync exactly these plugins (id or slug).' }),
    ),
    q: Type.Optional(Type.String({ maxLength: 100, description: 'Search each source for this text.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

export const SyncResult = Type.Object({
  sources: Type.Array(
    Type.Object({
      source: Type.String(),
      plugins: Type.Integer(),
      versions_added: Type.Integer(),
      versions_updated: Type.Integer(),
      versions_reset_to_pending: Type.Integer(),
      errors: Type.Array(
        Type.Object({ plugin_id: Type.Optional(Type.String()), code: Type.String(), message: Type.String() }),
      ),
    }),
  ),
});

export const PluginInstallation = Type.Object(
  {
    id: Uuid,
    server_id: Uuid,
    plugin_id: Type.String(),
    plugin_name: Type.String(),
    version: Type.String(),
    status: StringEnum(INSTALLATION_STATUSES),
    enabled: Type.Boolean(),
    as_dependency: Type.Boolean({ description: 'Installed because another plugin needs it.' }),
    config_overrides: ConfigOverrides,
    file_name: Nullable(Type.String()),
    error: Nullable(
      Type.Object(
        { code: StringEnum(ERROR_CODES), message: Type.String() },
        {
          description: 'Why the last install or upgrade failed.',
        },
      ),
    ),
    dependencies: Type.Array(PluginDependency),
    required_by: Type.Array(Type.String(), { description: 'Installed plugins that require this one.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'PluginInstallation' },
);

export const InstallationList = Type.Object({
  plugins: Type.Array(Ref(PluginInstallation)),
  pagination: Ref(Pagination),
});

export const InstallationParams = Type.Object({ id: Uuid, installation_id: Uuid });

export const InstallBody = Type.Object(
  {
    plugin_id: PluginId,
    version: Type.Optional(VersionString),
    config_overrides: Type.Optional(ConfigOverrides),
    dry_run: Type.Optional(Type.Boolean({ description: 'Answer the plan (200) without installing.' })),
  },
  { additionalProperties: false },
);

export const DryRunQuery = Type.Object({
  dry_run: Type.Optional(Type.Boolean({ description: 'Same as `dry_run` in the body.' })),
});

export const InstallationPatchBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    config_overrides: Type.Optional(ConfigOverrides),
    version: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'A catalogue version, or `latest`.' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PluginInstallResult = Type.Object(
  {
    installation: Nullable(Ref(PluginInstallation)),
    resolved: Type.Array(
      Type.Object({
        plugin_id: Type.String(),
        name: Type.String(),
        version: Type.String(),
        action: Type.Union([Type.Literal('install'), Type.Literal('upgrade'), Type.Literal('downgrade')]),
        previous_version: Nullable(Type.String()),
        as_dependency: Type.Boolean(),
        required_by: Type.Array(Type.String()),
        size_bytes: Type.Integer(),
      }),
      { description: 'Every plugin version that is (or would be) installed, dependencies first.' },
    ),
    load_order: Type.Array(Type.String(), { description: 'Plugins on the server afterwards, load order.' }),
    skipped_optional: Type.Array(
      Type.Object({ plugin_id: Type.String(), required_by: Type.String(), reason: Type.String() }),
    ),
    applied: Applied,
    dry_run: Type.Boolean(),
  },
  { $id: 'PluginInstallResult' },
);

export const RemoveQuery = Type.Object({
  remove_orphans: Type.Optional(
    Type.Boolean({
      default: false,
      description: 'Also remove plugins installed only as dependencies that nothing needs any more.',
    }),
  ),
});

export const RemoveResult = Type.Object({
  removed: Type.Array(Type.Object({ id: Uuid, plugin_id: Type.String() })),
  orphans: Type.Array(Type.String(), {
    description: 'Dependencies nothing needs any more, left installed (remove_orphans=true removes them).',
  }),
  applied: Applied,
});
