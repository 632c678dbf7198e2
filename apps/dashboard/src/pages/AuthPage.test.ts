import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { appContextMap } from '../lib/app-context.js';
import { fakeApi, testApp } from '../test-helpers.js';
import AuthPage from './AuthPage.svelte';

const USER = {
  id: 'u1',
  email: 'ann@example.com',
  display_name: 'Ann',
  created_at: '2025-01-01T00:00:00Z',
  is_platform_admin: false,
};
const TENANT = { id: 't1', name: 'Ann’s team', created_at: '2025-01-01T00:00:00Z' };
const ME = {
  user: USER,
  tenant: TENANT,
  role: 'owner',
  tenants: [{ tenant: TENANT, role: 'owner' }],
  quota: { servers: { used: 0, limit: 10 }, memory_mb: { used: 0, limit: 16384 } },
  auth: { method: 'session' },
};

const CHECK_EMAIL = 'Check your email to finish signing up, then sign in.';

describe('sign up', () => {
  it('checks email and password before sending, then signs up, signs in and opens the servers page', async () => {
    const api = fakeApi({
      'POST /api/v1/auth/signup': { status: 202, body: { email: 'ann@example.com', message: CHECK_EMAIL } },
      'POST /api/v1/auth/login': {
        body: { token: 'session-token', expires_at: null, user: USER, tenant: TENANT, role: 'owner' },
      },
      'GET /api/v1/me': { body: ME },
    });
    const app = testApp(api.fetch);
    render(AuthPage, { props: { mode: 'signup' }, context: appContextMap(app) });
    const user = userEvent.setup();

    await user.type(screen.getByLabelText('Email'), 'not-an-email');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByText('Enter an email address like name@example.com.')).toBeTruthy();
    expect(screen.getByText('At least 10 characters.')).toBeTruthy();
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
    expect(api.requests).toHaveLength(0);

    await user.clear(screen.getByLabelText('Email'));
    await user.type(screen.getByLabelText('Email'), 'ann@example.com');
    await user.clear(screen.getByLabelText('Password'));
    // Keyboard only: Enter in the last field submits the form.
    await user.type(screen.getByLabelText('Password'), 'a long passphrase{Enter}');
    await vi.waitFor(() => expect(app.router.path).toBe('/servers'));
    expect(api.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/auth/signup',
      body: { email: 'ann@example.com', password: 'a long passphrase' },
    });
    // Sign-up opens no session (it answers the same for every address): the same password signs in.
    expect(api.requests[1]).toMatchObject({
      method: 'POST',
      path: '/api/v1/auth/login',
      body: { email: 'ann@example.com', password: 'a long passphrase' },
    });
    expect(app.session.token).toBe('session-token');
    expect(app.session.me?.tenant.name).toBe('Ann’s team');
  });

  it('says "check your email" and stays signed out when the address already had an account', async () => {
    const api = fakeApi({
      'POST /api/v1/auth/signup': { status: 202, body: { email: 'ann@example.com', message: CHECK_EMAIL } },
      'POST /api/v1/auth/login': {
        status: 401,
        body: { error: { code: 'INVALID_CREDENTIALS', message: 'The email or password is wrong.' } },
      },
    });
    const app = testApp(api.fetch);
    render(AuthPage, { props: { mode: 'signup' }, context: appContextMap(app) });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'ann@example.com');
    await user.type(screen.getByLabelText('Password'), 'a long passphrase');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const notice = await screen.findByTestId('signup-pending');
    expect(notice.textContent).toContain(CHECK_EMAIL);
    expect(notice.querySelector('a[href="/forgot-password"]')).toBeTruthy();
    // Nothing says whether the address was taken: no error, no code.
    expect(screen.queryByRole('alert')).toBeNull();
    expect(app.session.signedIn).toBe(false);
    expect(app.router.path).not.toBe('/servers');
  });
});

describe('sign in', () => {
  it('says wrong credentials plainly and stays on the form', async () => {
    const api = fakeApi({
      'POST /api/v1/auth/login': {
        status: 401,
        body: { error: { code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' } },
      },
    });
    const app = testApp(api.fetch);
    render(AuthPage, { props: { mode: 'login' }, context: appContextMap(app) });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'ann@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password{Enter}');
    expect((await screen.findByRole('alert')).textContent).toContain(
      'That email and password do not match an account.',
    );
    expect(app.session.signedIn).toBe(false);
  });
});

describe('single sign-on buttons', () => {
  it('shows one "Sign in with" link per configured provider, to its start URL', async () => {
    const api = fakeApi({
      'GET /api/v1/auth/oidc/providers': {
        body: {
          providers: [
            { id: 'corp', name: 'Corp', start_url: 'http://cp.example/api/v1/auth/oidc/corp/start' },
            { id: 'google', name: 'Google', start_url: 'http://cp.example/api/v1/auth/oidc/google/start' },
          ],
        },
      },
    });
    render(AuthPage, { props: { mode: 'login' }, context: appContextMap(testApp(api.fetch)) });
    const corp = await screen.findByRole('link', { name: 'Sign in with Corp' });
    expect(corp.getAttribute('href')).toBe('http://cp.example/api/v1/auth/oidc/corp/start');
    expect(screen.getByRole('link', { name: 'Sign in with Google' })).toBeTruthy();
  });

  it('shows none when the server has no providers (or no single sign-on at all)', async () => {
    const api = fakeApi({});
    render(AuthPage, { props: { mode: 'login' }, context: appContextMap(testApp(api.fetch)) });
    await vi.waitFor(() => expect(api.requests.map((r) => r.path)).toContain('/api/v1/auth/oidc/providers'));
    expect(screen.queryByRole('link', { name: /Sign in with/ })).toBeNull();
  });
});
