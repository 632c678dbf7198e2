import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { appContextMap } from '../lib/app-context.js';
import { fakeApi, testApp, type Recorded } from '../test-helpers.js';
import PluginReviewPage from './PluginReviewPage.svelte';

const ID = 'modrinth:s86X568j';
const version = (v: string, approval: string) => ({
  version: v,
  minecraft_versions: ['1.20.x'],
  distributions: ['paper', 'purpur'],
  dependencies: [{ plugin_id: 'modrinth:fALzjamp', version_range: '*', optional: false }],
  sha256: null,
  sha512: 'ab'.repeat(64),
  size_bytes: 20480,
  file_name: `ChunkyBorder-${v}.jar`,
  approval,
  published_at: '2026-10-01T00:00:00.000Z',
  created_at: '2026-11-26T00:00:00.000Z',
});
const plugin = (approvals: Record<string, string>) => ({
  id: ID,
  source: 'modrinth',
  source_id: 's86X568j',
  name: 'ChunkyBorder',
  description: 'World borders',
  category: 'utility',
  author: 'pop4959',
  homepage: 'https://modrinth.com/plugin/chunkyborder',
  updated_at: '2026-11-26T00:00:00.000Z',
  latest_version: null,
  versions: Object.entries(approvals).map(([v, a]) => version(v, a)),
});

function api() {
  const approvals: Record<string, string> = { '1.2.23': 'pending', '1.2.22': 'approved' };
  let synced = false;
  const fake = fakeApi({
    'GET /api/v1/plugins': () => ({
      body: {
        plugins: synced && Object.values(approvals).includes('pending') ? [plugin(approvals)] : [],
        pagination: { page: 1, per_page: 100, total: synced ? 1 : 0 },
      },
    }),
    [`GET /api/v1/plugins/${ID}`]: () => ({ body: plugin(approvals) }),
    'POST /api/v1/plugins/sync': () => {
      synced = true;
      return {
        body: {
          sources: [
            {
              source: 'modrinth',
              plugins: 1,
              versions_added: 2,
              versions_updated: 0,
              versions_reset_to_pending: 0,
              errors: [{ plugin_id: 'modrinth:fALzjamp', code: 'PLUGIN_NOT_FOUND', message: 'gone' }],
            },
          ],
        },
      };
    },
    [`POST /api/v1/plugins/${ID}/versions/1.2.23/approval`]: (r: Recorded) => {
      approvals['1.2.23'] = (r.body as { approval: string }).approval;
      return { body: version('1.2.23', approvals['1.2.23']) };
    },
  });
  return fake;
}

describe('plugin review', () => {
  it('syncs the sources, lists only pending versions with their file and dependencies, and approves one', async () => {
    const fake = api();
    render(PluginReviewPage, { context: appContextMap(testApp(fake.fetch, { token: 't' })) });
    expect(await screen.findByText('Nothing waits for review.')).toBeTruthy();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/Search the sources for/), 'chunky');
    await user.click(screen.getByRole('button', { name: 'Sync now' }));

    const report = await screen.findByTestId('sync-report');
    expect(report.textContent).toMatch(/modrinth: 1 plugins, 2 new versions/);
    expect(report.textContent).toContain('modrinth:fALzjamp: PLUGIN_NOT_FOUND');
    expect(fake.requests.find((r) => r.path === '/api/v1/plugins/sync')?.body).toEqual({ q: 'chunky' });

    const section = await screen.findByRole('region', { name: /ChunkyBorder/ });
    const rows = within(section).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1); // 1.2.22 is approved already: not listed
    expect(rows[0]!.textContent).toContain('ChunkyBorder-1.2.23.jar (20 KB)');
    expect(rows[0]!.textContent).toContain('modrinth:fALzjamp *');
    expect(rows[0]!.textContent).toContain('sha512 abababababababab…');

    await user.click(within(section).getByRole('button', { name: 'Approve ChunkyBorder 1.2.23' }));
    expect(await screen.findByText('ChunkyBorder 1.2.23: approved.')).toBeTruthy();
    expect(fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/approval'))?.body).toEqual({
      approval: 'approved',
    });
    expect(await screen.findByText('Nothing waits for review.')).toBeTruthy();
  });

  it('shows the API’s refusal with its code', async () => {
    const fake = fakeApi({
      'GET /api/v1/plugins': {
        status: 403,
        body: { error: { code: 'FORBIDDEN', message: 'Only a platform administrator may do this.' } },
      },
    });
    render(PluginReviewPage, { context: appContextMap(testApp(fake.fetch, { token: 't' })) });
    expect(await screen.findByText(/FORBIDDEN/)).toBeTruthy();
  });
});
