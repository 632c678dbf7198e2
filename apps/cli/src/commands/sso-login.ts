import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, unwrap, type Schemas } from '@minefleet/api-client/client';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { ask } from '../prompt.js';

export interface SsoSession {
  token: string;
  expires_at: string | null;
  user: Schemas['User'];
  tenant: Schemas['Tenant'];
  role?: string;
}

/**
 * `minefleet login --sso <provider>`: the control plane gives a sign-in URL (carrying a public id) and
 * a secret to poll with; the URL is printed (on stderr, so `--format json` output stays clean) for the
 * user to open in a browser, and the session is collected when the browser's sign-in finishes. An
 * account with two-factor sign-in is then asked for its code, as after a password.
 */
export async function ssoLogin(
  ctx: Context,
  provider: string,
  options: { code?: string | undefined; timeoutMs?: number },
): Promise<SsoSession> {
  const client = ctx.clientWith(undefined);
  const begun = unwrap(
    await client.POST('/api/v1/auth/oidc/{provider}/device', { params: { path: { provider } } }),
  );
  ctx.io.stderr.write(
    `Open this URL in your browser and sign in:\n\n  ${begun.verification_url}\n\nWaiting for the browser…\n`,
  );
  const until = Math.min(Date.parse(begun.expires_at), Date.now() + (options.timeoutMs ?? Infinity));
  while (Date.now() < until) {
    await sleep(begun.interval * 1000);
    try {
      return unwrap(
        await client.POST('/api/v1/auth/oidc/device/token', { body: { device_code: begun.device_code } }),
      );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === 'DEVICE_LOGIN_PENDING') continue;
      if (error.code !== 'MFA_REQUIRED') throw error;
      const raw = error.details?.mfa_token;
      const code =
        options.code ??
        (await ask(ctx.io, 'Two-factor code (or a recovery code): ', { flag: '--code <code>' }));
      return unwrap(
        await client.POST('/api/v1/auth/login/mfa', {
          body: { mfa_token: typeof raw === 'string' ? raw : '', code },
        }),
      );
    }
  }
  throw new CliError('the browser sign-in did not finish in time; run login again', {
    code: 'LINK_INVALID',
  });
}
