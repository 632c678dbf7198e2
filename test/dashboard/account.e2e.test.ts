import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { authenticator } from 'otplib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { linkIn } from '@minefleet/testkit/mailbox';

/**
 * The account flows in a real browser against the built dashboard and a real SMTP server: sign up,
 * verify by the mailed link, see and end sessions, change the password, and reset a forgotten one.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = path.resolve('apps/dashboard/dist');

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(path.join(DIST, 'index.html')))(
  `account pages in a browser${existsSync(CHROMIUM) && existsSync(path.join(DIST, 'index.html')) ? '' : ' (skipped: needs Chromium and the built dashboard)'}`,
  () => {
    let cp: RunningControlPlane;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    const email = `account-${process.pid}-${Date.now()}@example.com`;
    const password = 'a long account passphrase';

    beforeAll(async () => {
      cp = await startControlPlane(primaryBackend());
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
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('signs up, is told to verify, and verifies by the mailed link', async () => {
      await page.goto(`${cp.url}/signup`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('verify-banner').waitFor();
      const mail = await cp.mailbox!.waitFor(email, /verify/i);
      await page.goto(linkIn(mail).href);
      await page.getByText(`Your email address ${email} is verified.`).waitFor();
      expect(page.url()).not.toContain('token=');
      await page.getByRole('link', { name: 'Go to your servers' }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      expect(await page.getByTestId('verify-banner').count()).toBe(0);
    });

    it('lists sessions, signs another device out, and changes the password', async () => {
      const other = await cp.api.request('POST', '/api/v1/auth/login', {
        body: { email, password },
        headers: { 'user-agent': 'Other device' },
      });
      expect(other.status).toBe(200);
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      const row = page.getByRole('row', { name: /Other device/ });
      await row.waitFor();
      await row.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('Session signed out.').waitFor();
      expect((await cp.api.get('/me', other.body.token)).status).toBe(401);
      await page.getByLabel('Current password').fill(password);
      await page.getByLabel('New password').fill('another account passphrase');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed; your other sessions were signed out.').waitFor();
      const login = await cp.api.post('/auth/login', { email, password: 'another account passphrase' });
      expect(login.status).toBe(200);
    });

    it('resets a forgotten password by the mailed link, which signs every session out', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByText(/a link to reset its password is on its way/).waitFor();
      const mail = await cp.mailbox!.waitFor(email, /reset/i);
      await page.goto(linkIn(mail).href);
      await page.getByLabel('New password').fill('a third account passphrase');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await page.getByText('Your password is changed and every session was signed out.').waitFor();
      expect(
        (await cp.api.post('/auth/login', { email, password: 'a third account passphrase' })).status,
      ).toBe(200);
    });

    it('turns on two-factor sign-in with the QR page, shows recovery codes once, and asks for a code at sign-in', async () => {
      const current = 'a third account passphrase';
      await page.goto(`${cp.url}/login`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(current);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      await page.getByRole('link', { name: 'Account' }).click();
      await page.locator('#tfa-password').fill(current);
      await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      await page.getByRole('img', { name: 'QR code of your two-factor secret' }).waitFor();
      const secret = (await page.getByTestId('totp-secret').innerText()).trim();
      await page.getByLabel('Code from the app').fill(authenticator.generate(secret));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.getByText('Two-factor sign-in is on.').waitFor();
      expect(await page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(current);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      // The code of the next step: the one used to turn it on is spent.
      await page
        .getByLabel('Two-factor code')
        .fill(authenticator.clone({ epoch: Date.now() + 30_000 }).generate(secret));
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
    });
  },
);
