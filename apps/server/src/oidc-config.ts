import { ROLES, type Role } from '@minefleet/domain/roles';

/** One group of the provider's groups claim that makes its members members of a tenant. */
export interface RoleGrant {
  group: string;
  tenantId: string;
  role: Role;
}

/** One OpenID Connect provider users may sign in with (docs/security.md, "Single sign-on"). */
export interface OidcProviderConfig {
  /** Lower-case id in URLs and variable names: `corp` → MINEFLEET_OIDC_CORP_*. */
  id: string;
  /** Shown on the sign-in button. */
  name: string;
  issuer: URL;
  clientId: string;
  /** Unset: a public client (PKCE only). */
  clientSecret: string | undefined;
  scopes: string;
  /** The ID-token (or userinfo) claim listing the user's groups. */
  groupsClaim: string;
  roleMap: RoleGrant[];
}

export class OidcConfigError extends Error {}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PROVIDERS = 16;
const MAX_GRANTS = 200;
/** Owners manage members: a provider's group never makes someone an owner. */
const GRANTABLE: readonly Role[] = ROLES.filter((r) => r !== 'owner');

/** `corp-eu` → `MINEFLEET_OIDC_CORP_EU_`. */
export function oidcVariablePrefix(id: string): string {
  return `MINEFLEET_OIDC_${id.toUpperCase().replaceAll('-', '_')}_`;
}

/** `admins=<tenant-uuid>:admin,devs=<tenant-uuid>:operator`; a group may contain `=`, the last one splits. */
export function parseRoleMap(raw: string, name: string): RoleGrant[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length > MAX_GRANTS) throw new OidcConfigError(`${name}: at most ${MAX_GRANTS} entries.`);
  return entries.map((entry) => {
    const split = entry.lastIndexOf('=');
    const group = entry.slice(0, split).trim();
    const [tenantId, role, extra] = entry
      .slice(split + 1)
      .split(':')
      .map((p) => p.trim());
    if (
      split <= 0 ||
      group.length > 256 ||
      !UUID_RE.test(tenantId ?? '') ||
      !GRANTABLE.includes(role as Role) ||
      extra !== undefined
    ) {
      throw new OidcConfigError(
        `${name}: "${entry}" must look like group=<tenant id>:<role>, the role one of ${GRANTABLE.join(', ')}.`,
      );
    }
    return { group, tenantId: tenantId!.toLowerCase(), role: role as Role };
  });
}

function issuerUrl(raw: string | undefined, name: string): URL {
  let url: URL;
  try {
    url = new URL(raw ?? '');
  } catch {
    throw new OidcConfigError(`${name} must be the provider's issuer URL (got "${raw ?? ''}").`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  // Tokens and the client secret travel to it: plain HTTP only to this machine (development, tests).
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new OidcConfigError(`${name} must be an https:// URL (http:// only on loopback).`);
  }
  return url;
}

/** Reads MINEFLEET_OIDC_PROVIDERS and each listed provider's MINEFLEET_OIDC_<ID>_* variables. */
export function loadOidcConfig(env: NodeJS.ProcessEnv): OidcProviderConfig[] {
  const ids = (env.MINEFLEET_OIDC_PROVIDERS ?? '')
    .split(',')
    .map((id) => id.trim().toLowerCase())
    .filter((id) => id !== '');
  if (ids.length > MAX_PROVIDERS) {
    throw new OidcConfigError(`MINEFLEET_OIDC_PROVIDERS: at most ${MAX_PROVIDERS} providers.`);
  }
  if (new Set(ids).size !== ids.length) {
    throw new OidcConfigError('MINEFLEET_OIDC_PROVIDERS names a provider twice.');
  }
  return ids.map((id) => {
    if (!ID_RE.test(id)) {
      throw new OidcConfigError(
        `MINEFLEET_OIDC_PROVIDERS: "${id}" must be 1-32 lower-case letters, digits or dashes.`,
      );
    }
    const prefix = oidcVariablePrefix(id);
    const read = (suffix: string) => env[`${prefix}${suffix}`]?.trim() || undefined;
    const clientId = read('CLIENT_ID');
    if (!clientId) throw new OidcConfigError(`${prefix}CLIENT_ID is required for provider "${id}".`);
    const name = read('NAME') ?? id;
    if (name.length > 64) throw new OidcConfigError(`${prefix}NAME: at most 64 characters.`);
    const scopes = read('SCOPES') ?? 'openid email profile';
    if (!scopes.split(/\s+/).includes('openid')) {
      throw new OidcConfigError(`${prefix}SCOPES must include "openid".`);
    }
    return {
      id,
      name,
      issuer: issuerUrl(read('ISSUER'), `${prefix}ISSUER`),
      clientId,
      clientSecret: read('CLIENT_SECRET'),
      scopes,
      groupsClaim: read('GROUPS_CLAIM') ?? 'groups',
      roleMap: parseRoleMap(read('ROLE_MAP') ?? '', `${prefix}ROLE_MAP`),
    };
  });
}
