import type { Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { resolveRole } from './roles.js';

type Member = Schemas['Member'];
type Role = Member['role'];
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin', 'owner'];

/** A built-in role by name, else a custom role of the tenant by name or id. */
async function roleBody(
  ctx: Context,
  ref: string,
): Promise<{ role: Role; custom_role_id?: undefined } | { role?: undefined; custom_role_id: string }> {
  const builtIn = ROLES.find((r) => r === ref.toLowerCase());
  if (builtIn) return { role: builtIn };
  return { custom_role_id: (await resolveRole(ctx, ref)).id };
}

/** The role a member holds, as people name it: their custom role's name, else the built-in one. */
function roleName(m: Member): string {
  return m.custom_role ? m.custom_role.name : m.role;
}

async function allMembers(ctx: Context): Promise<Member[]> {
  return unwrap(await ctx.client.GET('/api/v1/members', { params: { query: { per_page: 100 } } })).members;
}

/** A member named by email (case-insensitive) or user id. */
async function resolveMember(ctx: Context, ref: string): Promise<Member> {
  const members = await allMembers(ctx);
  const member = members.find((m) => m.user_id === ref || m.email.toLowerCase() === ref.toLowerCase());
  if (!member)
    throw new CliError(`No member with email or user id "${ref}" in this tenant.`, {
      code: 'MEMBER_NOT_FOUND',
    });
  return member;
}

function memberTable(ctx: Context, members: readonly Member[]): string {
  return renderTable(
    members,
    [
      { header: 'EMAIL', value: (m) => m.email },
      { header: 'NAME', value: (m) => m.display_name },
      { header: 'ROLE', value: roleName },
      { header: 'CUSTOM', value: (m) => (m.custom_role ? 'yes' : '') },
      { header: 'SINCE', value: (m) => `${formatAge(m.created_at)} ago` },
      { header: 'USER ID', value: (m) => m.user_id },
    ],
    ctx.style,
  );
}

export function registerMemberCommands(program: Command, app: CliApp): void {
  const members = program
    .command('members')
    .alias('member')
    .description(
      'People in the tenant and their roles: viewer < operator < admin < owner, or a custom role (minefleet roles)',
    );
  examples(members, [
    'minefleet members ls',
    'minefleet members add friend@example.com operator',
    'minefleet members set-role friend@example.com moderator',
  ]);

  const ls = leafCommand(members, 'ls', 'List members')
    .alias('list')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const list = await allMembers(ctx);
      ctx.result(list, () => memberTable(ctx, list));
    });
  examples(ls, ['minefleet members ls']);

  const add = leafCommand(
    members,
    'add <email> [role]',
    'Add an existing user to the tenant (role: viewer, operator, admin, owner or a custom role; default viewer)',
  ).action(async (email: string, role: string | undefined, _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    ctx.requireToken();
    const body = { email, ...(await roleBody(ctx, role ?? 'viewer')) };
    const member = unwrap(await ctx.client.POST('/api/v1/members', { body }));
    ctx.result(member, () => `Added ${member.email} as ${roleName(member)}.\n`);
  });
  examples(add, [
    'minefleet members add friend@example.com operator',
    'minefleet members add friend@example.com moderator',
  ]);

  const set = leafCommand(
    members,
    'set-role <member> <role>',
    "Change a member's role (member: email or user id; role: a built-in one or a custom role's name or id)",
  )
    .alias('set')
    .action(async (ref: string, role: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const member = await resolveMember(ctx, ref);
      const updated = unwrap(
        await ctx.client.PATCH('/api/v1/members/{user_id}', {
          params: { path: { user_id: member.user_id } },
          body: await roleBody(ctx, role),
        }),
      );
      ctx.result(updated, () => `${updated.email} is now ${roleName(updated)}.\n`);
    });
  examples(set, [
    'minefleet members set-role friend@example.com admin',
    'minefleet members set-role friend@example.com moderator',
  ]);

  const rm = leafCommand(members, 'rm <member>', 'Remove a member from the tenant (member: email or user id)')
    .alias('remove')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const member = await resolveMember(ctx, ref);
      unwrap(
        await ctx.client.DELETE('/api/v1/members/{user_id}', {
          params: { path: { user_id: member.user_id } },
        }),
      );
      ctx.result(
        { user_id: member.user_id, email: member.email, removed: true },
        () => `Removed ${member.email}.\n`,
      );
    });
  examples(rm, ['minefleet members rm friend@example.com']);
}
