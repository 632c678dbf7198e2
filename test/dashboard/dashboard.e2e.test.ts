/// <reference lib="dom" />
// The functions passed to page.evaluate() run in the browser: DOM types are needed to check them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { linkIn } from '@minefleet/testkit/mailbox';
import { BOT_TEST_VERSION, joinBot } from '@minefleet/testkit/minecraft';
import { startApiServer, type ApiServer } from '../../packages/plugins/src/fixtures/api-server.js';
import { modrinthChunkyBorder } from '../../packages/plugins/src/fixtures/modrinth-chunky.js';
import { seriousViolations } from './axe.js';

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a real control
 * plane serving the built dashboard, with real flying-squid servers: sign up, create a server and watch
 * it reach `running`, a console command and its output, a setting changed and rolled back, backups and
 * plugins (or their honest "not available" state), plugin review by a platform administrator, API keys, members; screenshots of every page at
 * desktop and phone width, each page scanned by axe-core in both themes (no serious or critical
 * violation); the initial bundle size and the time to render 200 servers.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = path.resolve('apps/dashboard/dist');
const SHOTS = path.resolve('test-output/screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const REVIEWED = 'modrinth:s86X568j';

describe.skipIf(!existsSync(CHROMIUM))(
  `dashboard in a browser${existsSync(CHROMIUM) ? '' : ' (skipped: needs Chromium)'}`,
  () => {
    let cp: RunningControlPlane;
    /** A loopback Modrinth with one plugin, whose versions arrive `pending` for the review page. */
    let modrinth: ApiServer;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    let serverId = '';
    let token = '';
    const email = `dash-${process.pid}-${Date.now()}@example.com`;
    const password = 'a long dashboard passphrase';

    /** A tab of the server page (the main navigation has a "Backups" link too). */
    const tab = (name: string) =>
      page.getByRole('navigation', { name: 'Server sections' }).getByRole('link', { name, exact: true });

    /**
     * axe-core finds no serious or critical accessibility violation on the page as it is shown now, in the
     * light theme and in the dark one (the system's colour scheme picks the theme).
     */
    async function expectAccessible(name: string) {
      expect(await seriousViolations(page), `accessibility of the ${name} page`).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      try {
        expect(await seriousViolations(page), `accessibility of the ${name} page, dark theme`).toEqual([]);
      } finally {
        await page.emulateMedia({ colorScheme: 'light' });
      }
    }

    /** Every page the test visits: checked for accessibility, then photographed at both widths. */
    async function shot(name: string) {
      await page.setViewportSize(DESKTOP);
      await expectAccessible(name);
      await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`) });
      await page.setViewportSize(PHONE);
      await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
      await page.setViewportSize(DESKTOP);
    }

    beforeAll(async () => {
      if (!existsSync(path.join(DIST, 'index.html'))) {
        execFileSync('npm', ['run', 'build', '-w', '@minefleet/dashboard'], { stdio: 'inherit' });
      }
      await mkdir(SHOTS, { recursive: true });
      modrinth = await startApiServer(modrinthChunkyBorder());
      cp = await startControlPlane(primaryBackend(), {
        ports: 230,
        env: {
          MINEFLEET_QUOTA_MAX_SERVERS: '300',
          MINEFLEET_QUOTA_MAX_MEMORY_MB: '10000000',
          MINEFLEET_PLUGIN_SOURCES: 'local,modrinth',
          MINEFLEET_MODRINTH_URL: `${modrinth.baseUrl}/v2`,
          MINEFLEET_PLUGIN_SYNC_INTERVAL_MINUTES: '0',
          MINEFLEET_PLATFORM_ADMINS: email,
        },
        lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
      });
      profile = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: DESKTOP,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-quic',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(15_000);
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await cp?.close();
      await modrinth?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('serves the app: immutable hashed assets, index.html without caching, SPA fallback, API 404s untouched', async () => {
      const index = await fetch(`${cp.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('cache-control')).toBe('no-cache');
      expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await index.text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const js = await fetch(`${cp.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(js.status).toBe(200);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(js.headers.get('content-type')).toContain('javascript');

      const deep = await fetch(`${cp.url}/servers/00000000-0000-4000-8000-000000000000/console`);
      expect(deep.status).toBe(200);
      expect(await deep.text()).toBe(html);
      expect((await fetch(`${cp.url}/assets/missing-file.js`)).status).toBe(404);
      // fetch() normalises dot segments itself; the encoded form reaches the server as written.
      expect((await fetch(`${cp.url}/%2e%2e/%2e%2e/package.json`)).status).toBe(404);

      const api404 = await fetch(`${cp.url}/api/v1/no-such-route`);
      expect(api404.status).toBe(404);
      expect(((await api404.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
      const metrics = await fetch(`${cp.url}/metrics`, {
        headers: { authorization: `Bearer ${cp.metricsToken}` },
      });
      expect(metrics.headers.get('content-type')).toContain('text/plain');

      // Budget: the JS and CSS the first page load needs, gzipped.
      const initial = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
      let gzipped = 0;
      for (const file of initial)
        gzipped += gzipSync(await readFile(path.join(DIST, file)), { level: 9 }).length;
      console.log(
        `[dashboard] initial bundle: ${initial.join(', ')} = ${(gzipped / 1024).toFixed(1)} KB gzipped`,
      );
      expect(gzipped).toBeLessThan(200 * 1024);
    });

    it('signs up through the form and lands on the empty servers page', async () => {
      await page.goto(`${cp.url}/`);
      await page.waitForURL(/\/login/);
      await page.getByRole('heading', { name: 'Sign in to Minefleet' }).waitFor();
      await shot('sign-in');
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('At least 10 characters.').waitFor();
      await page.getByLabel('Password').fill(password);
      await page.getByLabel('Team name').fill('Dashboard team');
      await shot('sign-up');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(/\/servers$/);
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      // Until the email is proven the app says so; the link in the mail proves it.
      await page.getByTestId('verify-banner').waitFor();
      const mail = await cp.mailbox!.waitFor(email, /verify/i);
      await page.goto(linkIn(mail).href);
      await page.getByText(`Your email address ${email} is verified.`).waitFor();
      expect(page.url()).not.toContain('token=');
      await page.getByRole('link', { name: 'Go to your servers' }).click();
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      expect(await page.getByTestId('verify-banner').count()).toBe(0);
      token = await page.evaluate(
        () => (JSON.parse(localStorage.getItem('minefleet.session') ?? '{}') as { token: string }).token,
      );
      expect(token).toMatch(/\S+/);
      await shot('servers-empty');
    });

    it('creates a server with name validation and watches it reach running', async () => {
      await page.getByRole('link', { name: 'Create your first server' }).click();
      await page.getByRole('heading', { name: 'Create a server' }).waitFor();
      const name = page.getByLabel('Name', { exact: true });
      await name.fill('My Server');
      await page.getByText('Use lowercase letters only.').waitFor();
      await name.fill('-survival');
      await page.getByText('Cannot start or end with "-".').waitFor();
      await name.fill('e2e-survival');
      await page.getByText('Available').waitFor();
      await page.getByLabel('Server software').selectOption('flying-squid');
      await page.getByLabel('Minecraft version').selectOption(BOT_TEST_VERSION);
      await shot('create-server');
      const started = Date.now();
      await page.getByRole('button', { name: 'Create server' }).click();
      await page.getByTestId('create-progress').waitFor();
      await page
        .locator('[data-testid="create-progress"] [data-status="running"]')
        .waitFor({ timeout: 60_000 });
      console.log(`[dashboard] create → running seen in the browser: ${Date.now() - started} ms`);
      await page.getByText('Your server is ready').waitFor();
      await shot('create-progress');
      await page.getByRole('link', { name: 'Open server' }).click();
      await page.waitForURL(/\/servers\/[0-9a-f-]{36}$/);
      serverId = /\/servers\/([0-9a-f-]{36})/.exec(page.url())![1]!;
      await page.getByRole('heading', { name: 'e2e-survival' }).waitFor();
      await page.getByRole('heading', { name: 'Power' }).waitFor();
      await shot('server-overview');
    });

    it('sends a console command and shows its output live', async () => {
      await tab('Console').click();
      await page.getByTestId('console-state').getByText('Live').waitFor();
      // WebSocket where the control plane has /api/v1/ws, else the SSE stream: both must work.
      console.log(`[dashboard] live transport: ${await page.getByTestId('console-state').textContent()}`);
      const input = page.getByLabel('Command');
      await input.fill('say hello-from-the-dashboard');
      await input.press('Enter');
      await page.getByTestId('console-output').getByText('hello-from-the-dashboard').first().waitFor();
      // History: ↑ brings the last command back.
      await input.press('ArrowUp');
      expect(await input.inputValue()).toBe('say hello-from-the-dashboard');
      await input.fill('');
      await shot('server-console');
    });

    it('filters logs', async () => {
      await tab('Logs').click();
      await page.getByLabel('Contains').fill('hello-from-the-dashboard');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByTestId('logs-table').getByText('hello-from-the-dashboard').first().waitFor();
      await shot('server-logs');
    });

    it('lists a bot that joined on the Players tab and kicks it with a reason', async () => {
      const server = (await cp.api.get(`/servers/${serverId}`, token)).body as {
        address: { host: string; port: number };
      };
      const bot = await joinBot(server.address, { username: 'DashBot', version: BOT_TEST_VERSION });
      try {
        await tab('Players').click();
        const row = page.getByTestId('online-DashBot');
        await row.waitFor({ timeout: 20_000 });
        await row.getByTestId('avatar-DashBot').waitFor();
        await shot('server-players');
        await row.getByRole('button', { name: 'Kick' }).click();
        await page
          .getByRole('dialog')
          .getByLabel('Reason (the player sees it)')
          .fill('Kicked from the dashboard');
        await page.getByRole('dialog').getByRole('button', { name: 'Kick' }).click();
        expect(await bot.ended).toContain('Kicked from the dashboard');
        await page.getByTestId('players-notice').getByText('Kicked DashBot').waitFor();
        await page.getByText('Nobody is online.').waitFor({ timeout: 20_000 });
      } finally {
        await bot.quit();
      }
    });

    it('changes a setting, then rolls it back from the history', async () => {
      await tab('Settings').click();
      const motd = page.getByLabel('motd', { exact: true });
      await motd.waitFor();
      const before = await motd.inputValue();
      await motd.fill('Changed from the dashboard');
      await page.getByLabel('difficulty').selectOption('hard');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByTestId('settings-saved').waitFor();
      const changed = (await cp.api.get(`/servers/${serverId}`, token)).body as {
        server_properties: Record<string, unknown>;
        config_revision: number;
      };
      expect(changed.server_properties.motd).toBe('Changed from the dashboard');
      expect(changed.server_properties.difficulty).toBe('hard');
      await page.getByTestId('revisions').getByText('Changed from the dashboard').first().waitFor();
      await shot('server-settings');

      // Roll back to the revision before the change.
      const previous = changed.config_revision - 1;
      await page
        .getByTestId('revisions')
        .locator('li.revision', { hasText: `Revision ${previous}` })
        .getByRole('button', { name: 'Roll back to this' })
        .click();
      await page.getByRole('dialog').getByText('Changed from the dashboard').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
      await page.getByText(`Saved as revision ${changed.config_revision + 1}`).waitFor();
      await expect.poll(() => motd.inputValue()).toBe(before);
      const rolled = (await cp.api.get(`/servers/${serverId}`, token)).body as {
        server_properties: Record<string, unknown>;
      };
      // The first revision had no motd of its own: rolling back restores the default (no key).
      expect(rolled.server_properties.motd ?? before).toBe(before);
      expect(rolled.server_properties.difficulty).not.toBe('hard');
    });

    it('power buttons: kill asks first, stop and start follow the live status', async () => {
      await tab('Overview').click();
      const badge = page.locator('.server-head [data-testid="status-badge"]');
      await page.getByRole('button', { name: 'Kill' }).click();
      await page.getByRole('dialog').getByText('Anything changed since the last save is lost').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      expect(await badge.getAttribute('data-status')).toBe('running');
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.locator('.server-head [data-status="stopped"]').waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await page.locator('.server-head [data-status="running"]').waitFor({ timeout: 30_000 });
    });

    it('installs a plugin with its dependency from the marketplace', async () => {
      await tab('Plugins').click();
      const probe = (await cp.api.get(`/servers/${serverId}/plugins`, token)).body as {
        error?: { code: string };
      };
      if (probe.error?.code === 'ROUTE_NOT_FOUND') {
        await page.getByText('Plugins is not available on this server yet.').waitFor();
        await shot('server-plugins');
        return;
      }
      await page.getByLabel('Search', { exact: true }).fill('hello');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const card = page.getByTestId('plugin-results').getByRole('button', { name: /Hello/ });
      await card.getByText('compatible', { exact: true }).waitFor();
      await card.click();
      // The plan comes from the API's dry run: the dependency is listed before anything is installed.
      await page
        .getByTestId('install-plan')
        .getByText(/needed by Hello/)
        .waitFor();
      await shot('server-plugins');
      await page.getByRole('button', { name: 'Install', exact: true }).click();
      await page.getByTestId('install-done').waitFor();
      for (const id of ['local:hello', 'local:mf-core'])
        await page.getByTestId(`installed-${id}`).locator('.plugin-installed').waitFor({ timeout: 30_000 });
      const installed = (await cp.api.get(`/servers/${serverId}/plugins`, token)).body as {
        plugins: { plugin_id: string; status: string }[];
      };
      expect(installed.plugins.map((p) => [p.plugin_id, p.status]).sort()).toEqual([
        ['local:hello', 'installed'],
        ['local:mf-core', 'installed'],
      ]);
      // The dependency cannot be removed while hello needs it.
      expect(
        await page
          .getByTestId('installed-local:mf-core')
          .getByRole('button', { name: 'Remove' })
          .isDisabled(),
      ).toBe(true);
      await shot('server-plugins-installed');
    });

    it('backs up, then restores with the pre-restore backup offered (or says backups are not available)', async () => {
      await tab('Backups').click();
      const probe = (await cp.api.get(`/servers/${serverId}/backups`, token)).body as {
        error?: { code: string };
      };
      if (probe.error?.code === 'ROUTE_NOT_FOUND') {
        await page.getByText('Backups is not available on this server yet.').waitFor();
        await shot('server-backups');
        return;
      }
      await page.getByLabel(/^Name/).fill('e2e-first');
      await page.getByLabel('Compression').selectOption('gzip');
      await page.getByLabel(/^Tags/).fill('e2e');
      await page.getByRole('button', { name: 'Back up now' }).click();
      const row = page.getByTestId('backup-row').filter({ hasText: 'e2e-first' });
      await row.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
      // Download goes through fetch with the bearer token, then saves the archive.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        row.getByRole('button', { name: 'Download' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('e2e-survival-e2e-first.tar.gz');
      const saved = await download.path();
      expect((await readFile(saved)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      // A schedule, with its next run time.
      await page.getByLabel('When (cron)').fill('0 4 * * *');
      await page.getByRole('button', { name: 'Add schedule' }).click();
      await page
        .locator('.schedule-list li', { hasText: '0 4 * * *' })
        .getByText(/next: \d/)
        .waitFor();
      await shot('server-backups');

      await row.getByRole('button', { name: 'Restore…' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.getByLabel('Back up the current world first (recommended)').isChecked()).toBe(true);
      await dialog.getByRole('button', { name: 'Restore' }).click();
      // The pre-restore backup appears, and the server comes back running.
      await page
        .locator('[data-testid="backup-row"][data-type="pre_restore"]')
        .first()
        .waitFor({ timeout: 30_000 });
      await page.locator('.server-head [data-status="running"]').waitFor({ timeout: 60_000 });
      const list = (await cp.api.get(`/servers/${serverId}/backups`, token)).body as {
        backups: { name: string; type: string; status: string }[];
      };
      expect(list.backups.some((b) => b.type === 'pre_restore')).toBe(true);
      await shot('server-backups-restored');
    });

    it('lists the team’s backups and the activity log', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
      await page.getByRole('heading', { name: 'Backups', level: 1 }).waitFor();
      const probe = (await cp.api.get('/backups', token)).body as { error?: { code: string } };
      if (probe.error?.code === 'ROUTE_NOT_FOUND') await page.getByTestId('unavailable').waitFor();
      else await page.getByTestId('team-backups').getByText('e2e-first').waitFor();
      await shot('team-backups');
      await page.getByRole('link', { name: 'Activity' }).click();
      const audit = (await cp.api.get('/audit', token)).body as { error?: { code: string } };
      if (audit.error?.code === 'ROUTE_NOT_FOUND') await page.getByTestId('unavailable').waitFor();
      else await page.getByTestId('audit-table').getByText('server.config_rollback').first().waitFor();
      await shot('activity');
    });

    it('creates an API key (shown once) and lists members', async () => {
      await page.getByRole('link', { name: 'API keys' }).click();
      await page.getByLabel('Name').fill('ci-deploy');
      await page.getByRole('button', { name: 'Create key' }).click();
      const key = await page.getByTestId('new-key').textContent();
      expect(key).toMatch(/^mf_/);
      const me = await cp.api.get('/me', key!);
      expect(me.status).toBe(200);
      await shot('api-keys');
      await page.getByRole('link', { name: 'Members' }).click();
      await page.getByRole('cell', { name: email, exact: true }).waitFor();
      // A custom role, made in the browser: the control plane keeps exactly the keys ticked.
      await page.getByRole('button', { name: 'New role' }).click();
      await page.getByLabel('Role name').fill('Moderators');
      await page.getByTestId('perm-player.list').check();
      await page.getByTestId('perm-player.kick').check();
      await page.getByRole('button', { name: 'Create role' }).click();
      await page.getByRole('rowheader', { name: 'Moderators' }).waitFor();
      const roles = (await cp.api.get('/roles', token)).body as {
        roles: { name: string; permissions: string[] }[];
      };
      expect(roles.roles).toEqual([
        expect.objectContaining({ name: 'Moderators', permissions: ['player.list', 'player.kick'] }),
      ]);
      // The member role selector offers it.
      await page
        .getByLabel(`Role of ${email}`)
        .locator('option', { hasText: 'Moderators (custom)' })
        .waitFor({ state: 'attached' });
      await shot('members');
    });

    it('reviews plugin versions from an untrusted source: sync, approve, and the version is installable', async () => {
      // The signed-up user is named in MINEFLEET_PLATFORM_ADMINS (set in beforeAll): /me says so, and the
      // navigation offers the review page. The control plane read the sources once at start already;
      // "Sync now" reads them again.
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Plugin review' })
        .click();
      await page.getByRole('heading', { name: 'Plugin review', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Sync now' }).click();
      await page
        .getByTestId('sync-report')
        .getByText(/modrinth: 1 plugins/)
        .waitFor({ timeout: 30_000 });
      const section = page.getByRole('region', { name: /ChunkyBorder/ });
      await section.waitFor();
      await shot('plugin-review');
      const before = (await cp.api.get(`/plugins/${REVIEWED}`, token)).body as {
        versions: { version: string; approval: string }[];
      };
      expect(before.versions.length).toBeGreaterThan(0);
      expect(before.versions.every((v) => v.approval === 'pending')).toBe(true);
      const target = before.versions[0]!.version;
      await section.getByRole('button', { name: `Approve ChunkyBorder ${target}`, exact: true }).click();
      await page.getByText(`ChunkyBorder ${target}: approved.`).waitFor();
      const after = (await cp.api.get(`/plugins/${REVIEWED}`, token)).body as {
        versions: { version: string; approval: string }[];
      };
      expect(after.versions.find((v) => v.version === target)?.approval).toBe('approved');
      expect(after.versions.filter((v) => v.approval === 'pending')).toHaveLength(before.versions.length - 1);
      // Approved is installable: the catalogue's default search (approved versions only) now lists it.
      const listed = (await cp.api.get('/plugins?q=ChunkyBorder', token)).body as {
        plugins: { id: string; latest_version: string }[];
      };
      expect(listed.plugins.find((p) => p.id === REVIEWED)?.latest_version).toBe(target);
    });

    it('renders 200 servers without jank', async () => {
      const created = await Promise.all(
        Array.from({ length: 199 }, (_, i) =>
          cp.api.post(
            '/servers',
            {
              name: `fleet-${String(i).padStart(3, '0')}`,
              sku_id: 'starter',
              minecraft_version: BOT_TEST_VERSION,
              start: false,
            },
            token,
          ),
        ),
      );
      expect(created.every((r) => r.status === 202)).toBe(true);
      // Long tasks and paint timings from the very start of the page load.
      await page.addInitScript(() => {
        const w = window as unknown as { __longTasks: number[] };
        w.__longTasks = [];
        // When the 200th row first exists in the DOM, measured from navigation start.
        const seen = new MutationObserver(() => {
          if (document.querySelectorAll('[data-testid="server-row"]').length >= 200) {
            performance.mark('e2e:200-rows');
            seen.disconnect();
          }
        });
        seen.observe(document, { childList: true, subtree: true });
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) w.__longTasks.push(entry.duration);
        }).observe({ type: 'longtask', buffered: true });
      });
      const runs: { render: number; dataReady: number; longTasks: number[] }[] = [];
      for (let i = 0; i < 3; i++) {
        await page.goto(`${cp.url}/servers`);
        await page.waitForFunction(
          () => document.querySelectorAll('[data-testid="server-row"]').length === 200,
          undefined,
          { timeout: 30_000 },
        );
        await page.waitForTimeout(300);
        runs.push(
          await page.evaluate(() => ({
            render: performance.getEntriesByName('e2e:200-rows')[0]?.startTime ?? -1,
            dataReady: performance.getEntriesByName('minefleet:servers-rendered')[0]?.startTime ?? -1,
            longTasks: (window as unknown as { __longTasks: number[] }).__longTasks,
          })),
        );
      }
      // Filtering 200 rows while typing must stay within a frame budget.
      const filterMs = await page.evaluate(async () => {
        const input = document.getElementById('server-search') as HTMLInputElement;
        const t0 = performance.now();
        input.value = 'fleet-1';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return performance.now() - t0;
      });
      const rows = await page.locator('[data-testid="server-row"]').count();
      await page.getByLabel('Search').fill('');
      const summary = {
        servers: 200,
        rows_in_dom_ms: runs.map((r) => Math.round(r.render)),
        list_rendered_mark_ms: runs.map((r) => Math.round(r.dataReady)),
        long_tasks_ms: runs.map((r) => r.longTasks.map(Math.round)),
        longest_task_ms: Math.max(0, ...runs.flatMap((r) => r.longTasks)),
        filter_to_paint_ms: Math.round(filterMs),
        rows_after_filter: rows,
      };
      console.log(`[dashboard] 200 servers: ${JSON.stringify(summary)}`);
      await writeFile(path.resolve('test-output/dashboard-perf.json'), JSON.stringify(summary, null, 2));
      expect(rows).toBe(99); // fleet-100 … fleet-198
      // "Without jank": no main-thread task long enough to drop several frames, in the median of three
      // loads (one load may share the 2 cores with other test files).
      const perRun = runs.map((r) => Math.max(0, ...r.longTasks)).sort((a, b) => a - b);
      expect(perRun[1]).toBeLessThan(200);
      await page.setViewportSize(DESKTOP);
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await expectAccessible('servers (200)');
      await page.screenshot({ path: path.join(SHOTS, 'servers-200-desktop.png') });
      // The README's picture is committed: refresh it only when asked, so test runs leave the tree clean.
      if (process.env.MINEFLEET_UPDATE_README_SCREENSHOT === '1')
        await page.screenshot({ path: path.resolve('docs/images/dashboard.png') });
      await page.setViewportSize(PHONE);
      await page.screenshot({ path: path.join(SHOTS, 'servers-200-phone.png') });
      await page.setViewportSize(DESKTOP);
    }, 120_000);
    it('switches between the teams a user belongs to', async () => {
      const other = await cp.api.signup('dash-other');
      expect((await cp.api.post('/members', { email, role: 'operator' }, other.token)).status).toBe(201);
      await page.goto(`${cp.url}/servers`);
      const team = page.getByLabel('Team');
      await team.waitFor();
      const options = await team.locator('option').allTextContents();
      expect(options).toHaveLength(2);
      await team.selectOption({ index: options.findIndex((o) => o.includes('(operator)')) });
      await page.getByRole('heading', { name: 'No servers yet' }).waitFor();
      // An operator cannot create servers: the empty state says who can.
      await page.getByText('Ask an admin of your team to create one.').waitFor();
      await shot('tenant-switched');
      await team.selectOption({ index: options.findIndex((o) => o.includes('(owner)')) });
      await page.getByRole('link', { name: 'e2e-survival' }).waitFor();
    });
  },
);
