import type { Command } from 'commander';
import { ApiError, unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { configFile, readConfig, writeConfig, type StoredConfig } from '../config-store.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { renderFields } from '../output/table.js';
import { ask, readStdin } from '../prompt.js';
import { ssoLogin } from './sso-login.js';

interface Session {
  token: string;
  expires_at: string | null;
  user: Schemas['User'];
  tenant: Schemas['Tenant'];
  role?: string;
}

async function password(ctx: Context, fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) return readStdin(ctx.io, 'the password');
  return ask(ctx.io, 'Password: ', { hidden: true, flag: '--password-stdin' });
}

async function email(ctx: Context, given: string | undefined): Promise<string> {
  const value = given ?? (await ask(ctx.io, 'Email: ', { flag: '--email <email>' }));
  if (value === '') throw new UsageError('an email is required');
  return value;
}

/** Stores the session for this URL and prints who is logged in (never the token itself). */
async function remember(ctx: Context, session: Session, auth: StoredConfig['auth']): Promise<void> {
  const previous = await readConfig(ctx.env);
  const file = await writeConfig(ctx.env, {
    ...previous,
    url: ctx.url,
    token: session.token,
    auth,
    email: session.user.email,
    expires_at: session.expires_at,
  });
  const shown = {
    url: ctx.url,
    user: session.user,
    tenant: session.tenant,
    ...(session.role ? { role: session.role } : {}),
    auth,
    expires_at: session.expires_at,
    config_file: file,
  };
  ctx.result(shown, () =>
    [
      `Logged in to ${ctx.url} as ${session.user.email} (tenant ${session.tenant.name}${session.role ? `, ${session.role}` : ''}).`,
      `Credentials saved in ${file}.`,
      '',
    ].join('\n'),
  );
}

export function registerAuthCommands(program: Command, app: CliApp): void {
  const login = leafCommand(program, 'login', 'Log in and store the URL and credentials in the config folder')
    .option('--email <email>', 'account email (asked when omitted)')
    .option('--password-stdin', 'read the password from stdin (asked, hidden, when omitted)')
    .option(
      '--api-key <key>',
      'store an API key (mf_…) instead of logging in with a password; "-" reads it from stdin',
    )
    .option('--tenant <id>', 'tenant to act in, when the account belongs to several')
    .option('--code <code>', 'two-factor code or recovery code (asked when the account needs one)')
    .option('--sso <provider>', 'sign in with a single sign-on provider in a browser (prints the URL)')
    .action(
      async (
        opts: {
          email?: string;
          passwordStdin?: boolean;
          apiKey?: string;
          tenant?: string;
          code?: string;
          sso?: string;
        },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        if (opts.sso !== undefined) {
          if (opts.email || opts.passwordStdin || opts.apiKey !== undefined)
            throw new UsageError('--sso cannot be combined with --email, --password-stdin or --api-key');
          await remember(ctx, await ssoLogin(ctx, opts.sso, { code: opts.code }), 'session');
          return;
        }
        if (opts.apiKey !== undefined) {
          if (opts.email || opts.passwordStdin)
            throw new UsageError('--api-key cannot be combined with --email or --password-stdin');
          const key = opts.apiKey === '-' ? await readStdin(ctx.io, 'the API key') : opts.apiKey;
          // Checked before it is stored, so a typo never replaces working credentials.
          const me = unwrap(await ctx.clientWith(key).GET('/api/v1/me'));
          await remember(
            ctx,
            { token: key, expires_at: null, user: me.user, tenant: me.tenant, role: me.role },
            'api_key',
          );
          return;
        }
        const address = await email(ctx, opts.email);
        const secret = await password(ctx, opts.passwordStdin);
        const client = ctx.clientWith(undefined);
        let session: Session;
        try {
          session = unwrap(
            await client.POST('/api/v1/auth/login', {
              body: { email: address, password: secret, ...(opts.tenant ? { tenant_id: opts.tenant } : {}) },
            }),
          );
        } catch (error) {
          // Two-factor sign-in: the password was right; the code opens the session.
          if (!(error instanceof ApiError) || error.code !== 'MFA_REQUIRED') throw error;
          const raw = error.details?.mfa_token;
          const mfaToken = typeof raw === 'string' ? raw : '';
          const methods = Array.isArray(error.details?.methods) ? error.details.methods : ['totp'];
          if (opts.code === undefined && !methods.includes('totp')) {
            // Passkeys answer only in a browser (the WebAuthn prompt); a terminal cannot show one.
            throw new CliError(
              `This account's second factor is a passkey, which works only in a browser: sign in to the dashboard at ${ctx.url}, ` +
                'or turn on an authenticator app (TOTP) on its Account page to log in here, or pass a recovery code with --code.',
              { code: 'PASSKEY_BROWSER_ONLY' },
            );
          }
          const code =
            opts.code ??
            (await ask(ctx.io, 'Two-factor code (or a recovery code): ', { flag: '--code <code>' }));
          session = unwrap(
            await client.POST('/api/v1/auth/login/mfa', { body: { mfa_token: mfaToken, code } }),
          );
        }
        await remember(ctx, session, 'session');
      },
    );
  examples(login, [
    'minefleet login --url https://mc.example.com --email me@example.com',
    'echo "$PASSWORD" | minefleet login --email me@example.com --password-stdin',
    'echo "$PASSWORD" | minefleet login --email me@example.com --password-stdin --code 123456',
    'minefleet login --url http://localhost:8080 --api-key mf_abc123…',
    'printenv MINEFLEET_KEY | minefleet login --api-key -',
    'minefleet login --url https://mc.example.com --sso corp',
  ]);

  const signup = leafCommand(
    program,
    'signup',
    'Create an account (and its tenant), then log in as it; an address that has an account gets a notice mail instead',
  )
    .option('--email <email>', 'account email (asked when omitted)')
    .option('--password-stdin', 'read the password from stdin (asked, hidden, when omitted)')
    .option('--display-name <name>', 'your name as others see it')
    .option('--tenant-name <name>', 'name of the new tenant')
    .action(
      async (
        opts: { email?: string; passwordStdin?: boolean; displayName?: string; tenantName?: string },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        const address = await email(ctx, opts.email);
        const secret = await password(ctx, opts.passwordStdin);
        const client = ctx.clientWith(undefined);
        // The same answer whether or not the address has an account, and no session: log in after it.
        const answer = unwrap(
          await client.POST('/api/v1/auth/signup', {
            body: {
              email: address,
              password: secret,
              ...(opts.displayName ? { display_name: opts.displayName } : {}),
              ...(opts.tenantName ? { tenant_name: opts.tenantName } : {}),
            },
          }),
        );
        let session: Session;
        try {
          session = unwrap(
            await client.POST('/api/v1/auth/login', { body: { email: address, password: secret } }),
          );
        } catch (error) {
          // The address had an account (its owner was mailed), or it needs a second factor: not logged in.
          if (!(error instanceof ApiError) || !['INVALID_CREDENTIALS', 'MFA_REQUIRED'].includes(error.code))
            throw error;
          ctx.result({ url: ctx.url, email: answer.email, logged_in: false, message: answer.message }, () =>
            [
              answer.message,
              `Then log in: minefleet login --url ${ctx.url} --email ${answer.email}`,
              '',
            ].join('\n'),
          );
          return;
        }
        await remember(ctx, session, 'session');
      },
    );
  examples(signup, [
    'minefleet signup --url http://localhost:8080 --email me@example.com',
    'echo "$PASSWORD" | minefleet signup --email me@example.com --password-stdin --tenant-name "My team"',
  ]);

  const logout = leafCommand(
    program,
    'logout',
    'End the session and forget the stored credentials (the URL is kept)',
  ).action(async (_opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const stored = await readConfig(ctx.env);
    const had = stored.token !== undefined;
    if (had) {
      // A session ends on the server too (an API key stays valid: revoke it with api-keys rm).
      if (stored.auth === 'session') {
        try {
          await ctx.clientWith(stored.token).POST('/api/v1/auth/logout');
        } catch {
          // Unreachable server: the credentials are forgotten here anyway.
        }
      }
      const { token: _token, auth: _auth, expires_at: _expires, ...rest } = stored;
      await writeConfig(ctx.env, rest);
    }
    ctx.result({ logged_out: had, url: stored.url ?? null, config_file: configFile(ctx.env) }, () =>
      had ? `Logged out of ${stored.url ?? ctx.url}.\n` : 'Not logged in.\n',
    );
  });
  examples(logout, ['minefleet logout']);

  const whoami = leafCommand(program, 'whoami', 'Show the current user, tenant, role and quota usage').action(
    async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const me = unwrap(await ctx.client.GET('/api/v1/me'));
      ctx.result(me, () =>
        renderFields(
          [
            ['URL', ctx.url],
            ['Email', me.user.email],
            ['Name', me.user.display_name],
            ['User ID', me.user.id],
            ['Tenant', `${me.tenant.name} (${me.tenant.id})`],
            ['Role', me.role],
            ['Auth', me.auth.method === 'api_key' ? `API key ${me.auth.api_key_id ?? ''}`.trim() : 'session'],
            ['Servers', `${me.quota.servers.used} of ${me.quota.servers.limit}`],
            ['Memory', `${me.quota.memory_mb.used} of ${me.quota.memory_mb.limit} MB`],
            ...(me.tenants.length > 1
              ? [['Tenants', me.tenants.map((t) => `${t.tenant.name} (${t.role})`).join(', ')] as const]
              : []),
          ],
          ctx.style,
        ),
      );
    },
  );
  examples(whoami, ['minefleet whoami', 'minefleet whoami --format json']);
}
