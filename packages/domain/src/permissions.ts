import type { Role } from './roles.js';

/**
 * Named permissions: what a member (or an API key) may do in a tenant. Every API route declares the one
 * it needs (`config.permission`); the four built-in roles are named sets of them (ROLE_PERMISSIONS).
 * docs/security.md lists them with what each allows; a test checks the two agree.
 *
 * To add one: add the key here with its description, give it to the roles that should have it below,
 * and declare it on the route.
 */
export const PERMISSION_CATALOGUE = {
  'server.read': 'See servers, their status, address, metrics, player sessions, plans and distributions.',
  'server.create': 'Create servers.',
  'server.delete': 'Delete servers.',
  'control.console': 'Send console commands.',
  'control.start': 'Start servers.',
  'control.stop': 'Stop and kill servers.',
  'control.restart': 'Restart servers.',
  'console.read': 'Read server logs and follow the live console.',
  'file.read': 'List and read server files.',
  'file.write': 'Create, change, upload and delete server files (deleted files go to the server’s trash).',
  'file.purge': 'Remove items from a server’s trash for good.',
  'gateway.update': 'Change a server’s sleep settings, hostnames and who may wake it.',
  'settings.read': 'Read server settings (server.properties) and their revision history.',
  'settings.update': 'Change server settings, memory and version, and roll back to a revision.',
  'backup.read': 'List backups, their retention policy and details.',
  'backup.create': 'Take backups.',
  'backup.download': 'Download backups (and ask for a download link).',
  'backup.update': 'Rename, tag, lock and unlock backups.',
  'backup.restore': 'Restore a backup into a server.',
  'backup.delete': 'Delete backups and set the retention policy.',
  'schedule.read': 'List schedules and their runs.',
  'schedule.create': 'Create schedules.',
  'schedule.update': 'Change, pause and resume schedules.',
  'schedule.delete': 'Delete schedules.',
  'plugin.read': 'Search the plugin catalogue and see installed plugins.',
  'plugin.install': 'Install, enable, disable, update and remove plugins.',
  'player.list': 'See the players online and who is whitelisted, banned or an operator.',
  'player.kick': 'Kick players.',
  'player.ban': 'Ban and unban players.',
  'player.whitelist': 'Change the whitelist.',
  'player.op': 'Make players operators or take it back.',
  'member.read': 'See the members of the tenant and their roles.',
  'member.create': 'Add members.',
  'member.update': 'Change members’ roles.',
  'member.delete': 'Remove members.',
  'role.manage': 'Create, change and delete the tenant’s custom roles (never with more than you hold).',
  'apikey.read': 'List your API keys (with apikey.manage: every key of the tenant).',
  'apikey.create': 'Create API keys (never with more permissions than you hold).',
  'apikey.delete': 'Revoke your API keys (with apikey.manage: any key of the tenant).',
  'apikey.manage': 'See and revoke every API key of the tenant, not only your own.',
  'activity.read': 'Read the tenant’s audit log.',
  'tenant.security': 'Change the tenant’s security settings.',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSION_CATALOGUE;

export const PERMISSIONS = Object.keys(PERMISSION_CATALOGUE) as Permission[];

/**
 * What a route needs besides a named permission: `public` (no credential), `account` (any signed-in
 * member, acting only on their own account: /me, sessions, password, refresh).
 */
export type RouteAccess = Permission | 'public' | 'account';

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSION_CATALOGUE, value);
}

const VIEWER: readonly Permission[] = [
  'server.read',
  'settings.read',
  'backup.read',
  'schedule.read',
  'plugin.read',
  'player.list',
  'file.read',
  'member.read',
  'apikey.read',
  'apikey.create',
  'apikey.delete',
];

const OPERATOR: readonly Permission[] = [
  ...VIEWER,
  'control.console',
  'control.start',
  'control.stop',
  'control.restart',
  'console.read',
  'file.write',
  'gateway.update',
  'backup.create',
  'backup.download',
  'backup.update',
  'backup.restore',
  'schedule.create',
  'schedule.update',
  'schedule.delete',
  'player.kick',
  'player.ban',
  'player.whitelist',
  'player.op',
];

const ADMIN: readonly Permission[] = [
  ...OPERATOR,
  'server.create',
  'server.delete',
  'file.purge',
  'settings.update',
  'backup.delete',
  'plugin.install',
  'activity.read',
  'apikey.manage',
  'role.manage',
];

/** The built-in roles as named sets; each includes the ones before it. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  admin: new Set(ADMIN),
  owner: new Set(PERMISSIONS),
};

/**
 * What a custom role may carry: at most what the built-in admin role holds. Managing members and the
 * tenant's security stay with owners, so no custom role can promote anyone or itself.
 */
export const CUSTOM_ROLE_PERMISSIONS: ReadonlySet<Permission> = new Set(ADMIN);

/** What a member holds: their custom role's permissions when they have one, else their built-in role's. */
export function memberPermissions(
  role: Role,
  customRolePermissions?: readonly string[] | null,
): ReadonlySet<Permission> {
  if (!customRolePermissions) return ROLE_PERMISSIONS[role];
  return new Set(
    customRolePermissions.filter((p): p is Permission => isPermission(p) && CUSTOM_ROLE_PERMISSIONS.has(p)),
  );
}

/**
 * The permissions an API key acts with: the ones it was created with, cut to what its user holds now
 * (a demoted user's keys lose what the user lost); a key made without a list holds all of its user's.
 */
export function effectivePermissions(
  held: ReadonlySet<Permission>,
  keyPermissions?: readonly string[] | null,
): ReadonlySet<Permission> {
  if (!keyPermissions) return held;
  return new Set(keyPermissions.filter((p): p is Permission => isPermission(p) && held.has(p)));
}
