import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import { AccountService } from '@minefleet/services/accounts';
import { ApiKeyService } from '@minefleet/services/api-keys';
import { AttemptLimiter } from '@minefleet/services/attempt-limiter';
import type { AuditLog } from '@minefleet/services/audit';
import { AuthCache } from '@minefleet/services/auth-cache';
import { EmailIdentityService } from '@minefleet/services/email-identity';
import { SignupService } from '@minefleet/services/signup';
import { MemberService } from '@minefleet/services/members';
import { PasskeyService } from '@minefleet/services/passkeys';
import { PlatformAdmins } from '@minefleet/services/platform-admins';
import { RoleService } from '@minefleet/services/roles';
import { SessionStore } from '@minefleet/services/sessions';
import { SessionTokens } from '@minefleet/services/tokens';
import { TenantSecurityService } from '@minefleet/services/tenant-security';
import { TwoFactorService } from '@minefleet/services/two-factor';
import type { Config } from './config.js';
import type { ServerService } from '@minefleet/services/servers';
import { apiKeyRoutes } from './http/routes/api-keys.js';
import { authRoutes } from './http/routes/auth.js';
import { identityRoutes } from './http/routes/identity.js';
import { meRoutes } from './http/routes/me.js';
import { memberRoutes } from './http/routes/members.js';
import { passkeyRoutes } from './http/routes/passkeys.js';
import { roleRoutes } from './http/routes/roles.js';
import { twoFactorRoutes } from './http/routes/two-factor.js';
import { oidcRoutes } from './http/routes/oidc.js';
import { SsoAccounts } from '@minefleet/services/sso-accounts';
import { DeviceLogins } from '@minefleet/services/device-logins';
import { FlowSealer } from './oidc/flow-cookie.js';
import { OidcClients } from './oidc/oidc-clients.js';
import { createMailer } from './mailer.js';

/**
 * Accounts, sessions, email proof, API keys, members and platform administrators, built once by the
 * composition root (docs/security.md).
 */
export function createIdentityPlatform(options: {
  config: Config;
  database: Database;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
}) {
  const { config, database, clock, audit, logger } = options;
  const identity = config.identity;
  const tokens = new SessionTokens(config.jwtSecret, config.sessionTtlSeconds, clock);
  const authCache = new AuthCache(clock, config.authCacheTtlMs);
  const platformAdmins = new PlatformAdmins(database, config.plugins.platformAdmins);
  const sessions = new SessionStore(database, clock, authCache, {
    idleMs: identity.sessionIdleSeconds * 1000,
    maxMs: identity.sessionMaxSeconds * 1000,
  });
  const limiter = new AttemptLimiter(clock);
  // With PORT=0 (tests, ephemeral installs) the configured URL has no real port until listening.
  let listeningAt: string | undefined;
  const publicUrl = () => (config.port === 0 && listeningAt ? listeningAt : config.publicUrl);
  const twoFactor = new TwoFactorService({
    db: database,
    clock,
    limiter,
    secret: config.jwtSecret,
    cache: authCache,
  });
  const passkeys = new PasskeyService({
    db: database,
    clock,
    limiter,
    cache: authCache,
    twoFactor,
    // RP ID and origin follow the public URL unless set (docs/security.md, Passkeys).
    relyingParty: () => {
      const url = new URL(publicUrl());
      return {
        id: identity.webauthn.rpId ?? url.hostname,
        name: identity.webauthn.rpName,
        origins: identity.webauthn.origins ?? [url.origin],
      };
    },
  });
  const accounts = new AccountService(
    database,
    tokens,
    audit,
    clock,
    authCache,
    sessions,
    {
      limiter,
      perAddress: identity.loginPerAddressPerMinute,
      perAccount: identity.loginPerAccountPerMinute,
    },
    twoFactor,
  );
  const mailer = createMailer({ smtpUrl: identity.smtpUrl, from: identity.mailFrom }, logger);
  const emailIdentity = new EmailIdentityService({
    db: database,
    clock,
    mailer,
    audit,
    cache: authCache,
    sessions,
    platformAdmins,
    limiter,
    publicUrl,
  });
  const signups = new SignupService({
    db: database,
    clock,
    audit,
    mail: emailIdentity,
    logger,
  });
  if (!identity.smtpUrl) {
    logger.warn(
      'MINEFLEET_SMTP_URL is not set: verification and password-reset mail is written to this log instead of sent',
    );
  }
  if (identity.trustProxyDeprecated) {
    logger.warn(
      { trusted: identity.trustedProxies },
      'MINEFLEET_TRUST_PROXY=1 is deprecated: X-Forwarded-For is now honoured only from loopback and private addresses; list your proxies in MINEFLEET_TRUSTED_PROXIES',
    );
  }
  const apiKeys = new ApiKeyService(database, clock, authCache);
  const members = new MemberService(database, authCache);
  return {
    tokens,
    authCache,
    platformAdmins,
    sessions,
    accounts,
    emailIdentity,
    apiKeys,
    members,
    /** Sign-up and sign-in, the caller's account (with `servers`: its servers), email, 2FA, keys, members. */
    routes: (servers: ServerService): FastifyPluginAsyncTypebox[] => [
      authRoutes({
        accounts,
        signups,
        loginRateLimitPerMinute: config.loginRateLimitPerMinute,
        signupRateLimitPerHour: config.signupRateLimitPerHour,
      }),
      meRoutes({ accounts, servers }),
      identityRoutes({ accounts, emailIdentity, sessions }),
      twoFactorRoutes({
        accounts,
        twoFactor,
        tenantSecurity: new TenantSecurityService(database, authCache, config.oidc.length > 0),
      }),
      passkeyRoutes({ accounts, passkeys }),
      roleRoutes({ roles: new RoleService(database, authCache) }),
      oidcRoutes({
        clients: new OidcClients(config.oidc, () => clock.now(), logger),
        ssoAccounts: new SsoAccounts({
          db: database,
          clock,
          accounts,
          audit,
          cache: authCache,
          platformAdmins,
        }),
        sealer: new FlowSealer(config.jwtSecret, () => clock.now()),
        devices: new DeviceLogins(database, clock, config.jwtSecret),
        publicUrl,
      }),
      apiKeyRoutes({ apiKeys }),
      memberRoutes({ members }),
    ],
    /** The address the HTTP server listens on, once it does. */
    listening: (url: string) => {
      listeningAt = url;
    },
    close: async () => {
      await signups.close();
      mailer.close();
    },
  };
}
