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

describe('sign up', () => {
  it('checks email and password before sending, then signs up and opens the servers page', async () => {
    const api = fakeApi({
      'POST /api/v1/auth/signup': {
        status: 201,
        body: { user: USER, tenant: TENANT, token: 'session-token' },
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
    expect(app.session.token).toBe('session-token');
    expect(app.session.me?.tenant.name).toBe('Ann’s team');
  });

  it('shows a taken email in words, with the error code available', async () => {
    const api = fakeApi({
      'POST /api/v1/auth/signup': {
        status: 409,
        body: { error: { code: 'EMAIL_TAKEN', message: 'That email is taken.' } },
      },
    });
    render(AuthPage, { props: { mode: 'signup' }, context: appContextMap(testApp(api.fetch)) });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'ann@example.com');
    await user.type(screen.getByLabelText('Password'), 'a long passphrase');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('An account with this email already exists.');
    expect(screen.getByTestId('error-code').textContent).toBe('EMAIL_TAKEN');
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
