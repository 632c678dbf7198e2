/**
 * The one schema of Minefleet (PostgreSQL dialect, kept CockroachDB-compatible: UUID keys, no serial
 * counters shared across rows, no LISTEN/NOTIFY, no advisory locks).
 *
 * Migrations are generated from this file (`npm run db:generate -w @minefleet/db`) into ../migrations,
 * plus hand-written ones for roles and row-level security. Enumerations come from @minefleet/domain so
 * no enum is typed twice; they are stored as text with CHECK constraints.
 *
 * Tenant-owned tables carry `tenant_id` and are guarded by row-level security (see migrations/*_rls.sql):
 * the application queries as the role `minefleet_app` with `app.tenant` set per transaction.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  foreignKey,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { DESIRED_STATES, SERVER_STATUSES } from '@minefleet/domain/server-state';
import { ROLES } from '@minefleet/domain/roles';
import { DISTRIBUTIONS } from '@minefleet/domain/distributions';
import {
  BACKUP_COMPRESSIONS,
  BACKUP_STATUSES,
  BACKUP_TYPES,
  INSTALLATION_STATUSES,
  PLUGIN_APPROVALS,
  SCHEDULE_ACTIONS,
  AUDIT_OUTCOMES,
  METRIC_RESOLUTIONS,
} from '@minefleet/domain/enums';

/** `column IN ('a','b',...)` for a CHECK constraint built from a domain enum. */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`${column} IN (${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`);
}

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const tenantId = () => uuid('tenant_id').notNull();

// ─── Accounts ────────────────────────────────────────────────────────────────────────────────────

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** Quotas; null means "use the platform default". */
  maxServers: integer('max_servers'),
  maxMemoryMb: integer('max_memory_mb'),
  backupStorageBytes: bigint('backup_storage_bytes', { mode: 'number' }),
  /** Members must have two-factor sign-in on to act in this tenant (docs/security.md). */
  require2fa: boolean('require_2fa').notNull().default(false),
  /** Members act in this tenant only with a session opened by single sign-on (docs/security.md). */
  ssoOnly: boolean('sso_only').notNull().default(false),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased; unique. */
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name').notNull(),
    /** Platform administrators approve plugins and see platform-wide settings. */
    isPlatformAdmin: boolean('is_platform_admin').notNull().default(false),
    /** When the user proved they read mail at `email`; null until then (see docs/security.md). */
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    /** TOTP secret, encrypted (AES-256-GCM, key derived from the JWT secret); set once enrolment starts. */
    totpSecret: text('totp_secret'),
    /** When the TOTP enrolment was confirmed with a code: from then on sign-in asks for a second factor. */
    totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
    /** The last 30-second step whose code was accepted: a code is never accepted twice. */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

/** Single-use recovery codes of a user's second factor; only a SHA-256 of each is kept. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: createdAt(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    index('recovery_codes_user_idx').on(t.userId),
    uniqueIndex('recovery_codes_hash_key').on(t.codeHash),
  ],
);

/**
 * Passkeys (WebAuthn credentials) of a user: a second factor, and a sign-in of their own (discoverable
 * credentials). Owned by a user, not a tenant, like recovery codes: only system transactions keyed by
 * user or credential id read them. The public key is not secret; `counter` is the authenticator's last
 * signature counter, and a response whose counter does not move forward is refused.
 */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The credential id, base64url, as the authenticator gave it. */
    credentialId: text('credential_id').notNull(),
    /** The COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull().default(0),
    /** Transports the authenticator named (`internal`, `usb`, `hybrid`…), comma-separated. */
    transports: text('transports').notNull().default(''),
    name: text('name').notNull(),
    /** `singleDevice` or `multiDevice` (synced), as the authenticator said. */
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [index('passkeys_user_idx').on(t.userId), uniqueIndex('passkeys_credential_key').on(t.credentialId)],
);

/**
 * WebAuthn challenges handed out by the server: each is used once (deleted as it is checked) and
 * expires within minutes. `user_id` is null for a passwordless sign-in, where the user is not known yet.
 */
export const webauthnChallenges = pgTable(
  'webauthn_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** `register`, `second-factor` or `sign-in`: a challenge answers only the ceremony it was made for. */
    purpose: text('purpose').notNull(),
    challenge: text('challenge').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('webauthn_challenges_expires_idx').on(t.expiresAt)],
);

/**
 * Sign-in sessions, one row per signed-in device. A session token names its row (`sid`); a revoked,
 * idle or too old row ends every token of it. Owned by a user, not a tenant (switching tenant keeps the
 * session), so no row-level security: only system transactions keyed by user read it.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The User-Agent it signed in with (bounded), shown in the session list. */
    device: text('device').notNull(),
    ip: text('ip'),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** The absolute end: no refresh goes past it. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** How the session was opened: `password` or `sso` (a tenant may accept only the latter). */
    method: text('method', { enum: ['password', 'sso'] })
      .notNull()
      .default('password'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/**
 * Single sign-on identities linked to an account: the provider's issuer and its `sub` for the person,
 * which stays the same when their email changes at the provider. Linked on the first single sign-on
 * and looked up first on every later one (docs/security.md). One subject per issuer and account.
 * Owned by a user, not a tenant, like passkeys: no row-level security; only system transactions keyed
 * by issuer and subject, or by user, read it.
 */
export const oidcIdentities = pgTable(
  'oidc_identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The ID token's `iss` (the provider's issuer URL). */
    issuer: text('issuer').notNull(),
    /** The ID token's `sub`: at most 255 characters (OpenID Connect Core). */
    subject: text('subject').notNull(),
    /** The provider's id in this installation when it was linked (`corp`), for people reading the row. */
    provider: text('provider').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('oidc_identities_subject_key').on(t.issuer, t.subject),
    uniqueIndex('oidc_identities_user_issuer_key').on(t.userId, t.issuer),
  ],
);

/**
 * Command-line single sign-on waiting for its browser (`minefleet login --sso`): short-lived (minutes),
 * completed once by the provider's callback and taken once by the command line's poll, on any replica.
 * `id` is public (it travels in the browser's URL); only a SHA-256 of the poll secret is kept, and the
 * outcome (a session token, or an error) is sealed with a key derived from the JWT secret. Not owned by
 * a tenant: no row-level security; only system transactions read it.
 */
export const deviceLogins = pgTable(
  'device_logins',
  {
    id: text('id').primaryKey(),
    secretHash: text('secret_hash').notNull(),
    /** The provider id it was started with. */
    provider: text('provider').notNull(),
    /** The client address that started it: waiting sign-ins are bounded per address. */
    ip: text('ip').notNull(),
    /** The browser's outcome, sealed; null while waiting. */
    outcome: text('outcome'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('device_logins_secret_key').on(t.secretHash),
    index('device_logins_ip_idx').on(t.ip, t.expiresAt),
    index('device_logins_expires_idx').on(t.expiresAt),
  ],
);

export const EMAIL_TOKEN_PURPOSES = ['verify', 'reset', 'change'] as const;

/** Single-use tokens sent by email (verification, password reset, email change); only a hash is kept. */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
    /** SHA-256 of the token (256 random bits, so a fast hash is enough). */
    tokenHash: text('token_hash').notNull(),
    /** The address being proven: the account's for `verify`, the new one for `change`. */
    email: text('email').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('email_tokens_hash_key').on(t.tokenHash),
    index('email_tokens_user_idx').on(t.userId),
    check('email_tokens_purpose_check', oneOf('purpose', EMAIL_TOKEN_PURPOSES)),
  ],
);

/**
 * A tenant's own roles: a name and a set of permission keys (docs/security.md, "Custom roles"). The
 * permissions are stored as given; the auth check keeps only those a custom role may carry.
 */
export const customRoles = pgTable(
  'custom_roles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    permissions: text('permissions').array().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('custom_roles_tenant_name_key').on(t.tenantId, sql`lower(${t.name})`),
    // The target of the memberships' tenant-bound foreign key.
    uniqueIndex('custom_roles_tenant_id_key').on(t.tenantId, t.id),
  ],
);

export const memberships = pgTable(
  'memberships',
  {
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The built-in role; `viewer` underneath a custom role (which then decides what the member holds). */
    role: text('role', { enum: ROLES }).notNull(),
    /** A custom role of the same tenant, or null. A role still held cannot be deleted (the foreign key). */
    customRoleId: uuid('custom_role_id'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
    index('memberships_custom_role_idx').on(t.customRoleId),
    check('memberships_role_check', oneOf('role', ROLES)),
    foreignKey({
      name: 'memberships_custom_role_fk',
      columns: [t.tenantId, t.customRoleId],
      foreignColumns: [customRoles.tenantId, customRoles.id],
    }).onDelete('no action'),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the key (after `mf_`), shown in lists so users can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key (keys are 256-bit random, so a fast hash is enough). */
    keyHash: text('key_hash').notNull(),
    /** The permissions the key was limited to at creation; null: all of its user's (docs/security.md). */
    permissions: text('permissions').array(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_hash_key').on(t.keyHash), index('api_keys_tenant_idx').on(t.tenantId)],
);

// ─── Plans ───────────────────────────────────────────────────────────────────────────────────────

export const skus = pgTable('skus', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull(),
  cpuMillicores: integer('cpu_millicores').notNull(),
  memoryMb: integer('memory_mb').notNull(),
  storageMb: integer('storage_mb').notNull(),
  maxPlayers: integer('max_players').notNull(),
  monthlyPriceCents: integer('monthly_price_cents').notNull(),
  currency: text('currency').notNull().default('USD'),
  /** server.properties defaults of servers created from this plan. */
  defaultProperties: jsonb('default_properties').$type<Record<string, string | number | boolean>>().notNull(),
  /** Backups included in the plan, in bytes, added to the tenant's storage quota per server. */
  backupStorageBytes: bigint('backup_storage_bytes', { mode: 'number' }).notNull(),
  available: boolean('available').notNull().default(true),
  sortOrder: integer('sort_order').notNull().default(0),
});

// ─── Servers ─────────────────────────────────────────────────────────────────────────────────────

export const servers = pgTable(
  'servers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    skuId: text('sku_id')
      .notNull()
      .references(() => skus.id),
    distribution: text('distribution', { enum: DISTRIBUTIONS }).notNull(),
    minecraftVersion: text('minecraft_version').notNull(),
    status: text('status', { enum: SERVER_STATUSES }).notNull().default('deploying'),
    desiredState: text('desired_state', { enum: DESIRED_STATES }).notNull().default('stopped'),
    statusReason: text('status_reason'),
    /**
     * The control plane (replica id) running a maintenance job on it (a restore) while it is `restoring`:
     * when that replica dies, the owner sees it gone and ends the state (null otherwise).
     */
    maintenanceWorker: text('maintenance_worker'),
    /** Resource limits copied from the plan at creation (a plan change does not move live servers). */
    cpuMillicores: integer('cpu_millicores').notNull(),
    memoryMb: integer('memory_mb').notNull(),
    storageMb: integer('storage_mb').notNull(),
    maxPlayers: integer('max_players').notNull(),
    serverProperties: jsonb('server_properties').$type<Record<string, string | number | boolean>>().notNull(),
    /** Latest configuration revision number (0 before the first change). */
    configRevision: integer('config_revision').notNull().default(0),
    /**
     * The game port the server holds in port_allocations: taken at start, freed when it stops (null
     * while it holds none). See docs/runtime.md, "Game ports".
     */
    port: integer('port'),
    /** The port it held last: a start takes it again when it is still free, so the address stays put. */
    lastPort: integer('last_port'),
    /** Process generation: bumped on every start so stale timers and events are ignored. */
    generation: integer('generation').notNull().default(0),
    /** Crash-loop accounting for backoff. */
    crashCount: integer('crash_count').notNull().default(0),
    lastCrashAt: timestamp('last_crash_at', { withTimezone: true }),
    playersOnline: integer('players_online'),
    /**
     * The region the server runs in, fixed at creation (docs/multi-region.md): a gateway routes only to
     * servers of its own region (MINEFLEET_REGION). Rows from before regions existed are `local`.
     */
    region: text('region').notNull().default('local'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('servers_tenant_name_key').on(t.tenantId, t.name),
    // Serves the list order (created_at desc, id desc) straight from the index, no sort.
    index('servers_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('servers_status_idx').on(t.status),
    check('servers_status_check', oneOf('status', SERVER_STATUSES)),
    check('servers_desired_state_check', oneOf('desired_state', DESIRED_STATES)),
    check('servers_distribution_check', oneOf('distribution', DISTRIBUTIONS)),
  ],
);

/** Game ports in use, platform-wide: a port is never handed out twice. Not tenant-owned. */
export const portAllocations = pgTable('port_allocations', {
  port: integer('port').primaryKey(),
  serverId: uuid('server_id').notNull().unique(),
  allocatedAt: timestamp('allocated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const serverConfigRevisions = pgTable(
  'server_config_revisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    revision: integer('revision').notNull(),
    /** The whole configuration after this revision: name, max_players, server_properties. */
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
    /** What changed: `[{field, from, to}]`. */
    changes: jsonb('changes').$type<{ field: string; from: unknown; to: unknown }[]>().notNull(),
    actorUserId: uuid('actor_user_id'),
    /** Set when this revision restores an earlier one. */
    rollbackOf: integer('rollback_of'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('server_config_revisions_server_rev_key').on(t.serverId, t.revision)],
);

// ─── Plugins ─────────────────────────────────────────────────────────────────────────────────────

/** The plugin catalogue is platform-wide (not tenant-owned). */
export const plugins = pgTable(
  'plugins',
  {
    /** `source:slug`, e.g. `local:hello`, `modrinth:luckperms`. */
    id: text('id').primaryKey(),
    source: text('source').notNull(),
    sourceId: text('source_id').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull().default('misc'),
    author: text('author').notNull().default(''),
    homepage: text('homepage'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('plugins_category_idx').on(t.category)],
);

export const pluginVersions = pgTable(
  'plugin_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pluginId: text('plugin_id')
      .notNull()
      .references(() => plugins.id, { onDelete: 'cascade' }),
    version: text('version').notNull(),
    minecraftVersions: jsonb('minecraft_versions').$type<string[]>().notNull(),
    distributions: jsonb('distributions').$type<string[]>().notNull(),
    dependencies: jsonb('dependencies')
      .$type<{ plugin_id: string; version_range: string; optional: boolean }[]>()
      .notNull(),
    downloadUrl: text('download_url').notNull(),
    fileName: text('file_name').notNull(),
    sha256: text('sha256'),
    sha512: text('sha512'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    approval: text('approval', { enum: PLUGIN_APPROVALS }).notNull().default('pending'),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('plugin_versions_plugin_version_key').on(t.pluginId, t.version),
    check('plugin_versions_approval_check', oneOf('approval', PLUGIN_APPROVALS)),
  ],
);

export const serverPlugins = pgTable(
  'server_plugins',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    pluginId: text('plugin_id')
      .notNull()
      .references(() => plugins.id),
    version: text('version').notNull(),
    status: text('status', { enum: INSTALLATION_STATUSES }).notNull().default('installing'),
    enabled: boolean('enabled').notNull().default(true),
    /** Installed only because another plugin needs it. */
    asDependency: boolean('as_dependency').notNull().default(false),
    configOverrides: jsonb('config_overrides').$type<Record<string, unknown>>().notNull().default({}),
    fileName: text('file_name'),
    /** Why the last install or upgrade failed: an error code of the catalogue, and the message. */
    errorCode: text('error_code'),
    error: text('error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('server_plugins_server_plugin_key').on(t.serverId, t.pluginId),
    check('server_plugins_status_check', oneOf('status', INSTALLATION_STATUSES)),
  ],
);

// ─── Backups and schedules ───────────────────────────────────────────────────────────────────────

export const backups = pgTable(
  'backups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    /** Not a foreign key: backups outlive their server (restorable into a new one until they expire). */
    serverId: uuid('server_id').notNull(),
    serverName: text('server_name').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: BACKUP_STATUSES }).notNull().default('pending'),
    type: text('type', { enum: BACKUP_TYPES }).notNull().default('manual'),
    compression: text('compression', { enum: BACKUP_COMPRESSIONS }).notNull().default('gzip'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull().default(0),
    sha256: text('sha256'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    description: text('description'),
    /** Key of the archive in the backup store. */
    storageKey: text('storage_key').notNull(),
    /** What the archive was taken from, to restore into a matching server. */
    minecraftVersion: text('minecraft_version'),
    distribution: text('distribution'),
    locked: boolean('locked').notNull().default(false),
    /** The control-plane instance working on it: a backup left `running` by a dead instance is failed on boot. */
    workerId: text('worker_id'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    error: text('error'),
  },
  (t) => [
    uniqueIndex('backups_server_name_key').on(t.serverId, t.name),
    index('backups_tenant_server_idx').on(t.tenantId, t.serverId, t.createdAt),
    index('backups_expires_idx').on(t.expiresAt),
    check('backups_status_check', oneOf('status', BACKUP_STATUSES)),
    check('backups_type_check', oneOf('type', BACKUP_TYPES)),
    check('backups_compression_check', oneOf('compression', BACKUP_COMPRESSIONS)),
  ],
);

/** Per-server retention policy: keep the last N, plus daily and weekly tiers. */
export const retentionPolicies = pgTable('retention_policies', {
  serverId: uuid('server_id')
    .primaryKey()
    .references(() => servers.id, { onDelete: 'cascade' }),
  tenantId: tenantId(),
  keepLast: integer('keep_last'),
  keepDaily: integer('keep_daily'),
  keepWeekly: integer('keep_weekly'),
  updatedAt: updatedAt(),
});

export const schedules = pgTable(
  'schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    name: text('name'),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    action: text('action', { enum: SCHEDULE_ACTIONS }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    enabled: boolean('enabled').notNull().default(true),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    lastStatus: text('last_status'),
    /**
     * Who created the schedule: each run re-checks that they are still a member holding the action's
     * permission. Null for schedules created before this was recorded (they run as the tenant). No
     * foreign key on purpose: a deleted user must not turn into null (which would run unchecked).
     */
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('schedules_next_run_idx').on(t.nextRunAt),
    check('schedules_action_check', oneOf('action', SCHEDULE_ACTIONS)),
  ],
);

/** One row per (schedule, planned time): the unique key is what prevents a double run. */
export const scheduleRuns = pgTable(
  'schedule_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    status: text('status').notNull().default('running'),
    error: text('error'),
  },
  (t) => [uniqueIndex('schedule_runs_schedule_time_key').on(t.scheduleId, t.scheduledFor)],
);

// ─── Observability ───────────────────────────────────────────────────────────────────────────────

export const metricsSamples = pgTable(
  'metrics_samples',
  {
    tenantId: tenantId(),
    serverId: uuid('server_id').notNull(),
    /** `raw`, `1m` or `1h`: downsampled series are kept longer than raw samples. */
    resolution: text('resolution', { enum: METRIC_RESOLUTIONS }).notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    playersOnline: integer('players_online'),
    maxPlayers: integer('max_players'),
    cpuPercent: doublePrecision('cpu_percent'),
    memoryBytes: bigint('memory_bytes', { mode: 'number' }),
    diskBytes: bigint('disk_bytes', { mode: 'number' }),
    tps: doublePrecision('tps'),
    mspt: doublePrecision('mspt'),
    pingMs: doublePrecision('ping_ms'),
    uptimeSeconds: integer('uptime_seconds'),
  },
  (t) => [
    primaryKey({ columns: [t.serverId, t.resolution, t.ts] }),
    // Downsampling reads the newest rows of one resolution and retention deletes the oldest, across
    // servers: both by (resolution, ts), which the primary key (server first) cannot serve.
    index('metrics_samples_resolution_ts_idx').on(t.resolution, t.ts),
    check('metrics_samples_resolution_check', oneOf('resolution', METRIC_RESOLUTIONS)),
  ],
);

export const playerSessions = pgTable(
  'player_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    serverId: uuid('server_id').notNull(),
    playerName: text('player_name').notNull(),
    playerUuid: text('player_uuid'),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull(),
    leftAt: timestamp('left_at', { withTimezone: true }),
  },
  (t) => [index('player_sessions_server_idx').on(t.serverId, t.joinedAt)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Null for events that belong to no tenant (e.g. a failed sign-in for an unknown email). */
    tenantId: uuid('tenant_id'),
    actorUserId: uuid('actor_user_id'),
    actorApiKeyId: uuid('actor_api_key_id'),
    /** e.g. `auth.login`, `server.create`, `api_key.revoke`. */
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    serverId: uuid('server_id'),
    outcome: text('outcome', { enum: AUDIT_OUTCOMES }).notNull(),
    statusCode: integer('status_code'),
    requestId: text('request_id'),
    ip: text('ip'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_tenant_time_idx').on(t.tenantId, t.createdAt),
    check('audit_events_outcome_check', oneOf('outcome', AUDIT_OUTCOMES)),
  ],
);

/** Leases: which control-plane replica owns a piece of background work (reconcile, schedules). */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** Tables whose rows belong to a tenant and are guarded by row-level security. */
export const TENANT_TABLES = [
  'memberships',
  'custom_roles',
  'api_keys',
  'servers',
  'server_config_revisions',
  'server_plugins',
  'backups',
  'retention_policies',
  'schedules',
  'schedule_runs',
  'metrics_samples',
  'player_sessions',
  'audit_events',
] as const;

// ─── Gateway: hostnames, sleep and wake ─────────────────────────────────────────────────────────

/** A tenant's label in the platform's game hostnames (`<server>.<slug>.<game domain>`); unique. */
export const tenantSlugs = pgTable('tenant_slugs', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  slug: text('slug').notNull().unique(),
});

/** Per-server gateway settings, the cached last real status, and recent start times. */
export const serverGateway = pgTable('server_gateway', {
  serverId: uuid('server_id')
    .primaryKey()
    .references(() => servers.id, { onDelete: 'cascade' }),
  tenantId: tenantId(),
  sleepEnabled: boolean('sleep_enabled').notNull().default(false),
  idleAfterSeconds: integer('idle_after_seconds').notNull().default(600),
  /** `stop` (world saved, process ended) or `freeze` (process paused in memory). */
  sleepMode: text('sleep_mode').notNull().default('stop'),
  /** A frozen server is stopped for real after this long. */
  freezeMaxSeconds: integer('freeze_max_seconds').notNull().default(3600),
  /** Send a PROXY v2 header to the game (only for servers that accept one). */
  proxyProtocol: boolean('proxy_protocol').notNull().default(false),
  /** Players who may wake the server by joining; empty: anyone. */
  wakers: jsonb('wakers').$type<string[]>().notNull().default([]),
  /** The server's last real server-list status (MOTD, icon, version, max players). */
  lastStatus: jsonb('last_status').$type<Record<string, unknown>>(),
  lastStatusAt: timestamp('last_status_at', { withTimezone: true }),
  /** Milliseconds from start to ready of its recent starts, newest last. */
  startDurationsMs: jsonb('start_durations_ms').$type<number[]>().notNull().default([]),
  /** When it went to sleep or was frozen (null while it runs). */
  asleepSince: timestamp('asleep_since', { withTimezone: true }),
  updatedAt: updatedAt(),
});

/** Custom hostnames, unique platform-wide (`*.domain` for a wildcard). */
export const serverHostnames = pgTable(
  'server_hostnames',
  {
    hostname: text('hostname').primaryKey(),
    tenantId: tenantId(),
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [index('server_hostnames_server_idx').on(t.serverId)],
);

/** Every wake: who joined, from what state, how long until the server was ready, and how it ended. */
export const serverWakes = pgTable(
  'server_wakes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    player: text('player'),
    fromStatus: text('from_status').notNull(),
    /** `ready`, `too_slow` (player told to join again), `failed`, `refused`. */
    outcome: text('outcome').notNull(),
    durationMs: integer('duration_ms'),
    /** How long it had slept (running time saved). */
    asleepMs: bigint('asleep_ms', { mode: 'number' }),
    message: text('message'),
  },
  (t) => [index('server_wakes_server_at_idx').on(t.serverId, t.at)],
);
