/**
 * The parts of Hangar API v1 payloads Minefleet reads (hangar.papermc.io/api-docs; HangarMC/Hangar's
 * Project, Version, PlatformVersionDownload, FileInfo and PluginDependency models).
 */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends Parameters<typeof Type.Optional>[0]>(t: T) =>
  Type.Optional(Type.Union([t, Type.Null()]));

const Pagination = Type.Object({ count: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });

export const HangarProject = Type.Object({
  name: Type.String(),
  namespace: Type.Object({ owner: Type.String(), slug: Type.String() }),
  category: Type.String(),
  description: Type.String(),
  stats: Type.Object({ downloads: Type.Integer() }),
  supportedPlatforms: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
});
export type HangarProject = Static<typeof HangarProject>;

export const HangarProjectPage = Type.Object({ pagination: Pagination, result: Type.Array(HangarProject) });

export const HangarPluginDependency = Type.Object({
  name: Type.String(),
  projectId: Nullable(Type.Integer()),
  required: Type.Boolean(),
  externalUrl: Nullable(Type.String()),
  platform: Type.String(),
});
export type HangarPluginDependency = Static<typeof HangarPluginDependency>;

export const HangarVersion = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  createdAt: Type.String(),
  channel: Type.Object({ name: Type.String() }),
  downloads: Type.Record(
    Type.String(),
    Type.Object({
      fileInfo: Nullable(
        Type.Object({
          name: Type.String(),
          sizeBytes: Type.Integer({ minimum: 0 }),
          sha256Hash: Type.String(),
        }),
      ),
      externalUrl: Nullable(Type.String()),
      downloadUrl: Nullable(Type.String()),
    }),
  ),
  pluginDependencies: Type.Record(Type.String(), Type.Array(HangarPluginDependency)),
  platformDependencies: Type.Record(Type.String(), Type.Array(Type.String())),
});
export type HangarVersion = Static<typeof HangarVersion>;

export const HangarVersionPage = Type.Object({ pagination: Pagination, result: Type.Array(HangarVersion) });
