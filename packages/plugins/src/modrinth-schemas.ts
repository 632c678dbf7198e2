/**
 * The parts of Modrinth API v2 payloads Minefleet reads (docs.modrinth.com, Labrinth's openapi.yaml:
 * SearchResults, Project, Version, VersionFile, VersionDependency, TeamMember).
 */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) =>
  Type.Optional(Type.Union([t, Type.Null()]));

export const ModrinthSearchHit = Type.Object({
  project_id: Type.String(),
  slug: Type.String(),
  title: Type.String(),
  description: Type.String(),
  categories: Type.Array(Type.String()),
  display_categories: Type.Optional(Type.Array(Type.String())),
  author: Type.String(),
  versions: Type.Array(Type.String()),
  downloads: Type.Integer(),
  project_type: Type.String(),
});

export const ModrinthSearchResults = Type.Object({
  hits: Type.Array(ModrinthSearchHit),
  offset: Type.Integer(),
  limit: Type.Integer(),
  total_hits: Type.Integer(),
});

export const ModrinthProject = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  title: Type.String(),
  description: Type.String(),
  categories: Type.Array(Type.String()),
  additional_categories: Type.Optional(Type.Array(Type.String())),
  loaders: Type.Optional(Type.Array(Type.String())),
  project_type: Type.String(),
  source_url: Nullable(Type.String()),
});
export type ModrinthProject = Static<typeof ModrinthProject>;

export const ModrinthDependency = Type.Object({
  version_id: Nullable(Type.String()),
  project_id: Nullable(Type.String()),
  file_name: Nullable(Type.String()),
  dependency_type: Type.String(),
});
export type ModrinthDependency = Static<typeof ModrinthDependency>;

export const ModrinthFile = Type.Object({
  hashes: Type.Object({ sha512: Type.Optional(Type.String()), sha1: Type.Optional(Type.String()) }),
  url: Type.String(),
  filename: Type.String(),
  primary: Type.Boolean(),
  size: Type.Integer({ minimum: 0 }),
});

export const ModrinthVersion = Type.Object({
  id: Type.String(),
  project_id: Type.String(),
  version_number: Type.String(),
  date_published: Type.String(),
  status: Type.Optional(Type.String()),
  game_versions: Type.Array(Type.String()),
  loaders: Type.Array(Type.String()),
  files: Type.Array(ModrinthFile),
  dependencies: Type.Array(ModrinthDependency),
});
export type ModrinthVersion = Static<typeof ModrinthVersion>;

export const ModrinthVersionList = Type.Array(ModrinthVersion);

export const ModrinthTeamMembers = Type.Array(
  Type.Object({ role: Type.String(), user: Type.Object({ username: Type.String() }) }),
);
