import type { Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import type { paths } from '@minefleet/api-client/openapi.gen';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { collect } from '../option-parsers.js';
import { renderFields, renderTable } from '../output/table.js';

type CustomRole = Schemas['CustomRole'];
/** A permission key as the API's schema names them (the API refuses unknown ones with their name). */
type PermissionKey =
  paths['/api/v1/roles']['post']['requestBody']['content']['application/json']['permissions'][number];

export async function allRoles(ctx: Context): Promise<CustomRole[]> {
  return unwrap(await ctx.client.GET('/api/v1/roles')).roles;
}

/** A custom role named by id or by name (case-insensitive, as the API keeps names unique). */
export async function resolveRole(ctx: Context, ref: string, roles?: CustomRole[]): Promise<CustomRole> {
  const list = roles ?? (await allRoles(ctx));
  const role = list.find((r) => r.id === ref || r.name.toLowerCase() === ref.toLowerCase());
  if (!role) throw new CliError(`No custom role named or with id "${ref}".`, { code: 'ROLE_NOT_FOUND' });
  return role;
}

/** `-p a,b -p c` → [a, b, c], without blanks or repeats. */
function keys(values: readonly string[] | undefined): PermissionKey[] {
  return [
    ...new Set(
      (values ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ] as PermissionKey[];
}

function roleFields(ctx: Context, role: CustomRole): string {
  return renderFields(
    [
      ['ID', role.id],
      ['Name', role.name],
      ['Members', String(role.members)],
      ['Permissions', role.permissions.join(', ') || '(none)'],
    ],
    ctx.style,
  );
}

export function registerRoleCommands(program: Command, app: CliApp): void {
  const roles = program
    .command('roles')
    .alias('role')
    .description("The tenant's custom roles: a name and a set of permissions, given to members");
  examples(roles, [
    'minefleet roles permissions',
    'minefleet roles create moderator -p player.list,player.kick,server.read',
    'minefleet members set-role friend@example.com moderator',
  ]);

  const ls = leafCommand(roles, 'ls', 'List custom roles')
    .alias('list')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const list = await allRoles(ctx);
      ctx.result(list, () =>
        list.length === 0
          ? 'No custom roles.\n'
          : renderTable(
              list,
              [
                { header: 'NAME', value: (r) => r.name },
                { header: 'MEMBERS', value: (r) => String(r.members) },
                { header: 'PERMISSIONS', value: (r) => r.permissions.join(',') },
                { header: 'ID', value: (r) => r.id },
              ],
              ctx.style,
            ),
      );
    });
  examples(ls, ['minefleet roles ls', 'minefleet roles ls --format json']);

  const permissions = leafCommand(
    roles,
    'permissions',
    'Every permission key, what it allows, who holds it',
  ).action(async (_opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    ctx.requireToken();
    const list = unwrap(await ctx.client.GET('/api/v1/permissions')).permissions;
    ctx.result(list, () =>
      renderTable(
        list,
        [
          { header: 'PERMISSION', value: (p) => p.key },
          { header: 'CUSTOM', value: (p) => (p.custom_role ? 'yes' : 'no') },
          { header: 'BUILT-IN ROLES', value: (p) => p.roles.join(',') },
          { header: 'ALLOWS', value: (p) => p.description },
        ],
        ctx.style,
      ),
    );
  });
  examples(permissions, ['minefleet roles permissions']);

  const create = leafCommand(roles, 'create <name>', 'Create a custom role (only with permissions you hold)')
    .option('-p, --permission <keys>', 'permission keys, comma-separated or repeated', collect)
    .action(async (name: string, opts: { permission?: string[] }, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const role = unwrap(
        await ctx.client.POST('/api/v1/roles', { body: { name, permissions: keys(opts.permission) } }),
      );
      ctx.result(role, () => roleFields(ctx, role));
    });
  examples(create, [
    'minefleet roles create moderator -p player.list,player.kick,player.ban',
    'minefleet roles create support -p server.read -p console.read',
  ]);

  const update = leafCommand(roles, 'update <role>', 'Rename a custom role or change its permissions')
    .alias('set')
    .option('--name <name>', 'a new name')
    .option('-p, --permission <keys>', 'replace the permissions with these', collect)
    .option('--add <keys>', 'add these permissions', collect)
    .option('--remove <keys>', 'remove these permissions', collect)
    .action(
      async (
        ref: string,
        opts: { name?: string; permission?: string[]; add?: string[]; remove?: string[] },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        ctx.requireToken();
        if (opts.permission && (opts.add || opts.remove))
          throw new UsageError('use --permission to replace, or --add/--remove to edit, not both');
        if (!opts.name && !opts.permission && !opts.add && !opts.remove)
          throw new UsageError('nothing to change: give --name, --permission, --add or --remove');
        const current = await resolveRole(ctx, ref);
        let next: PermissionKey[] | undefined;
        if (opts.permission) next = keys(opts.permission);
        else if (opts.add || opts.remove) {
          const removed = new Set(keys(opts.remove));
          next = [...new Set([...current.permissions, ...keys(opts.add)])].filter((p) => !removed.has(p));
        }
        const role = unwrap(
          await ctx.client.PATCH('/api/v1/roles/{role_id}', {
            params: { path: { role_id: current.id } },
            body: {
              ...(opts.name !== undefined && { name: opts.name }),
              ...(next && { permissions: next }),
            },
          }),
        );
        ctx.result(role, () => roleFields(ctx, role));
      },
    );
  examples(update, [
    'minefleet roles update moderator --add player.ban',
    'minefleet roles update moderator --name mods --remove player.ban',
  ]);

  const rm = leafCommand(roles, 'delete <role>', 'Delete a custom role no member holds (by name or id)')
    .alias('rm')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const role = await resolveRole(ctx, ref);
      unwrap(await ctx.client.DELETE('/api/v1/roles/{role_id}', { params: { path: { role_id: role.id } } }));
      ctx.result({ id: role.id, name: role.name, deleted: true }, () => `Deleted role ${role.name}.\n`);
    });
  examples(rm, ['minefleet roles delete moderator']);
}
