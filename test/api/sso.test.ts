import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { authenticator } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberships, oidcIdentities, tenants, users } from '@minefleet/db/schema';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { freePort } from '@minefleet/testkit/ports';
import { startOidcProvider, type RunningOidcProvider } from '@minefleet/testkit/oidc-provider';
import { CookieBrowser } from '@minefleet/testkit/redirects';
import type { TestApi } from '@minefleet/testkit/api';

/**
 * Single sign-on against a real OpenID provider (oidc-provider on loopback): discovery, PKCE, state
 * and nonce, the ID token and userinfo, the account found or created, groups mapped to tenant roles,
 * and a second factor still asked for. The browser's redirects are followed by hand with cookies.
 */
describe.each(testBackends())('single sign-on on %s', (backend) => {
  let cp: RunningControlPlane;
  let idp: RunningOidcProvider;
  let api: TestApi;
  const opsTenant = randomUUID();
  let n = 0;

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({ redirectUris: [`${base}/api/v1/auth/oidc/corp/callback`] });
    cp = await startControlPlane(backend, {
      env: {
        PORT: String(port),
        MINEFLEET_PUBLIC_URL: base,
        MINEFLEET_OIDC_PROVIDERS: 'corp',
        MINEFLEET_OIDC_CORP_NAME: 'Corp Login',
        MINEFLEET_OIDC_CORP_ISSUER: idp.issuer,
        MINEFLEET_OIDC_CORP_CLIENT_ID: idp.clientId,
        MINEFLEET_OIDC_CORP_CLIENT_SECRET: idp.clientSecret,
        MINEFLEET_OIDC_CORP_SCOPES: 'openid email profile groups',
        MINEFLEET_OIDC_CORP_ROLE_MAP: `minefleet-ops=${opsTenant}:operator,minefleet-leads=${opsTenant}:admin`,
      },
    });
    api = cp.api;
    // The tenant the provider's groups name (made by its owner before SSO was configured).
    await cp.db.database.system((tx) => tx.insert(tenants).values({ id: opsTenant, name: 'Ops' }));
  });
  afterAll(async () => {
    await cp?.close();
    await idp?.close();
  });

  /** A person at the provider with a fresh email; `sub` is theirs. */
  function person(identity: { email_verified?: boolean; groups?: string[]; email?: string } = {}) {
    const sub = `person-${n++}`;
    const email = identity.email ?? `sso-${process.pid}-${Date.now()}-${sub}@example.com`;
    idp.setAccount(sub, {
      email,
      email_verified: identity.email_verified ?? true,
      name: `Person ${sub}`,
      groups: identity.groups ?? [],
    });
    return { sub, email };
  }

  const isLanding = (url: URL) => url.origin === cp.url && url.pathname === '/sso';
  const isCallback = (url: URL) => url.pathname === '/api/v1/auth/oidc/corp/callback';
  const fragment = (url: URL) => Object.fromEntries(new URLSearchParams(url.hash.slice(1)));

  /** Starts at the control plane, through the provider, back to the dashboard's landing page. */
  async function signIn(sub: string, amr?: string[], browser = new CookieBrowser()) {
    idp.loginAs(sub, amr);
    const landed = await browser.follow(`${cp.url}/api/v1/auth/oidc/corp/start`, isLanding);
    return fragment(landed);
  }

  it('lists the configured providers publicly', async () => {
    const res = await api.get('/auth/oidc/providers');
    expect(res.status).toBe(200);
    expect(res.body.providers).toEqual([
      { id: 'corp', name: 'Corp Login', start_url: `${cp.url}/api/v1/auth/oidc/corp/start` },
    ]);
    expect((await api.get('/auth/oidc/nope/start')).body.error.code).toBe('OIDC_PROVIDER_NOT_FOUND');
  });

  it('sends the browser to the provider with PKCE, state and nonce', async () => {
    const browser = new CookieBrowser();
    const res = await browser.get(new URL(`${cp.url}/api/v1/auth/oidc/corp/start`));
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get('client_id')).toBe(idp.clientId);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(to.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(to.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(to.searchParams.get('redirect_uri')).toBe(`${cp.url}/api/v1/auth/oidc/corp/callback`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('minefleet_oidc='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // Sealed: neither the state nor the nonce can be read from the cookie.
    expect(cookie).not.toContain(to.searchParams.get('state')!);
  });

  it('creates an account with a verified email and maps the group to a tenant role', async () => {
    const { sub, email } = person({ groups: ['minefleet-ops', 'unrelated'] });
    const out = await signIn(sub);
    expect(out.error).toBeUndefined();
    expect(out.token).toBeTruthy();
    const me = await api.get('/me', out.token);
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.user.email_verified).toBe(true);
    expect(me.body.tenant.id).toBe(opsTenant);
    expect(me.body.role).toBe('operator');
    expect(me.body.tenants.map((t: { tenant: { id: string } }) => t.tenant.id)).toEqual([opsTenant]);
    // The same session a password sign-in gives: listed, refreshable, ended by logout.
    const sessions = await api.get('/me/sessions', out.token);
    expect(sessions.body.sessions).toHaveLength(1);
    expect((await api.post('/auth/refresh', {}, out.token)).status).toBe(200);

    // Signing in again finds the same account; a group now naming a stronger role changes it.
    idp.setAccount(sub, { email, email_verified: true, groups: ['minefleet-leads'] });
    const again = await signIn(sub);
    const me2 = await api.get('/me', again.token);
    expect(me2.body.user.id).toBe(me.body.user.id);
    expect(me2.body.role).toBe('admin');
    const rows = await cp.db.database.system((tx) => tx.select().from(users).where(eq(users.email, email)));
    expect(rows).toHaveLength(1);
    expect((await api.post('/auth/logout', {}, again.token)).status).toBe(204);
    expect((await api.get('/me', again.token)).status).toBe(401);
  });

  it('gives a person without a mapped group a tenant of their own', async () => {
    const { sub } = person();
    const out = await signIn(sub);
    const me = await api.get('/me', out.token);
    expect(me.body.role).toBe('owner');
    expect(me.body.tenant.id).not.toBe(opsTenant);
  });

  it('signs in to an existing verified account; refuses to link an unverified one', async () => {
    const verified = await api.signup('sso-linked');
    const { sub } = person({ email: verified.email, groups: ['minefleet-ops'] });
    const out = await signIn(sub);
    const me = await api.get('/me', out.token);
    expect(me.body.user.id).toBe(verified.userId);
    // The first tenant the groups name; the user's own is still theirs.
    expect(me.body.tenant.id).toBe(opsTenant);
    expect(me.body.tenants).toHaveLength(2);

    const unverified = await api.signup('sso-unverified', { verify: false });
    const other = person({ email: unverified.email, groups: ['minefleet-ops'] });
    const refused = await signIn(other.sub);
    expect(refused.token).toBeUndefined();
    expect(refused.error).toBe('OIDC_LINK_REFUSED');
    const joined = await cp.db.database.system((tx) =>
      tx.select().from(memberships).where(eq(memberships.userId, unverified.userId)),
    );
    expect(joined.map((m) => m.tenantId)).toEqual([unverified.tenantId]);
  });

  it('finds the account by issuer and subject when the email changes at the provider', async () => {
    const { sub, email } = person();
    const first = await signIn(sub);
    const me = await api.get('/me', first.token);
    const links = await cp.db.database.system((tx) =>
      tx.select().from(oidcIdentities).where(eq(oidcIdentities.userId, me.body.user.id)),
    );
    expect(links.map((l) => ({ issuer: l.issuer, subject: l.subject, provider: l.provider }))).toEqual([
      { issuer: idp.issuer, subject: sub, provider: 'corp' },
    ]);

    // A new address at the provider (not even verified there yet): the same person, the same account,
    // whose own proven email stays as it was; no second account is made for the new address.
    const renamed = `renamed-${email}`;
    idp.setAccount(sub, { email: renamed, email_verified: false, groups: [] });
    const again = await signIn(sub);
    expect(again.error).toBeUndefined();
    const me2 = await api.get('/me', again.token);
    expect(me2.body.user.id).toBe(me.body.user.id);
    expect(me2.body.user.email).toBe(email);
    const made = await cp.db.database.system((tx) => tx.select().from(users).where(eq(users.email, renamed)));
    expect(made).toHaveLength(0);
  });

  it('does not link by email an account linked to another person at the same provider', async () => {
    const owner = person();
    const signedIn = await signIn(owner.sub);
    const ownerId = (await api.get('/me', signedIn.token)).body.user.id as string;
    // The provider gave the address to someone else (a new subject): the account stays closed to them.
    const successor = person({ email: owner.email });
    const refused = await signIn(successor.sub);
    expect(refused.token).toBeUndefined();
    expect(refused.error).toBe('OIDC_LINK_REFUSED');
    const links = await cp.db.database.system((tx) =>
      tx.select().from(oidcIdentities).where(eq(oidcIdentities.subject, successor.sub)),
    );
    expect(links).toHaveLength(0);
    // The linked person still signs in.
    expect((await api.get('/me', (await signIn(owner.sub)).token)).body.user.id).toBe(ownerId);
  });

  it('refuses an email the provider does not call verified', async () => {
    const { sub, email } = person({ email_verified: false });
    const out = await signIn(sub);
    expect(out.error).toBe('OIDC_EMAIL_UNVERIFIED');
    const rows = await cp.db.database.system((tx) => tx.select().from(users).where(eq(users.email, email)));
    expect(rows).toHaveLength(0);
  });

  it('still asks a two-factor account for its code unless the provider asserted a second factor', async () => {
    const user = await api.signup('sso-2fa');
    const begun = await api.post('/me/2fa/totp', { password: user.password }, user.token);
    const secret = begun.body.secret as string;
    const code = (offset: number) =>
      authenticator.clone({ epoch: Date.now() + offset * 30_000 }).generate(secret);
    expect((await api.post('/me/2fa/totp/confirm', { code: code(-1) }, user.token)).status).toBe(200);
    const { sub } = person({ email: user.email });

    const half = await signIn(sub, ['pwd']);
    expect(half.token).toBeUndefined();
    expect(half.mfa_token).toBeTruthy();
    // The half-done step is no session.
    expect((await api.get('/me', half.mfa_token)).status).toBe(401);
    const wrong = await api.post('/auth/login/mfa', { mfa_token: half.mfa_token, code: '000000' });
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    const done = await api.post('/auth/login/mfa', { mfa_token: half.mfa_token, code: code(0) });
    expect(done.status).toBe(200);
    expect((await api.get('/me', done.body.token)).body.user.id).toBe(user.userId);

    const asserted = await signIn(sub, ['pwd', 'otp']);
    expect(asserted.mfa_token).toBeUndefined();
    expect((await api.get('/me', asserted.token)).body.user.id).toBe(user.userId);
  });

  it('refuses a tampered state, a tampered nonce, and a callback without its attempt', async () => {
    const { sub } = person();
    idp.loginAs(sub);

    // State: the provider's answer is changed on its way back.
    let browser = new CookieBrowser();
    const callback = await browser.follow(`${cp.url}/api/v1/auth/oidc/corp/start`, isCallback);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state-value-0123456789');
    let landed = await browser.follow(forged.href, isLanding);
    expect(fragment(landed).error).toBe('OIDC_STATE_MISMATCH');
    expect(fragment(landed).token).toBeUndefined();

    // The attempt's cookie is cleared: the genuine answer cannot be used afterwards either.
    landed = await browser.follow(callback.href, isLanding);
    expect(fragment(landed).error).toBe('OIDC_FLOW_INVALID');

    // Another browser (no attempt cookie) cannot use someone's callback URL.
    browser = new CookieBrowser();
    const stolen = await browser.follow(`${cp.url}/api/v1/auth/oidc/corp/start`, isCallback);
    landed = await new CookieBrowser().follow(stolen.href, isLanding);
    expect(fragment(landed).error).toBe('OIDC_FLOW_INVALID');

    // Nonce: the authorization request is changed on its way to the provider.
    browser = new CookieBrowser();
    const start = await browser.get(new URL(`${cp.url}/api/v1/auth/oidc/corp/start`));
    const toProvider = new URL(start.headers.get('location')!);
    toProvider.searchParams.set('nonce', 'another-nonce-0123456789abcdef');
    landed = await browser.follow(toProvider.href, isLanding);
    expect(fragment(landed).error).toBe('OIDC_NONCE_MISMATCH');
    expect(fragment(landed).token).toBeUndefined();
  });

  it('lets a tenant accept only single sign-on: password sessions and sign-ins are refused there', async () => {
    const user = await api.signup('sso-only');
    const put = (token: string, body: unknown) =>
      api.request('PUT', '/api/v1/tenant/security', { token, body });
    // From a password session it would shut its owner out: refused.
    const early = await put(user.token, { sso_only: true });
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('SSO_REQUIRED');

    const { sub } = person({ email: user.email });
    const sso = (await signIn(sub)).token!;
    expect((await api.get('/me', sso)).body.tenant.id).toBe(user.tenantId);
    const set = await put(sso, { sso_only: true });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ require_2fa: false, sso_only: true });
    expect((await api.get('/tenant/security', sso)).body.sso_only).toBe(true);

    // The password session opened before ends its access to the tenant; the SSO one keeps it.
    const old = await api.get('/me', user.token);
    expect(old.status).toBe(403);
    expect(old.body.error.code).toBe('SSO_REQUIRED');
    expect((await api.get('/servers', sso)).status).toBe(200);
    const login = await api.post('/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('SSO_REQUIRED');

    // With a second tenant that takes passwords, a password signs in there, never into this one.
    idp.setAccount(sub, { email: user.email, email_verified: true, groups: ['minefleet-ops'] });
    const both = (await signIn(sub)).token!;
    const other = await api.post('/auth/login', { email: user.email, password: user.password });
    expect(other.status).toBe(200);
    expect(other.body.tenant.id).toBe(opsTenant);
    const named = await api.post('/auth/login', {
      email: user.email,
      password: user.password,
      tenant_id: user.tenantId,
    });
    expect(named.body.error.code).toBe('SSO_REQUIRED');
    const switched = await api.post('/auth/switch-tenant', { tenant_id: user.tenantId }, other.body.token);
    expect(switched.status).toBe(403);
    expect(switched.body.error.code).toBe('SSO_REQUIRED');
    const ssoSwitch = await api.post('/auth/switch-tenant', { tenant_id: user.tenantId }, both);
    expect(ssoSwitch.status).toBe(200);
    expect((await api.get('/me', ssoSwitch.body.token)).body.tenant.id).toBe(user.tenantId);

    expect((await put(ssoSwitch.body.token, { sso_only: false })).body.sso_only).toBe(false);
    expect((await api.get('/me', user.token)).status).toBe(200);
  });

  it('answers JSON to an API client instead of redirecting', async () => {
    const { sub, email } = person({ groups: ['minefleet-ops'] });
    idp.loginAs(sub);
    const json = { accept: 'application/json' };
    const browser = new CookieBrowser();
    const start = await browser.get(new URL(`${cp.url}/api/v1/auth/oidc/corp/start`), json);
    expect(start.status).toBe(200);
    const { authorization_url } = (await start.json()) as { authorization_url: string };
    expect(new URL(authorization_url).origin).toBe(idp.issuer);
    const callback = await browser.follow(authorization_url, isCallback);

    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state-value-0123456789');
    const refused = await browser.get(forged, json);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('OIDC_STATE_MISMATCH');

    // The refusal ended the attempt; a new one with the genuine answer signs in.
    const again = await browser.get(new URL(`${cp.url}/api/v1/auth/oidc/corp/start`), json);
    const url = ((await again.json()) as { authorization_url: string }).authorization_url;
    const ok = await browser.get(await browser.follow(url, isCallback), json);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { token: string; user: { email: string }; role: string };
    expect(body.user.email).toBe(email);
    expect(body.role).toBe('operator');
    expect((await api.get('/me', body.token)).status).toBe(200);
  });

  it('signs in the command line through the browser (device-style)', async () => {
    const { sub, email } = person({ groups: ['minefleet-ops'] });
    const begun = await api.post('/auth/oidc/corp/device', {});
    expect(begun.status).toBe(201);
    const pending = await api.post('/auth/oidc/device/token', { device_code: begun.body.device_code });
    expect(pending.status).toBe(428);
    expect(pending.body.error.code).toBe('DEVICE_LOGIN_PENDING');
    // The URL the CLI prints carries no secret: polling with what is in it gets nothing.
    const id = new URL(begun.body.verification_url).searchParams.get('device')!;
    expect((await api.post('/auth/oidc/device/token', { device_code: `${id}xxxxxxxx` })).status).toBe(400);

    idp.loginAs(sub);
    const landed = await new CookieBrowser().follow(begun.body.verification_url, isLanding);
    expect(fragment(landed)).toEqual({ device: 'done' });
    const got = await api.post('/auth/oidc/device/token', { device_code: begun.body.device_code });
    expect(got.status).toBe(200);
    expect(got.body.user.email).toBe(email);
    expect((await api.get('/me', got.body.token)).body.tenant.id).toBe(opsTenant);
    // Once.
    const twice = await api.post('/auth/oidc/device/token', { device_code: begun.body.device_code });
    expect(twice.body.error.code).toBe('LINK_INVALID');

    // A refused sign-in says so in the browser and to the waiting command line.
    const refused = person({ email_verified: false });
    const next = await api.post('/auth/oidc/corp/device', {});
    idp.loginAs(refused.sub);
    const shown = await new CookieBrowser().follow(next.body.verification_url, isLanding);
    expect(fragment(shown).error).toBe('OIDC_EMAIL_UNVERIFIED');
    const told = await api.post('/auth/oidc/device/token', { device_code: next.body.device_code });
    expect(told.status).toBe(403);
    expect(told.body.error.code).toBe('OIDC_EMAIL_UNVERIFIED');
  });
});
