import { ApiError } from './api.js';

/**
 * What each API error code means to a person using the dashboard. The API's own message is often
 * precise (it names the property or the limit), so it is shown under this sentence, with the code.
 */
const FRIENDLY: Record<string, string> = {
  NETWORK_ERROR: 'The Minefleet server could not be reached. Check your connection and try again.',
  VALIDATION_FAILED: 'Some of what you entered is not valid.',
  INVALID_JSON: 'The request was malformed.',
  INVALID_ID: 'That link points to something that does not exist.',
  INVALID_TIME: 'That time is not in a format the server understands (try 2025-01-31T12:00 or 15m).',
  PAYLOAD_TOO_LARGE: 'That is too large to send.',
  ROUTE_NOT_FOUND: 'This feature is not available on this server yet.',
  RATE_LIMITED: 'Too many attempts. Wait a moment and try again.',
  UNAUTHENTICATED: 'Please sign in again.',
  TOKEN_EXPIRED: 'Your session has expired. Please sign in again.',
  INVALID_CREDENTIALS: 'That email and password do not match an account.',
  FORBIDDEN: 'Your role in this team does not allow this.',
  EMAIL_TAKEN: 'Another account already uses this email address.',
  WEAK_PASSWORD: 'Choose a longer password (at least 10 characters).',
  INVALID_EMAIL: 'That email address does not look right.',
  USER_NOT_FOUND: 'No user with that email was found.',
  TENANT_NOT_FOUND: 'That team does not exist or you are not a member.',
  MEMBER_NOT_FOUND: 'That member is no longer in this team.',
  MEMBER_EXISTS: 'That person is already a member of this team.',
  ROLE_NOT_FOUND: 'That role no longer exists in this team.',
  ROLE_EXISTS: 'This team already has a role with that name (built-in names are taken too).',
  ROLE_IN_USE: 'Members still hold this role. Give them another role first.',
  LAST_OWNER: 'A team needs at least one owner.',
  API_KEY_NOT_FOUND: 'That API key no longer exists.',
  INVALID_SKU: 'That plan is not available.',
  QUOTA_EXCEEDED: 'Your team has reached its limit for this.',
  STORAGE_LIMIT_REACHED:
    'The server’s files fill its plan’s storage. Delete files (Files tab), then start it.',
  SERVER_NOT_FOUND: 'That server does not exist, or it belongs to another team.',
  SERVER_NAME_TAKEN: 'Your team already has a server with that name.',
  UNSUPPORTED_VERSION: 'That Minecraft version is not supported for this server software.',
  UNSUPPORTED_DISTRIBUTION: 'That server software is not supported here.',
  INVALID_PROPERTY: 'One of the settings has a value the server does not accept.',
  INVALID_TRANSITION: 'The server cannot do that in its current state.',
  SERVER_NOT_RUNNING: 'The server is not running. Start it first.',
  SERVER_BUSY: 'The server is busy with another operation. Try again in a moment.',
  REVISION_NOT_FOUND: 'That settings revision does not exist.',
  NO_PORT_AVAILABLE: 'Every game port of this host is in use by a running server; stop one first.',
  HOST_CAPACITY: 'The host has no memory left for another running server; stop one first.',
  RUNTIME_UNAVAILABLE: 'The host cannot run game servers right now.',
  DISTRIBUTION_UNAVAILABLE: 'That server software cannot be installed on this host right now.',
  BACKUP_NOT_FOUND: 'That backup does not exist.',
  BACKUP_NAME_TAKEN: 'This server already has a backup with that name.',
  BACKUP_NOT_READY: 'That backup has not finished yet.',
  BACKUP_CORRUPT: 'That backup is damaged (its checksum does not match) and cannot be restored.',
  BACKUP_LOCKED: 'That backup is locked.',
  BACKUP_DELETE_PENDING:
    'The backup storage could not delete that backup just now. It stays marked "deleting" and is removed automatically; you can also try again.',
  SCHEDULE_NOT_FOUND: 'That schedule no longer exists.',
  INVALID_CRON: 'That schedule is not a valid cron expression (e.g. "0 4 * * *" for 04:00 daily).',
  PLUGIN_NOT_FOUND: 'That plugin does not exist.',
  PLUGIN_INCOMPATIBLE: 'That plugin does not support this server’s Minecraft version or software.',
  DEPENDENCY_CONFLICT: 'That plugin’s dependencies conflict with what is installed.',
  PLUGIN_HAS_DEPENDENTS: 'Another installed plugin depends on this one. Remove that one first.',
  PLUGIN_ALREADY_INSTALLED: 'That plugin is already installed.',
  PLUGIN_HASH_MISMATCH: 'The plugin download did not match its checksum, so it was not installed.',
  INSTALLATION_NOT_FOUND: 'That plugin installation no longer exists.',
  PLUGIN_SOURCE_UNAVAILABLE: 'The plugin source cannot be reached right now.',
  DATABASE_UNAVAILABLE: 'The Minefleet server is having trouble with its database. Try again shortly.',
  SHUTTING_DOWN: 'The Minefleet server is restarting. Try again in a moment.',
  INTERNAL: 'Something went wrong on the Minefleet server.',
  PASSKEY_CHALLENGE_INVALID: 'The passkey prompt took too long or was already answered. Try again.',
  PASSKEY_REJECTED: 'That passkey was not accepted for this account.',
  PASSKEY_NOT_FOUND: 'That passkey no longer exists.',
  OIDC_PROVIDER_NOT_FOUND: 'That sign-in provider is not configured on this server.',
  OIDC_PROVIDER_UNAVAILABLE: 'The sign-in provider cannot be reached right now. Try again shortly.',
  OIDC_FLOW_INVALID: 'That sign-in attempt expired or was started in another browser. Start again.',
  OIDC_STATE_MISMATCH: 'The sign-in answer did not belong to this attempt, so it was refused. Start again.',
  OIDC_NONCE_MISMATCH: 'The sign-in answer did not belong to this attempt, so it was refused. Start again.',
  OIDC_PROVIDER_ERROR: 'The sign-in provider did not confirm who you are.',
  OIDC_EMAIL_UNVERIFIED: 'The sign-in provider did not confirm your email address.',
  SSO_REQUIRED: 'This team accepts only single sign-on. Use its "Sign in with" button.',
  OIDC_LINK_REFUSED:
    'An account with your email exists but has not verified it. Sign in with its password and verify the email first.',
};

/** An error that arrived as a code and message rather than an API answer (a sign-on redirect). */
export function describeCode(code: string, message: string | undefined): ShownError {
  const summary = FRIENDLY[code] ?? 'The request failed.';
  return {
    summary,
    detail: message && message !== summary ? message : undefined,
    code,
    requestId: undefined,
  };
}

export interface ShownError {
  /** A sentence for people. */
  summary: string;
  /** The API's own message, when it adds something. */
  detail: string | undefined;
  code: string;
  requestId: string | undefined;
}

export function describeError(error: unknown): ShownError {
  if (error instanceof ApiError) {
    const summary = FRIENDLY[error.code] ?? 'The request failed.';
    const detail = error.message && error.message !== summary ? error.message : undefined;
    return { summary, detail, code: error.code, requestId: error.requestId };
  }
  const message = error instanceof Error ? error.message : String(error);
  // The browser's WebAuthn prompt: cancelled, timed out, or no passkey for this site on the device.
  if (error instanceof Error && ['NotAllowedError', 'AbortError', 'InvalidStateError'].includes(error.name)) {
    return {
      summary:
        error.name === 'InvalidStateError'
          ? 'This device already holds a passkey for your account.'
          : 'The passkey prompt was cancelled or timed out.',
      detail: message,
      code: 'PASSKEY_CANCELLED',
      requestId: undefined,
    };
  }
  return {
    summary: 'Something went wrong in the dashboard.',
    detail: message,
    code: 'CLIENT_ERROR',
    requestId: undefined,
  };
}
