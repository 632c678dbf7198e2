import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { appContextMap } from '../lib/app-context.js';
import { fakeApi, testApp, type Recorded } from '../test-helpers.js';
import TenantSecurityCard from './TenantSecurityCard.svelte';

const CORP = {
  id: 'corp',
  name: 'Corp Login',
  start_url: 'http://minefleet.test/api/v1/auth/oidc/corp/start',
};

/** The card over a fake API keeping the policy, for a user holding `held`. */
function setup(
  options: {
    held?: string[];
    totp?: boolean;
    providers?: (typeof CORP)[];
    put?: (r: Recorded) => { status?: number; body?: unknown };
  } = {},
) {
  let policy = { require_2fa: false, sso_only: false };
  const fake = fakeApi({
    'GET /api/v1/tenant/security': () => ({ body: policy }),
    'PUT /api/v1/tenant/security':
      options.put ??
      ((r: Recorded) => {
        policy = { ...policy, ...(r.body as object) };
        return { body: policy };
      }),
    'GET /api/v1/me/2fa': {
      body: { totp_enabled: options.totp ?? true, passkeys: 0, recovery_codes_left: 10 },
    },
    'GET /api/v1/auth/oidc/providers': { body: { providers: options.providers ?? [CORP] } },
  });
  const app = testApp(fake.fetch, { token: 't' });
  app.session.me = {
    role: 'owner',
    permissions: options.held ?? ['member.read', 'tenant.security'],
  } as never;
  render(TenantSecurityCard, { context: appContextMap(app) });
  return fake;
}

describe('tenant security card', () => {
  it('shows the policy and sends only the switch that changed', async () => {
    const fake = setup();
    const require2fa = (await screen.findByTestId('require-2fa')) as HTMLInputElement;
    const ssoOnly = screen.getByTestId('sso-only') as HTMLInputElement;
    expect(require2fa.checked).toBe(false);
    expect(ssoOnly.checked).toBe(false);
    expect(document.body.textContent).toContain('signed in with Corp Login');
    const save = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    const user = userEvent.setup();
    await user.click(require2fa);
    await user.click(save);
    expect(await screen.findByRole('status')).toBeTruthy();
    expect(fake.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      { require_2fa: true },
    ]);
    expect(require2fa.checked).toBe(true);
  });

  it('shows a refusal in words with its code', async () => {
    setup({
      put: () => ({
        status: 403,
        body: {
          error: {
            code: 'SSO_REQUIRED',
            message: 'Sign in with single sign-on yourself before requiring it of the team.',
          },
        },
      }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByTestId('sso-only'));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/Sign in with single sign-on yourself before requiring it/)).toBeTruthy();
    expect(document.body.textContent).toContain('SSO_REQUIRED');
  });

  it('says what each switch needs first: your own second factor, a provider on the host', async () => {
    setup({ totp: false, providers: [] });
    expect(((await screen.findByTestId('require-2fa')) as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByTestId('sso-only') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByRole('link', { name: 'your own account' }).getAttribute('href')).toBe('/account');
    expect(document.body.textContent).toContain('No single sign-on provider is configured');
  });

  it('is not shown to a member who may not change it', async () => {
    const fake = setup({ held: ['member.read'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('tenant-security')).toBeNull();
    expect(fake.requests).toEqual([]);
  });
});
