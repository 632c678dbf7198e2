/// <reference lib="dom" />
// The functions passed to page.evaluate() run in the browser: DOM types are needed to check them.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { seriousViolations } from './axe.js';

/**
 * The Files tab in a real browser (Debian's Chromium driven by playwright-core) against a real control
 * plane serving the built dashboard and a real flying-squid server's folder: browse folders, edit and
 * save a file, the stale-save (412) path, the folder kept in the URL (shared link, reload, back and
 * forward), a file's history (versions, a diff, revert), delete to the trash and restore, a chunked upload
 * and a download; axe-core finds no serious or critical violation on the list, the editor or the trash, in
 * either theme, and the tab fits a phone's width.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = path.resolve('apps/dashboard/dist');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(path.join(DIST, 'index.html')))(
  `files tab in a browser${existsSync(CHROMIUM) && existsSync(path.join(DIST, 'index.html')) ? '' : ' (skipped: needs Chromium and the built dashboard)'}`,
  () => {
    let cp: RunningControlPlane;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    let serverId = '';
    let folder = '';
    /** Every URL the page asked for (the highlighter's chunk is loaded only when an editor needs it). */
    const requested: string[] = [];
    const highlighterLoaded = () =>
      requested.some((url) => /\/assets\/syntax-highlighter-[\w-]+\.js$/.test(url));

    async function expectAccessible(name: string) {
      expect(await seriousViolations(page), `accessibility of the ${name}`).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      try {
        expect(await seriousViolations(page), `accessibility of the ${name}, dark theme`).toEqual([]);
      } finally {
        await page.emulateMedia({ colorScheme: 'light' });
      }
    }

    /** At a phone's width nothing makes the whole page scroll sideways (wide tables scroll in place). */
    async function expectFitsPhone(name: string) {
      await page.setViewportSize(PHONE);
      try {
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${name} at phone width`).toBeLessThanOrEqual(0);
      } finally {
        await page.setViewportSize(DESKTOP);
      }
    }

    const row = (name: string) => page.getByTestId(`file-${name}`);
    const onDisk = (p: string) => readFile(path.join(folder, p), 'utf8');

    beforeAll(async () => {
      cp = await startControlPlane(primaryBackend());
      const owner = await cp.api.signup('files-ui');
      const res = await cp.api.post(
        '/servers',
        { name: 'files-ui', sku_id: 'starter', minecraft_version: '1.20.2' },
        owner.token,
      );
      expect(res.status).toBe(202);
      serverId = res.body.id;
      await cp.api.waitForStatus(serverId, owner.token, 'stopped');
      folder = path.join(cp.dataDir, 'servers', serverId);
      await mkdir(path.join(folder, 'plugins', 'Essentials', 'lang'), { recursive: true });
      await writeFile(path.join(folder, 'plugins', 'Essentials', 'config.yml'), 'spawn-on-join: false\n');
      await writeFile(
        path.join(folder, 'plugins', 'Essentials', 'lang', 'messages.properties'),
        '# Shown on join\ngreeting=Welcome, {0}!\n',
      );
      await writeFile(path.join(folder, 'motd.txt'), 'Welcome to the server\n');

      profile = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: DESKTOP,
        acceptDownloads: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(15_000);
      page.on('request', (request) => requested.push(request.url()));
      // Signed in as the owner: the dashboard keeps its session in localStorage.
      await page.goto(`${cp.url}/login`);
      await page.evaluate(
        (token) => localStorage.setItem('minefleet.session', JSON.stringify({ token, expiresAt: null })),
        owner.token,
      );
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await cp?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('opens the Files tab from the server page and browses folders by name and breadcrumb', async () => {
      await page.goto(`${cp.url}/servers/${serverId}`);
      await page
        .getByRole('navigation', { name: 'Server sections' })
        .getByRole('link', { name: 'Files', exact: true })
        .click();
      await page.waitForURL(/\/files$/);
      await row('motd.txt').waitFor();
      expect(await row('motd.txt').textContent()).toContain('22 B');
      expect(highlighterLoaded(), 'the highlighter is not in the listing').toBe(false);
      // The platform's own folder is never shown.
      expect(await page.getByTestId('file-.minefleet').count()).toBe(0);
      await expectAccessible('files list');
      await expectFitsPhone('files list');

      await row('plugins').getByRole('button', { name: 'plugins/', exact: true }).click();
      await row('Essentials').getByRole('button', { name: 'Essentials/', exact: true }).click();
      await row('config.yml').waitFor();
      const crumbs = page.getByRole('navigation', { name: 'Folder path' });
      expect(await crumbs.getByText('Essentials').getAttribute('aria-current')).toBe('location');
      await crumbs.getByRole('button', { name: 'Server folder' }).click();
      await row('motd.txt').waitFor();
    });

    it('edits and saves a file; a save over a newer version is refused and offers reload or overwrite', async () => {
      await row('motd.txt').getByRole('button', { name: 'motd.txt', exact: true }).click();
      const editor = page.getByLabel('Content of motd.txt');
      await expect.poll(() => editor.inputValue()).toBe('Welcome to the server\n');
      await editor.fill('Welcome, edited in the browser\n');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved motd.txt.').waitFor();
      expect(await onDisk('motd.txt')).toBe('Welcome, edited in the browser\n');
      await expectAccessible('file editor');
      await expectFitsPhone('file editor');

      // Something else changes the file after it was opened: the next save must not overwrite it.
      await writeFile(path.join(folder, 'motd.txt'), 'Changed on disk by the game, longer than before\n');
      await editor.fill('My stale edit\n');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const stale = page.getByTestId('stale-save');
      await stale.getByText('This file changed since you opened it.').waitFor();
      expect(await onDisk('motd.txt')).toBe('Changed on disk by the game, longer than before\n');
      await expectAccessible('stale-save message');
      await stale.getByRole('button', { name: 'Reload (discard my changes)' }).click();
      await expect.poll(() => editor.inputValue()).toBe('Changed on disk by the game, longer than before\n');
      expect(await stale.count()).toBe(0);

      await writeFile(path.join(folder, 'motd.txt'), 'Changed on disk again\n');
      await editor.fill('Mine wins\n');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await stale.getByRole('button', { name: 'Overwrite with my version' }).click();
      await page.getByText('Saved motd.txt.').waitFor();
      expect(await onDisk('motd.txt')).toBe('Mine wins\n');
      await page.getByRole('button', { name: 'Back to the folder' }).click();
      await row('motd.txt').waitFor();
    });

    it('keeps the folder in the URL: a shared link opens it, reload and back/forward keep it', async () => {
      const url = () => new URL(page.url());
      // A link to a folder, as someone would share it.
      await page.goto(`${cp.url}/servers/${serverId}/files?path=plugins`);
      await row('Essentials').getByRole('button', { name: 'Essentials/', exact: true }).click();
      await row('config.yml').waitFor();
      expect(url().search).toBe('?path=plugins/Essentials');
      await page.reload();
      await row('config.yml').waitFor();
      const crumbs = page.getByRole('navigation', { name: 'Folder path' });
      expect(await crumbs.getByText('Essentials').getAttribute('aria-current')).toBe('location');
      await page.goBack();
      await row('Essentials').waitFor();
      expect(url().search).toBe('?path=plugins');
      await page.goForward();
      await row('config.yml').waitFor();
      expect(url().search).toBe('?path=plugins/Essentials');
    });

    it('shows the history of a file edited twice, a diff against the current content, and reverts', async () => {
      const file = 'plugins/Essentials/config.yml';
      await row('config.yml').getByRole('button', { name: 'config.yml', exact: true }).click();
      const editor = page.getByLabel(`Content of ${file}`);
      await expect.poll(() => editor.inputValue()).toBe('spawn-on-join: false\n');
      for (const content of ['spawn-on-join: true\n', 'spawn-on-join: true\nmotd: hello\n']) {
        await editor.fill(content);
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await expect.poll(() => onDisk(file)).toBe(content);
      }

      await page.getByRole('button', { name: 'History', exact: true }).click();
      // The content found before the first edit, then one version per save, newest first.
      const versions = page.getByTestId('version-list').locator('tbody tr');
      await expect.poll(() => versions.count()).toBe(3);
      expect(await page.getByTestId('version-3').textContent()).toContain('You');
      expect(await page.getByTestId('version-1').textContent()).toContain('Found before the first edit');

      await page.getByRole('button', { name: 'Compare version 2 with the current content' }).click();
      const diff = page.getByTestId('version-diff');
      await diff.waitFor();
      expect(await diff.locator('ins').allTextContents()).toEqual([
        'Only in the current content: motd: hello',
      ]);
      expect(await diff.locator('del').count()).toBe(0);
      await expectAccessible('file history with a diff');

      await page.getByRole('button', { name: 'Revert to version 2' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revert', exact: true }).click();
      await page.getByText(`Reverted ${file} to version 2.`).waitFor();
      expect(await onDisk(file)).toBe('spawn-on-join: true\n');
      expect(await editor.inputValue()).toBe('spawn-on-join: true\n');
      // The revert is itself a new version.
      await expect.poll(() => versions.count()).toBe(4);
      await page
        .getByRole('navigation', { name: 'Folder path' })
        .getByRole('button', { name: 'Server folder' })
        .click();
      await row('motd.txt').waitFor();
      expect(new URL(page.url()).search).toBe('');
    });

    it('deletes a file to the trash after confirming and restores it', async () => {
      await page.getByRole('button', { name: 'Delete motd.txt' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).click();
      await page.getByText(/Moved motd.txt to the trash/).waitFor();
      expect(existsSync(path.join(folder, 'motd.txt'))).toBe(false);
      expect(await row('motd.txt').count()).toBe(0);

      await page.getByRole('button', { name: 'Trash', exact: true }).click();
      const item = page.getByTestId('trash-motd.txt');
      await item.waitFor();
      await expectAccessible('trash');
      await item.getByRole('button', { name: 'Restore motd.txt' }).click();
      await page.getByText('The trash is empty.').waitFor();
      expect(await onDisk('motd.txt')).toBe('Mine wins\n');
      await page.getByRole('button', { name: 'Files', exact: true }).click();
      await row('motd.txt').waitFor();
    });

    it('uploads a file bigger than one chunk with progress, lists it, and downloads it back', async () => {
      // 9 MiB: three chunks of the dashboard's 4 MiB.
      const bytes = randomBytes(9 * 1024 * 1024);
      await page.getByLabel('Files to upload').setInputFiles({
        name: 'world-backup.bin',
        mimeType: 'application/octet-stream',
        buffer: bytes,
      });
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await page.getByText('Uploaded world-backup.bin.').waitFor({ timeout: 60_000 });
      await row('world-backup.bin').waitFor();
      expect(await row('world-backup.bin').textContent()).toContain('9.0 MB');
      const progress = page.getByLabel('world-backup.bin', { exact: true });
      expect(
        await progress.evaluate((p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max]),
      ).toEqual([bytes.length, bytes.length]);
      expect((await readFile(path.join(folder, 'world-backup.bin'))).equals(bytes)).toBe(true);
      await expectAccessible('files list after an upload');

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download motd.txt' }).click();
      const saved = await download;
      expect(saved.suggestedFilename()).toBe('motd.txt');
      expect(await readFile(await saved.path(), 'utf8')).toBe('Mine wins\n');
    });

    it('opens a folder through the tree, highlights a .properties file, and uploads a dropped file', async () => {
      // The tree reads a folder's subfolders when it is expanded: one listing call each.
      const listings = (folderPath: string) =>
        requested.filter((url) => {
          const u = new URL(url);
          return (
            u.pathname.endsWith(`/servers/${serverId}/files`) && u.searchParams.get('path') === folderPath
          );
        }).length;
      await page.goto(`${cp.url}/servers/${serverId}/files`);
      const tree = page.getByRole('navigation', { name: 'Folders' });
      const plugins = tree.getByRole('button', { name: 'Folders in plugins' });
      await plugins.waitFor();
      expect(await plugins.getAttribute('aria-expanded')).toBe('false');
      const before = listings('plugins');
      await plugins.press('Enter');
      const essentials = tree.getByRole('button', { name: 'Essentials', exact: true });
      await essentials.waitFor();
      expect(await plugins.getAttribute('aria-expanded')).toBe('true');
      expect(listings('plugins') - before).toBe(1);
      // Folders only: the files of the server folder are in the listing, not in the tree.
      expect(await tree.getByText('motd.txt').count()).toBe(0);
      await essentials.click();
      await row('config.yml').waitFor();
      expect(new URL(page.url()).search).toBe('?path=plugins/Essentials');
      expect(await essentials.getAttribute('aria-current')).toBe('location');

      // A link to a deeper folder: the tree opens on it, its ancestors expanded and it marked.
      await page.goto(`${cp.url}/servers/${serverId}/files?path=plugins/Essentials/lang`);
      await row('messages.properties').waitFor();
      const lang = tree.getByRole('button', { name: 'lang', exact: true });
      await lang.waitFor();
      expect(await lang.getAttribute('aria-current')).toBe('location');
      expect(
        await tree.getByRole('button', { name: 'Folders in Essentials' }).getAttribute('aria-expanded'),
      ).toBe('true');
      await expectAccessible('files list with the folder tree');

      await row('messages.properties')
        .getByRole('button', { name: 'messages.properties', exact: true })
        .click();
      const editor = page.getByLabel('Content of plugins/Essentials/lang/messages.properties');
      await expect.poll(() => editor.inputValue()).toBe('# Shown on join\ngreeting=Welcome, {0}!\n');
      const key = page.locator('.code-area .hljs-attr').first();
      await key.waitFor();
      expect(await key.textContent()).toBe('greeting');
      expect(await page.locator('.code-area .hljs-comment').first().textContent()).toBe('# Shown on join');
      expect(highlighterLoaded()).toBe(true);
      // Typing repaints the tokens.
      await editor.fill('# Shown on join\ngreeting=Hi\nfarewell=Bye\n');
      await expect
        .poll(() => page.locator('.code-area .hljs-attr').allTextContents())
        .toEqual(['greeting', 'farewell']);
      await expectAccessible('editor with highlighting');
      await page.getByRole('button', { name: 'Discard changes' }).click();
      await page.getByRole('button', { name: 'Back to the folder' }).click();

      // A real drop event carrying a file built in the page, as the browser sends one from the desktop.
      const zone = page.getByTestId('drop-zone');
      const drag = (type: string) =>
        zone.evaluate((element, eventType) => {
          const data = new DataTransfer();
          data.items.add(new File(['x'.repeat(3000)], 'dropped.txt', { type: 'text/plain' }));
          element.dispatchEvent(
            new DragEvent(eventType, { dataTransfer: data, bubbles: true, cancelable: true }),
          );
        }, type);
      await drag('dragover');
      await zone.getByText('Drop to upload to plugins/Essentials/lang/').waitFor();
      await drag('drop');
      await page.getByText('Uploaded dropped.txt.').waitFor();
      await row('dropped.txt').waitFor();
      expect(await row('dropped.txt').textContent()).toContain('2.9 KB');
      const progress = page.getByLabel('dropped.txt', { exact: true });
      expect(
        await progress.evaluate((p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max]),
      ).toEqual([3000, 3000]);
      expect(await onDisk('plugins/Essentials/lang/dropped.txt')).toBe('x'.repeat(3000));
    });
  },
);
