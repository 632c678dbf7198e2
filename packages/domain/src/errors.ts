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
  PAYLOAD_TOO_LARGE: 'The request body is larger than the limit.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type the route does not accept.',
  ROUTE_NOT_FOUND: 'No route matches the method and path.',
  RATE_LIMITED: 'Too many requests; retry after the time in the Retry-After header.',

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
  LAST_OWNER: 'The tenant must keep at least one owner.',
  API_KEY_NOT_FOUND: 'No API key with this id in the tenant.',

  // Plans and quotas
  INVALID_SKU: 'The plan does not exist or is not available.',
  QUOTA_EXCEEDED: 'The tenant’s quota (servers, memory or backup storage) does not allow this.',

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
  NO_PORT_AVAILABLE: 'Every port of the configured range is allocated.',
  RUNTIME_UNAVAILABLE: 'The runtime could not run the server (missing Java, download failed, ...).',
  DISTRIBUTION_UNAVAILABLE: 'The server software could not be obtained or verified.',

  // Backups and schedules
  BACKUP_NOT_FOUND: 'No backup with this id for this server.',
  BACKUP_NAME_TAKEN: 'Another backup of this server has this name.',
  BACKUP_NOT_READY: 'The backup is not completed, so it cannot be downloaded or restored.',
  BACKUP_CORRUPT: 'The backup archive does not match its recorded checksum.',
  BACKUP_LOCKED: 'The backup is locked and cannot be deleted.',
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

  // Platform
  DATABASE_UNAVAILABLE: 'The database cannot be reached.',
  SHUTTING_DOWN: 'The control plane is shutting down.',
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
