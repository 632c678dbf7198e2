/**
 * The error catalogue: every failure the platform reports to a caller has one stable code here.
 *
 * The domain knows codes and what they mean; it does not know HTTP. The one place that maps a code to
 * an HTTP status is the API boundary (apps/server/src/http/error-status.ts), and a test checks that every
 * code below has a status there and a row in docs/errors.md. Tests assert `error.code`, never message text.
 */
export const ERROR_CATALOGUE = {
  // Requests
  VALIDATION_FAILED: 'The request does not match the schema; details list each problem.',
  INVALID_JSON: 'The request body is not valid JSON.',
  INVALID_ID: 'An identifier in the path is malformed.',
  INVALID_TIME: 'A time parameter is not an ISO-8601 timestamp or a relative duration.',
  INVALID_TEXT:
    'A text value contains a NUL character (U+0000) or an unpaired surrogate (invalid Unicode); details name the field.',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the limit.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type the route does not accept.',
  ROUTE_NOT_FOUND: 'No route matches the method and path.',
  RATE_LIMITED: 'Too many requests; retry after the time in the Retry-After header.',
  STREAM_LIMIT: 'The caller already holds as many live streams as allowed; close one first.',

  // Accounts and access
  UNAUTHENTICATED: 'No valid session token or API key was given.',
  TOKEN_EXPIRED: 'The session token or API key has expired.',
  INVALID_CREDENTIALS: 'The email or password is wrong (the same answer for both).',
  FORBIDDEN: 'The caller’s role in the tenant does not allow this action.',
  EMAIL_TAKEN: 'An account with this email already exists.',
  WEAK_PASSWORD: 'The password is too short or too common.',
  INVALID_EMAIL: 'The email address is not valid.',
  USER_NOT_FOUND: 'No user with this id or email.',
  TENANT_NOT_FOUND: 'No tenant with this id that the caller belongs to.',
  MEMBER_NOT_FOUND: 'The user is not a member of this tenant.',
  MEMBER_EXISTS: 'The user is already a member of this tenant.',
  ROLE_NOT_FOUND: 'No custom role with this id or name in this tenant.',
  ROLE_EXISTS: 'The tenant already has a role with this name.',
  ROLE_IN_USE: 'Members still hold this custom role; give them another role first.',
  LAST_OWNER: 'The tenant must keep at least one owner.',
  API_KEY_NOT_FOUND: 'No API key with this id in the tenant.',
  EMAIL_NOT_VERIFIED: 'The account’s email address is not verified yet; follow the link sent to it first.',
  LINK_INVALID: 'The emailed link (verification, password reset, email change) is unknown, used or expired.',
  MFA_REQUIRED:
    'The password was right and the account has two-factor sign-in: send a code with details.mfa_token to /auth/login/mfa.',
  PASSKEY_CHALLENGE_INVALID:
    'The passkey challenge is unknown, used, expired, or for another ceremony or account; ask for new options.',
  PASSKEY_REJECTED:
    'The passkey’s answer did not verify (unknown or another account’s passkey, origin, signature, counter).',
  PASSKEY_NOT_FOUND: 'No passkey with this id among the caller’s passkeys.',
  MFA_ENROLMENT_REQUIRED:
    'The tenant requires two-factor sign-in: turn it on for your account (/me/2fa) to act in this tenant.',
  SESSION_NOT_FOUND: 'No session with this id among the caller’s sessions.',
  OIDC_PROVIDER_NOT_FOUND: 'No single sign-on provider with this id is configured.',
  OIDC_PROVIDER_UNAVAILABLE:
    'The single sign-on provider could not be reached or its discovery document is invalid.',
  OIDC_FLOW_INVALID:
    'The single sign-on attempt is unknown, expired or was started in another browser; start it again.',
  OIDC_STATE_MISMATCH:
    'The provider’s answer does not carry the state of this sign-in attempt (possible forgery).',
  OIDC_NONCE_MISMATCH: 'The ID token does not carry the nonce of this sign-in attempt (possible replay).',
  OIDC_PROVIDER_ERROR:
    'The provider refused the sign-in or its answer (code, tokens, ID token) did not verify.',
  OIDC_EMAIL_UNVERIFIED:
    'The provider did not assert a verified email address (`email_verified`) for the account.',
  OIDC_LINK_REFUSED:
    'A local account has this email but has not verified it: sign in with its password and verify the email first.',
  SSO_REQUIRED:
    'The tenant accepts only single sign-on: sign in with its provider, not a password (details.tenant_id).',
  DEVICE_LOGIN_PENDING:
    'The command-line sign-in is not finished in the browser yet; poll again after the interval.',

  // Plans and quotas
  INVALID_SKU: 'The plan does not exist or is not available.',
  QUOTA_EXCEEDED: 'The tenant’s quota (servers, memory or backup storage) does not allow this.',
  STORAGE_LIMIT_REACHED:
    'The server’s files take its whole plan storage: delete files before starting it (details: used and limit bytes).',

  // Servers
  SERVER_NOT_FOUND: 'No server with this id in the caller’s tenant.',
  SERVER_NAME_TAKEN: 'Another server in the tenant has this name.',
  UNSUPPORTED_VERSION: 'The distribution does not support this Minecraft version.',
  UNSUPPORTED_DISTRIBUTION: 'The distribution is unknown or not enabled on this host.',
  INVALID_PROPERTY: 'A server property is unknown or has a value of the wrong type or range.',
  INVALID_TRANSITION: 'The server’s current state does not allow this action.',
  SERVER_NOT_RUNNING: 'The server is not running.',
  SERVER_BUSY: 'Another operation on this server is in progress.',
  REVISION_NOT_FOUND: 'No configuration revision with this number.',
  NO_PORT_AVAILABLE:
    'Every game port of the configured range is held by a running server; stop one or widen the range.',
  HOST_CAPACITY:
    'Starting the server would put the memory of running servers past the host’s share; stop one first.',
  RUNTIME_UNAVAILABLE: 'The runtime could not run the server (missing Java, download failed, ...).',
  RUNTIME_UNSUPPORTED:
    'The server’s runtime cannot do this (the Kubernetes runtime has no backups or plugins yet); details name what is missing.',
  DISTRIBUTION_UNAVAILABLE: 'The server software could not be obtained or verified.',
  HOSTNAME_TAKEN: 'Another server already answers to this hostname (hostnames are unique platform-wide).',
  INVALID_HOSTNAME: 'The hostname is not a valid DNS name, or lies under the platform’s own game domain.',

  // Backups and schedules
  BACKUP_NOT_FOUND: 'No backup with this id for this server.',
  BACKUP_NAME_TAKEN: 'Another backup of this server has this name.',
  BACKUP_NOT_READY: 'The backup is not completed, so it cannot be downloaded or restored.',
  BACKUP_CORRUPT: 'The backup archive does not match its recorded checksum.',
  BACKUP_LOCKED: 'The backup is locked and cannot be deleted.',
  BACKUP_DELETE_PENDING:
    'The backup store could not delete the archive now; the backup stays deleting and retention removes it.',
  BACKUP_INCOMPATIBLE: 'The backup is of another distribution or Minecraft version than the server.',
  SCHEDULE_NOT_FOUND: 'No schedule with this id for this server.',
  INVALID_CRON: 'The cron expression is not valid.',

  // Plugins
  PLUGIN_NOT_FOUND: 'No plugin (or plugin version) with this id.',
  PLUGIN_INCOMPATIBLE:
    'The plugin has no approved version for the server’s Minecraft version and distribution.',
  DEPENDENCY_CONFLICT: 'The plugin’s dependencies cannot be satisfied together; details give the chain.',
  PLUGIN_HAS_DEPENDENTS: 'Another installed plugin depends on this one.',
  PLUGIN_ALREADY_INSTALLED: 'The plugin is already installed on this server.',
  PLUGIN_HASH_MISMATCH: 'The downloaded plugin does not match its published hash; nothing was installed.',
  INSTALLATION_NOT_FOUND: 'No plugin installation with this id on this server.',
  PLUGIN_SOURCE_UNAVAILABLE: 'The plugin source (Modrinth, Hangar, ...) could not be reached.',

  // Players
  INVALID_PLAYER: 'A player name is not 1–16 characters of A-Z, a-z, 0-9 and "_".',
  PLAYER_NOT_FOUND: 'No Minecraft account has this name, or the player is not online.',
  PLAYER_LOOKUP_UNAVAILABLE: 'The Minecraft account service (name to UUID) could not be reached.',
  PLAYER_CHANGE_NOT_LIVE: 'The running server cannot apply this change live; stop it first.',
  // Files
  INVALID_PATH:
    'The file path is malformed: absolute, with "..", a NUL or control character, a backslash, or too long.',
  PATH_OUTSIDE_SERVER: 'The path leads out of the server’s folder (through a symbolic link).',
  PATH_PROTECTED:
    'The path belongs to the platform (its state folder or a file it writes) and cannot be changed.',
  FILE_NOT_FOUND: 'No file or folder at this path in the server’s folder.',
  FILE_EXISTS: 'A file or folder already exists at the destination.',
  FILE_TYPE_MISMATCH: 'The path is a folder where a file is needed, or the other way round.',
  FILE_CHANGED:
    'The file changed since it was read (its ETag no longer matches If-Match); nothing was written.',
  FILE_TOO_LARGE: 'The file is larger than this operation allows (edit, search, upload chunk).',
  FILE_VERSION_NOT_FOUND: 'No saved version with this number for this file.',
  TRASH_ITEM_NOT_FOUND: 'No item with this id in the server’s trash.',
  UPLOAD_NOT_FOUND: 'No upload with this id for this server (finished, cancelled or expired).',
  UPLOAD_OFFSET_MISMATCH: 'The chunk does not start at the upload’s current offset; ask it with HEAD.',
  ARCHIVE_UNSAFE:
    'The archive has an entry that leaves its folder, a link, or expands beyond the size, entry or ratio limits; nothing was written.',
  INVALID_CONFIG_FILE: 'The YAML or TOML file does not parse, or the edit does not fit its structure.',

  // Platform
  DATABASE_UNAVAILABLE: 'The database cannot be reached.',
  SHUTTING_DOWN: 'The control plane is shutting down.',
  PLATFORM_BACKUP_IN_PROGRESS: 'A platform backup is already being taken; try again when it ends.',
  PLATFORM_BACKUP_NOT_FOUND: 'No platform backup with this name in the backup store.',
  PLATFORM_BACKUP_FAILED:
    'The platform backup could not be taken; details.reason gives the cause (docs/operations.md).',
  INTERNAL: 'An unexpected error; the request id in the logs tells what happened.',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** A failure with a stable code. Services throw these; the API boundary turns them into responses. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOGUE[code]);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
