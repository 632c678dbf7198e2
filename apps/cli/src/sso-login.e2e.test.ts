import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, cliEnv, runCli, startCli } from '@minefleet/testkit/cli';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { freePort } from '@minefleet/testkit/ports';
import { startOidcProvider, type RunningOidcProvider } from '@minefleet/testkit/oidc-provider';
import { CookieBrowser } from '@minefleet/testkit/redirects';

/**
 * `minefleet login --sso`: the built CLI prints a URL, a browser (redirects followed with cookies)
 * signs in at a real OpenID provider, and the waiting CLI stores the session.
 */
describe('minefleet login --sso', () => {
  let cp: RunningControlPlane;
  let idp: RunningOidcProvider;
  let configDir: string;

  beforeAll(async () => {
    assertCliBuilt();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({ redirectUris: [`${base}/api/v1/auth/oidc/corp/callback`] });
    cp = await startControlPlane(primaryBackend(), {
      env: {
        PORT: String(port),
        MINEFLEET_PUBLIC_URL: base,
        MINEFLEET_OIDC_PROVIDERS: 'corp',
        MINEFLEET_OIDC_CORP_ISSUER: idp.issuer,
        MINEFLEET_OIDC_CORP_CLIENT_ID: idp.clientId,
        MINEFLEET_OIDC_CORP_CLIENT_SECRET: idp.clientSecret,
      },
    });
    configDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-sso-'));
  });
  afterAll(async () => {
    await cp?.close();
    await idp?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('prints a URL, waits for the browser, and stores the session', async () => {
    const email = `cli-sso-${process.pid}-${Date.now()}@example.com`;
    idp.setAccount('cli-1', { email, email_verified: true });
    idp.loginAs('cli-1');
    const env = cliEnv(configDir);
    const child = startCli(['login', '--url', cp.url, '--sso', 'corp', '--format', 'json'], env);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const found = /(http:\/\/\S+\/start\?device=\S+)/.exec(stderr);
        if (found) resolve(found[1]!);
      });
      child.on('close', () => reject(new Error(`the CLI ended first: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin!.end();
    const landed = await new CookieBrowser().follow(url, (u) => u.pathname === '/sso');
    expect(landed.hash).toBe('#device=done');
    expect(await exited).toBe(0);
    const shown = JSON.parse(stdout) as { user: { email: string }; auth: string };
    expect(shown.user.email).toBe(email);
    expect(shown.auth).toBe('session');
    expect(stdout).not.toContain('"token"');
    const stored = JSON.parse(await readFile(path.join(configDir, 'config.json'), 'utf8')) as {
      token: string;
    };
    expect((await cp.api.get('/me', stored.token)).body.user.email).toBe(email);
    const whoami = await runCli(['whoami', '--format', 'json'], { env });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout).user.email).toBe(email);
  });

  it('shows and sets the tenant security policy (tenant security show|set)', async () => {
    // A session opened by single sign-on, as "SSO only" needs of whoever turns it on.
    const email = `cli-sso-policy-${process.pid}-${Date.now()}@example.com`;
    idp.setAccount('cli-policy', { email, email_verified: true });
    idp.loginAs('cli-policy');
    const browser = new CookieBrowser();
    const accept = { accept: 'application/json' };
    const start = await browser.get(new URL(`${cp.url}/api/v1/auth/oidc/corp/start`), accept);
    const { authorization_url } = (await start.json()) as { authorization_url: string };
    const callback = await browser.follow(authorization_url, (u) => u.pathname.endsWith('/callback'));
    const { token } = (await (await browser.get(callback, accept)).json()) as { token: string };
    const env = cliEnv(configDir, { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: token });

    const shown = await runCli(['tenant', 'security', 'show'], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/Two-factor required:\s+off/);
    expect(shown.stdout).toMatch(/Single sign-on only:\s+off/);

    const set = await runCli(['tenant', 'security', 'set', '--sso-only', 'on', '--format', 'json'], { env });
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ require_2fa: false, sso_only: true });
    expect((await cp.api.get('/tenant/security', token)).body.sso_only).toBe(true);

    // Refused by the API (exit 1, with its code): requiring 2FA needs it on for the caller first.
    const refused = await runCli(['tenant', 'security', 'set', '--require-2fa', 'on'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('MFA_ENROLMENT_REQUIRED');
    // Nothing to change is a usage error (exit 2), before any request.
    const empty = await runCli(['tenant', 'security', 'set'], { env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('nothing to change');
  });

  it('refuses an unknown provider with its code', async () => {
    const run = await runCli(['login', '--url', cp.url, '--sso', 'nope'], { env: cliEnv(configDir) });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('OIDC_PROVIDER_NOT_FOUND');
  });
});
