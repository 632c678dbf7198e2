import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { authenticator } from 'otplib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { freePort } from '@minefleet/testkit/ports';
import { startOidcProvider, type RunningOidcProvider } from '@minefleet/testkit/oidc-provider';

/**
 * Single sign-on in a real browser against the built dashboard and a real OpenID provider on loopback:
 * the "Sign in with …" button, the provider's redirect back, the session taken from the landing page,
 * and the two-factor step for an account that has it.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = path.resolve('apps/dashboard/dist');

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(path.join(DIST, 'index.html')))(
  `single sign-on in a browser${existsSync(CHROMIUM) && existsSync(path.join(DIST, 'index.html')) ? '' : ' (skipped: needs Chromium and the built dashboard)'}`,
  () => {
    let cp: RunningControlPlane;
    let idp: RunningOidcProvider;
    let context: BrowserContext;
    let page: Page;
    let profile: string;

    beforeAll(async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      idp = await startOidcProvider({ redirectUris: [`${base}/api/v1/auth/oidc/corp/callback`] });
      cp = await startControlPlane(primaryBackend(), {
        env: {
          PORT: String(port),
          MINEFLEET_PUBLIC_URL: base,
          MINEFLEET_OIDC_PROVIDERS: 'corp',
          MINEFLEET_OIDC_CORP_NAME: 'Corp',
          MINEFLEET_OIDC_CORP_ISSUER: idp.issuer,
          MINEFLEET_OIDC_CORP_CLIENT_ID: idp.clientId,
          MINEFLEET_OIDC_CORP_CLIENT_SECRET: idp.clientSecret,
        },
      });
      profile = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(15_000);
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await cp?.close();
      await idp?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('signs in with the provider’s button and lands on the servers page', async () => {
      const email = `sso-browser-${process.pid}-${Date.now()}@example.com`;
      idp.setAccount('browser-1', { email, email_verified: true, name: 'Browser Person' });
      idp.loginAs('browser-1');
      await page.goto(`${cp.url}/login`);
      await page.getByRole('link', { name: 'Sign in with Corp' }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      // The session left the address bar at once.
      expect(page.url()).toBe(`${cp.url}/servers`);
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByText(email).first().waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
    });

    it('asks an account with two-factor sign-in for its code on the landing page', async () => {
      const user = await cp.api.signup('sso-browser-2fa');
      const begun = await cp.api.post('/me/2fa/totp', { password: user.password }, user.token);
      const secret = begun.body.secret as string;
      const confirm = await cp.api.post(
        '/me/2fa/totp/confirm',
        { code: authenticator.clone({ epoch: Date.now() - 30_000 }).generate(secret) },
        user.token,
      );
      expect(confirm.status).toBe(200);
      idp.setAccount('browser-2', { email: user.email, email_verified: true });
      idp.loginAs('browser-2');
      // Another person at the provider: its session cookie of the previous sign-in is gone.
      await context.clearCookies();
      await page.goto(`${cp.url}/login`);
      await page.getByRole('link', { name: 'Sign in with Corp' }).click();
      await page.getByLabel('Two-factor code').fill(authenticator.generate(secret));
      expect(page.url()).toBe(`${cp.url}/sso`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
    });

    it('shows a refused sign-in with its code', async () => {
      const unverified = await cp.api.signup('sso-browser-unverified', { verify: false });
      idp.setAccount('browser-3', { email: unverified.email, email_verified: true });
      idp.loginAs('browser-3');
      await context.clearCookies();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await page.getByRole('link', { name: 'Sign in with Corp' }).click();
      await page.getByRole('alert').waitFor();
      expect(await page.getByTestId('error-code').textContent()).toBe('OIDC_LINK_REFUSED');
      await page.getByRole('link', { name: 'Back to sign-in' }).waitFor();
      expect(page.url()).toBe(`${cp.url}/sso`);
    });
  },
);
