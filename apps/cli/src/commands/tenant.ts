import { Option, type Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { renderFields } from '../output/table.js';

interface Security {
  require_2fa: boolean;
  sso_only: boolean;
}

const onOff = (value: boolean) => (value ? 'on' : 'off');

function securityFields(ctx: Context, s: Security): string {
  return renderFields(
    [
      ['Two-factor required', onOff(s.require_2fa)],
      ['Single sign-on only', onOff(s.sso_only)],
    ],
    ctx.style,
  );
}

/** `minefleet tenant …`: settings of the current tenant (docs/cli.md, docs/security.md). */
export function registerTenantCommands(program: Command, app: CliApp): void {
  const tenant = program.command('tenant').description('Settings of the current tenant (team)');
  examples(tenant, ['minefleet tenant security show', 'minefleet tenant security set --require-2fa on']);

  const security = tenant
    .command('security')
    .description("The tenant's security policy: two-factor sign-in required, single sign-on only");
  examples(security, [
    'minefleet tenant security show',
    'minefleet tenant security set --require-2fa on',
    'minefleet tenant security set --sso-only on --require-2fa off',
  ]);

  const show = leafCommand(security, 'show', "Show the tenant's security policy")
    .alias('get')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const s = unwrap(await ctx.client.GET('/api/v1/tenant/security'));
      ctx.result(s, () => securityFields(ctx, s));
    });
  examples(show, ['minefleet tenant security show', 'minefleet tenant security show --format json']);

  const set = leafCommand(
    security,
    'set',
    "Change the tenant's security policy (needs the tenant.security permission; owners hold it)",
  )
    .addOption(
      new Option(
        '--require-2fa <on|off>',
        'members must have two-factor sign-in on to act in the tenant (turn it on for yourself first)',
      ).choices(['on', 'off']),
    )
    .addOption(
      new Option(
        '--sso-only <on|off>',
        'members act in the tenant only when signed in by single sign-on (sign in with `minefleet login --sso` first)',
      ).choices(['on', 'off']),
    )
    .action(async (opts: { require2fa?: string; ssoOnly?: string }, command: Command) => {
      const body = {
        ...(opts.require2fa ? { require_2fa: opts.require2fa === 'on' } : {}),
        ...(opts.ssoOnly ? { sso_only: opts.ssoOnly === 'on' } : {}),
      };
      if (Object.keys(body).length === 0)
        throw new UsageError('nothing to change: give --require-2fa and/or --sso-only');
      const ctx = await app.context(command);
      ctx.requireToken();
      const s = unwrap(await ctx.client.PUT('/api/v1/tenant/security', { body }));
      ctx.result(s, () => securityFields(ctx, s));
    });
  examples(set, [
    'minefleet tenant security set --require-2fa on',
    'minefleet tenant security set --sso-only on',
    'minefleet tenant security set --require-2fa off --sso-only off',
  ]);
}
