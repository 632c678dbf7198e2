import type { Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { renderFields, renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { isUuid } from '../resolve-server.js';

type ApiKey = Schemas['ApiKey'];

/** "30d", "12h", "90m" from now, or an ISO-8601 time, as the API's expires_at. */
export function parseExpiry(raw: string, now = Date.now()): string {
  const relative = /^(\d+)([mhdw])$/.exec(raw);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      relative[2] as 'm' | 'h' | 'd' | 'w'
    ];
    return new Date(now + Number(relative[1]) * unit).toISOString();
  }
  const at = Date.parse(raw);
  if (Number.isNaN(at))
    throw new UsageError(`--expires must be like 30d, 12h or an ISO-8601 time (got "${raw}")`);
  return new Date(at).toISOString();
}

async function allKeys(ctx: Context): Promise<ApiKey[]> {
  return unwrap(await ctx.client.GET('/api/v1/api-keys', { params: { query: { per_page: 100 } } })).api_keys;
}

/** A key named by id or by name; a name shared by several keys is refused. */
async function resolveKey(ctx: Context, ref: string): Promise<ApiKey> {
  const keys = await allKeys(ctx);
  const matches = keys.filter((k) => k.id === ref || k.name === ref || (!isUuid(ref) && k.prefix === ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new UsageError(
      `"${ref}" names ${matches.length} API keys (${matches.map((k) => k.id).join(', ')}); use the id`,
    );
  throw new CliError(`No API key named or with id "${ref}".`, { code: 'API_KEY_NOT_FOUND' });
}

export function registerApiKeyCommands(program: Command, app: CliApp): void {
  const keys = program
    .command('api-keys')
    .alias('api-key')
    .description('API keys for scripts and CI (they act as you)');
  examples(keys, [
    'minefleet api-keys create ci --expires 90d',
    'minefleet api-keys ls',
    'minefleet api-keys rm ci',
  ]);

  const create = leafCommand(keys, 'create <name>', 'Create an API key; the key is shown once')
    .option('--expires <when>', 'expiry: 30d, 12h, 90m, 2w or an ISO-8601 time (default: never)')
    .action(async (name: string, opts: { expires?: string }, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const created = unwrap(
        await ctx.client.POST('/api/v1/api-keys', {
          body: { name, ...(opts.expires ? { expires_at: parseExpiry(opts.expires) } : {}) },
        }),
      );
      ctx.result(
        created,
        () =>
          renderFields(
            [
              ['ID', created.id],
              ['Name', created.name],
              ['Expires', created.expires_at ?? 'never'],
              ['Key', created.key],
            ],
            ctx.style,
          ) + '\nStore the key now: it is not shown again.\n',
      );
    });
  examples(create, [
    'minefleet api-keys create ci --expires 90d',
    'minefleet api-keys create deploy --format json | jq -r .key',
  ]);

  const ls = leafCommand(keys, 'ls', 'List API keys (yours; admins see every key of the tenant)')
    .alias('list')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const list = await allKeys(ctx);
      ctx.result(list, () =>
        list.length === 0
          ? 'No API keys.\n'
          : renderTable(
              list,
              [
                { header: 'NAME', value: (k) => k.name },
                { header: 'PREFIX', value: (k) => k.prefix },
                { header: 'CREATED', value: (k) => `${formatAge(k.created_at)} ago` },
                {
                  header: 'LAST USED',
                  value: (k) => (k.last_used_at ? `${formatAge(k.last_used_at)} ago` : 'never'),
                },
                { header: 'EXPIRES', value: (k) => k.expires_at ?? 'never' },
                { header: 'ID', value: (k) => k.id },
              ],
              ctx.style,
            ),
      );
    });
  examples(ls, ['minefleet api-keys ls']);

  const rm = leafCommand(keys, 'rm <key>', 'Revoke an API key (by id or name)')
    .alias('revoke')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const key = await resolveKey(ctx, ref);
      unwrap(await ctx.client.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: key.id } } }));
      ctx.result(
        { id: key.id, name: key.name, revoked: true },
        () => `Revoked API key ${key.name} (${key.id}).\n`,
      );
    });
  examples(rm, ['minefleet api-keys rm ci']);
}
