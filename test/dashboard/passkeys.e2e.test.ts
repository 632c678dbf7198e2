import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { freePort } from '@minefleet/testkit/ports';
import type { SignedUp } from '@minefleet/testkit/api';

/**
 * Passkeys in a real browser: Chromium's virtual authenticator (DevTools protocol, a platform
 * authenticator with resident keys and user verification) answers the dashboard's WebAuthn calls
 * against a real control plane serving the built dashboard. The control plane's public URL is
 * http://localhost:<port>, so the RP ID (`localhost`) and origin come from it as in production.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = path.resolve('apps/dashboard/dist');

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(path.join(DIST, 'index.html')))(
  `passkeys in a browser${existsSync(CHROMIUM) && existsSync(path.join(DIST, 'index.html')) ? '' : ' (skipped: needs Chromium and the built dashboard)'}`,
  () => {
    let cp: RunningControlPlane;
    let context: BrowserContext;
    let page: Page;
    let cdp: CDPSession;
    let authenticatorId: string;
    let profile: string;
    let base: string;
    let user: SignedUp;
    let recovery: string[];

    beforeAll(async () => {
      const port = await freePort();
      base = `http://localhost:${port}`;
      cp = await startControlPlane(primaryBackend(), {
        env: { PORT: String(port), MINEFLEET_PUBLIC_URL: base },
      });
      user = await cp.api.signup('passkey-browser');
      profile = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(15_000);
      cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        },
      }));
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await cp?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    async function signOut() {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
    }

    it('registers a passkey on the account page and shows recovery codes once', async () => {
      await page.goto(`${base}/login`);
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
      await page.getByLabel('Passkey name').fill('Chromium');
      await page.locator('#passkey-password').fill(user.password);
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('Passkey added.').waitFor();
      await page.getByRole('row', { name: /Chromium/ }).waitFor();
      const codes = page.getByTestId('passkey-recovery-codes').locator('li');
      expect(await codes.count()).toBe(10);
      recovery = await codes.allInnerTexts();
      // The authenticator holds a discoverable credential for localhost, and the server has it.
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials).toHaveLength(1);
      expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
      const listed = await cp.api.get('/me/passkeys', user.token);
      expect(listed.body.passkeys).toEqual([
        expect.objectContaining({ name: 'Chromium', last_used_at: null }),
      ]);
      expect((await cp.api.get('/me/2fa', user.token)).body).toMatchObject({ passkeys: 1 });
    });

    it('signs in with the password and the passkey as the second factor', async () => {
      await signOut();
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      const listed = await cp.api.get('/me/passkeys', user.token);
      expect(listed.body.passkeys[0].last_used_at).not.toBeNull();
    });

    it('signs in without a password with the passkey', async () => {
      await signOut();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      expect(await page.getByText(user.email).count()).toBeGreaterThan(0);
    });

    it('renames the passkey, deletes it with a recovery code, and the deleted passkey no longer signs in', async () => {
      await page
        .getByRole('row', { name: /Chromium/ })
        .getByRole('button', { name: 'Rename' })
        .click();
      await page.getByLabel('New name').fill('Test browser');
      await page.getByRole('button', { name: 'Save name' }).click();
      await page.getByText('Passkey renamed.').waitFor();
      const row = page.getByRole('row', { name: /Test browser/ });
      await row.waitFor();
      await row.getByRole('button', { name: 'Delete' }).click();
      await page.locator('#passkey-delete-password').fill(user.password);
      await page.getByLabel('Recovery code').fill(recovery[0]!);
      await page.getByRole('button', { name: 'Delete passkey' }).click();
      await page.getByText('Passkey deleted.').waitFor();
      await page.getByText('No passkeys yet.').waitFor();
      expect((await cp.api.get('/me/2fa', user.token)).body).toMatchObject({
        passkeys: 0,
        recovery_codes_left: 0,
      });
      // The authenticator still holds it; the server no longer knows it.
      await signOut();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByText('That passkey was not accepted for this account.').waitFor();
      expect(page.url()).toContain('/login');
    });
  },
);
