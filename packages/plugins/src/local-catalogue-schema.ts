/**
 * The local catalogue file (`builtin/catalogue.json`): plugins shipped with Minefleet or added by an
 * operator for offline hosts. Field names are snake_case like the API.
 */
import { DISTRIBUTIONS } from '@minefleet/domain/distributions';
import { Type, type Static } from '@sinclair/typebox';

export const LOCAL_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const LocalCatalogueVersion = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 64 }),
    minecraft_versions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    distributions: Type.Array(Type.Union(DISTRIBUTIONS.map((d) => Type.Literal(d))), { minItems: 1 }),
    dependencies: Type.Array(
      Type.Object(
        {
          plugin_id: Type.String({ minLength: 1 }),
          version_range: Type.String({ minLength: 1 }),
          optional: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
    ),
    /** Path of the plugin file, relative to the catalogue's folder. */
    file: Type.String({ minLength: 1 }),
    sha256: Sha256,
    size_bytes: Type.Integer({ minimum: 1 }),
    published_at: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const LocalCataloguePlugin = Type.Object(
  {
    slug: Type.String({ pattern: LOCAL_SLUG.source }),
    name: Type.String({ minLength: 1, maxLength: 80 }),
    description: Type.String({ maxLength: 500 }),
    category: Type.String({ minLength: 1 }),
    author: Type.String({ minLength: 1 }),
    homepage: Type.Optional(Type.String()),
    /** The file name the plugin gets on a server; defaults to `<slug>.js` (the flying-squid contract). */
    file_name: Type.Optional(Type.String({ minLength: 1 })),
    versions: Type.Array(LocalCatalogueVersion, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const LocalCatalogueFile = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    format: Type.Literal(1),
    plugins: Type.Array(LocalCataloguePlugin),
  },
  { additionalProperties: false },
);

export type LocalCatalogueFile = Static<typeof LocalCatalogueFile>;
export type LocalCataloguePlugin = Static<typeof LocalCataloguePlugin>;
