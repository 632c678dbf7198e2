import { describe, expect, it } from 'vitest';
import { loadOidcConfig, OidcConfigError } from './oidc-config.js';

const TENANT = '3f1c2a4e-8b7d-4c6e-9a1b-2c3d4e5f6a7b';

describe('single sign-on configuration', () => {
  it('reads each listed provider from its own variables', () => {
    const providers = loadOidcConfig({
      MINEFLEET_OIDC_PROVIDERS: 'corp, corp-eu',
      MINEFLEET_OIDC_CORP_ISSUER: 'https://id.example.com/realms/main',
      MINEFLEET_OIDC_CORP_CLIENT_ID: 'minefleet',
      MINEFLEET_OIDC_CORP_CLIENT_SECRET: 's3cret',
      MINEFLEET_OIDC_CORP_NAME: 'Example SSO',
      MINEFLEET_OIDC_CORP_GROUPS_CLAIM: 'roles',
      MINEFLEET_OIDC_CORP_ROLE_MAP: `ops=${TENANT}:operator, a=b=${TENANT.toUpperCase()}:admin`,
      MINEFLEET_OIDC_CORP_EU_ISSUER: 'http://127.0.0.1:8081',
      MINEFLEET_OIDC_CORP_EU_CLIENT_ID: 'eu',
    });
    expect(providers).toHaveLength(2);
    expect(providers[0]).toMatchObject({
      id: 'corp',
      name: 'Example SSO',
      clientId: 'minefleet',
      clientSecret: 's3cret',
      scopes: 'openid email profile',
      groupsClaim: 'roles',
      roleMap: [
        { group: 'ops', tenantId: TENANT, role: 'operator' },
        { group: 'a=b', tenantId: TENANT, role: 'admin' },
      ],
    });
    expect(providers[0]!.issuer.href).toBe('https://id.example.com/realms/main');
    // `-` becomes `_` in the variable names; a public client has no secret.
    expect(providers[1]).toMatchObject({ id: 'corp-eu', name: 'corp-eu', clientSecret: undefined });
    expect(loadOidcConfig({})).toEqual([]);
  });

  it.each([
    [{ MINEFLEET_OIDC_PROVIDERS: 'Corp!' }, /lower-case/],
    [{ MINEFLEET_OIDC_PROVIDERS: 'a,a' }, /twice/],
    [{ MINEFLEET_OIDC_PROVIDERS: 'corp', MINEFLEET_OIDC_CORP_ISSUER: 'https://id.example.com' }, /CLIENT_ID/],
    [
      {
        MINEFLEET_OIDC_PROVIDERS: 'corp',
        MINEFLEET_OIDC_CORP_CLIENT_ID: 'x',
        MINEFLEET_OIDC_CORP_ISSUER: 'http://id.example.com',
      },
      /https/,
    ],
    [
      {
        MINEFLEET_OIDC_PROVIDERS: 'corp',
        MINEFLEET_OIDC_CORP_CLIENT_ID: 'x',
        MINEFLEET_OIDC_CORP_ISSUER: 'https://id.example.com',
        MINEFLEET_OIDC_CORP_ROLE_MAP: `admins=${TENANT}:owner`,
      },
      /ROLE_MAP.*viewer, operator, admin/,
    ],
    [
      {
        MINEFLEET_OIDC_PROVIDERS: 'corp',
        MINEFLEET_OIDC_CORP_CLIENT_ID: 'x',
        MINEFLEET_OIDC_CORP_ISSUER: 'https://id.example.com',
        MINEFLEET_OIDC_CORP_ROLE_MAP: 'admins=not-a-tenant:admin',
      },
      /ROLE_MAP/,
    ],
    [
      {
        MINEFLEET_OIDC_PROVIDERS: 'corp',
        MINEFLEET_OIDC_CORP_CLIENT_ID: 'x',
        MINEFLEET_OIDC_CORP_ISSUER: 'https://id.example.com',
        MINEFLEET_OIDC_CORP_SCOPES: 'email profile',
      },
      /openid/,
    ],
  ])('refuses a bad configuration at start (%#)', (env, message) => {
    expect(() => loadOidcConfig(env)).toThrow(OidcConfigError);
    expect(() => loadOidcConfig(env)).toThrow(message);
  });
});
