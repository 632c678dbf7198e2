import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { BACKUP_COMPRESSIONS, BACKUP_STATUSES, BACKUP_TYPES } from '@minefleet/domain/enums';
import { BACKUP_SORTS } from '@minefleet/services/backups/backup-service';
import { Nullable, PageQuery, Pagination, Ref, StringEnum, Timestamp, Uuid } from './common.js';

/**
 * A primitive or null as one JSON-schema type list (`["integer", "null"]`), not a union: the API's
 * validator coerces types and would turn `null` into 0 (or 0 into null) for one branch of a union,
 * while a type list leaves a value alone when it is already one of the types.
 */
export const OrNull = <T extends TSchema>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type as string, 'null'] });

export const Backup = Type.Object(
  {
    id: Uuid,
    server_id: Uuid,
    /** The server's name when the backup was taken (kept after the server is deleted). */
    server_name: Type.String(),
    server_deleted: Type.Boolean({ description: 'The server was deleted; restore into another one.' }),
    name: Type.String(),
    status: StringEnum(BACKUP_STATUSES),
    type: StringEnum(BACKUP_TYPES),
    compression: StringEnum(BACKUP_COMPRESSIONS),
    size_bytes: Type.Integer({ description: 'Size of the archive as stored (0 until completed).' }),
    sha256: Nullable(Type.String({ description: 'SHA-256 of the archive as stored (hex).' })),
    tags: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    locked: Type.Boolean({ description: 'Locked backups are never removed, by retention or by hand.' }),
    minecraft_version: Nullable(Type.String()),
    distribution: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
    expires_at: Nullable(Timestamp),
    error: Nullable(Type.String({ description: 'Why it failed, or why the last restore from it failed.' })),
  },
  { $id: 'Backup' },
);

export const BackupQuota = Type.Object(
  {
    used_bytes: Type.Integer({ description: 'Stored archives of the tenant, deleted servers’ included.' }),
    limit_bytes: Type.Integer(),
  },
  { $id: 'BackupQuota' },
);

export const BackupList = Type.Object({
  backups: Type.Array(Ref(Backup)),
  pagination: Ref(Pagination),
  quota: Ref(BackupQuota),
});

const Tags = Type.Array(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,32}$' }), { maxItems: 10 });
const RetainDays = Type.Integer({
  minimum: 1,
  maximum: 3650,
  description:
    'Days until retention removes the backup (unless locked): from its creation, or from the change on PATCH.',
});

export const CreateBackupBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Default: `manual-YYYYMMDD-HHMMSS`.' }),
    ),
    compression: Type.Optional(StringEnum(BACKUP_COMPRESSIONS, { description: 'Default: zstd.' })),
    tags: Type.Optional(Tags),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    retain_days: Type.Optional(RetainDays),
  },
  { additionalProperties: false },
);

export const PatchBackupBody = Type.Object(
  {
    locked: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
    description: Type.Optional(OrNull(Type.String({ maxLength: 500 }))),
    retain_days: Type.Optional(OrNull(RetainDays)),
  },
  { additionalProperties: false },
);

const ListFilters = {
  ...PageQuery,
  status: Type.Optional(
    Type.String({ maxLength: 100, description: 'One status or several, comma-separated.' }),
  ),
  tag: Type.Optional(Type.String({ maxLength: 32 })),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the name.' })),
  sort: Type.Optional(StringEnum(BACKUP_SORTS, { description: 'Default: -created_at (newest first).' })),
};

export const BackupListQuery = Type.Object(ListFilters);

export const TenantBackupListQuery = Type.Object({
  ...ListFilters,
  server_id: Type.Optional(Uuid),
  orphaned: Type.Optional(Type.Boolean({ description: 'Only backups whose server was deleted.' })),
});

export const ServerBackupParams = Type.Object({ id: Uuid, backup_id: Uuid });
export const BackupParams = Type.Object({ backup_id: Uuid });

const Command = Type.String({ minLength: 1, maxLength: 1000 });

const RestoreFields = {
  pre_restore_backup: Type.Optional(
    Type.Boolean({ default: true, description: 'Back up the current world first (type pre_restore).' }),
  ),
  timeout_seconds: Type.Optional(
    Type.Integer({
      minimum: 10,
      maximum: 86_400,
      description:
        'Abandon the restore (world untouched) if the pre-restore backup and extraction take longer.',
    }),
  ),
  post_restore_commands: Type.Optional(
    Type.Array(Command, { maxItems: 20, description: 'Console commands sent once the server runs again.' }),
  ),
  start_after: Type.Optional(
    Type.Boolean({ description: 'Start the server afterwards (default: if it was running before).' }),
  ),
};

export const RestoreBody = Type.Object(RestoreFields, { additionalProperties: false });

export const RestoreAnyBody = Type.Object(
  {
    server_id: Type.Optional(
      Type.Unsafe<string>({
        ...Uuid,
        description:
          'The server to restore into (default: the backup’s own). Any server of the tenant with the same distribution and Minecraft version.',
      }),
    ),
    ...RestoreFields,
  },
  { additionalProperties: false },
);

export const RetentionPolicy = Type.Object(
  {
    keep_last: OrNull(Type.Integer({ minimum: 0, maximum: 1000 })),
    keep_daily: OrNull(Type.Integer({ minimum: 0, maximum: 1000 })),
    keep_weekly: OrNull(Type.Integer({ minimum: 0, maximum: 1000 })),
  },
  { $id: 'RetentionPolicy', additionalProperties: false },
);

export const RetentionView = Type.Object({
  policy: Ref(RetentionPolicy),
  plan: Type.Object({
    delete: Type.Array(Type.Object({ id: Uuid, reason: Type.String() })),
    keep: Type.Array(Type.Object({ id: Uuid, reasons: Type.Array(Type.String()) })),
  }),
});
