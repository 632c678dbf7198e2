import { Type } from '@sinclair/typebox';
import { DESIRED_STATES, SERVER_STATUSES } from '@minefleet/domain/server-state';
import { DISTRIBUTIONS } from '@minefleet/domain/distributions';
import { REGION_PATTERN, SERVER_NAME_PATTERN } from '@minefleet/domain/names';
import { Nullable, PageQuery, Pagination, Ref, StringEnum, Timestamp, Uuid } from './common.js';

export const PropertyValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
export const ServerProperties = Type.Record(Type.String(), PropertyValue, {
  description: 'server.properties keys and values; see GET /server-properties for the catalogue.',
});

export const ServerStatus = StringEnum(SERVER_STATUSES);

export const Server = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    sku_id: Type.String(),
    minecraft_version: Type.String(),
    distribution: StringEnum(DISTRIBUTIONS),
    region: Type.String({
      description:
        'The region it runs in, fixed at creation; a gateway routes only to servers of its own region (docs/multi-region.md).',
    }),
    runtime: StringEnum(['local', 'kubernetes'] as const, {
      description:
        "What runs its game: `local` (a process on the control plane's machine) or `kubernetes` (a MinecraftServer resource the operator runs; docs/kubernetes.md). One per installation.",
    }),
    status: ServerStatus,
    desired_state: StringEnum(DESIRED_STATES),
    status_reason: Nullable(Type.String()),
    address: Type.Union([Type.Object({ host: Type.String(), port: Type.Integer() }), Type.Null()], {
      description:
        "Where players connect. On the `local` runtime: the game port the server holds from its start until it stops (null while it is stopped, sleeping, failed or deploying; a start takes its last port again when still free). On `kubernetes`: the server's gateway hostname (`<server>.<team>.<game domain>`) and the gateway's port, at all times, since a game pod has no address players can reach (null when the installation has no gateway game domain). Gateway hostnames never change.",
    }),
    max_players: Type.Integer(),
    server_properties: ServerProperties,
    players_online: Nullable(Type.Integer()),
    resources: Type.Object({
      cpu_millicores: Type.Integer(),
      memory_mb: Type.Integer(),
      storage_mb: Type.Integer(),
    }),
    config_revision: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
    started_at: Nullable(Timestamp),
  },
  { $id: 'Server' },
);

export const CreateServerBody = Type.Object(
  {
    name: Type.String({ pattern: SERVER_NAME_PATTERN, minLength: 3, maxLength: 40 }),
    sku_id: Type.String({ maxLength: 64 }),
    minecraft_version: Type.String({ maxLength: 32 }),
    distribution: Type.Optional(StringEnum(DISTRIBUTIONS)),
    server_properties: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 100 }),
    ),
    max_players: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    start: Type.Optional(Type.Boolean()),
    region: Type.Optional(
      Type.String({
        pattern: REGION_PATTERN,
        maxLength: 32,
        description:
          'Where it runs: a-z, 0-9 and "-", at most 32. Default: this installation\'s (MINEFLEET_REGION, else `local`).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ServerListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(
    Type.String({ description: 'One status or several, comma-separated.', maxLength: 200 }),
  ),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the name.' })),
});

export const ServerList = Type.Object({ servers: Type.Array(Ref(Server)), pagination: Ref(Pagination) });

export const Sku = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    cpu_millicores: Type.Integer(),
    memory_mb: Type.Integer(),
    storage_mb: Type.Integer(),
    max_players: Type.Integer(),
    monthly_price_cents: Type.Integer(),
    currency: Type.String(),
    default_properties: ServerProperties,
    backup_storage_bytes: Type.Integer(),
    available: Type.Boolean(),
  },
  { $id: 'Sku' },
);

export const SkuList = Type.Object({ skus: Type.Array(Ref(Sku)) });

export const DistributionList = Type.Object({
  distributions: Type.Array(
    Type.Object({
      distribution: StringEnum(DISTRIBUTIONS),
      versions: Type.Array(Type.String()),
      available: Type.Boolean(),
      reason: Type.Optional(Type.String()),
    }),
  ),
});
