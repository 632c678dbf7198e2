import { Argument, type Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';

type Member = Schemas['Member'];
type Role = Member['role'];
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin', 'owner'];

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
      { header: 'ROLE', value: (m) => m.role },
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
    .description('People in the tenant and their roles: viewer < operator < admin < owner');
  examples(members, ['minefleet members ls', 'minefleet members add friend@example.com operator']);

  const ls = leafCommand(members, 'ls', 'List members')
    .alias('list')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const list = await allMembers(ctx);
      ctx.result(list, () => memberTable(ctx, list));
    });
  examples(ls, ['minefleet members ls']);

  const add = leafCommand(members, 'add <email>', 'Add an existing user to the tenant')
    .addArgument(new Argument('[role]', 'their role').choices(ROLES).default('viewer'))
    .action(async (email: string, role: Role, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const member = unwrap(await ctx.client.POST('/api/v1/members', { body: { email, role } }));
      ctx.result(member, () => `Added ${member.email} as ${member.role}.\n`);
    });
  examples(add, ['minefleet members add friend@example.com operator']);

  const set = leafCommand(members, 'set <member>', "Change a member's role (member: email or user id)")
    .addArgument(new Argument('<role>', 'the new role').choices(ROLES))
    .action(async (ref: string, role: Role, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const member = await resolveMember(ctx, ref);
      const updated = unwrap(
        await ctx.client.PATCH('/api/v1/members/{user_id}', {
          params: { path: { user_id: member.user_id } },
          body: { role },
        }),
      );
      ctx.result(updated, () => `${updated.email} is now ${updated.role}.\n`);
    });
  examples(set, ['minefleet members set friend@example.com admin']);

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
