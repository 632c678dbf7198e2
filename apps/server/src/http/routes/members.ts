import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@minefleet/domain/errors';
import type { Role } from '@minefleet/domain/roles';
import type { MemberService, RoleAssignment } from '@minefleet/services/members';
import { PageQuery, Ref, errors } from '../schemas/common.js';
import { AddMemberBody, Member, MemberList, MemberParams, UpdateMemberBody } from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toMember } from '../serializers.js';

export function memberRoutes(options: { members: MemberService }): FastifyPluginAsyncTypebox {
  const { members } = options;
  return async (app) => {
    app.get(
      '/members',
      {
        config: { permission: 'member.read' },
        schema: {
          tags: ['accounts'],
          summary: 'Members of the tenant and their roles',
          querystring: Type.Object(PageQuery),
          response: { 200: MemberList, ...errors(400, 401) },
        },
      },
      async (request) => {
        const page = { page: request.query.page ?? 1, perPage: request.query.per_page ?? 20 };
        const result = await members.list(actorOf(request), page);
        return {
          members: result.items.map(toMember),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.post(
      '/members',
      {
        config: { permission: 'member.create', audit: 'member.add' },
        schema: {
          tags: ['accounts'],
          summary: 'Add a user (by email) to the tenant with a built-in or custom role',
          body: AddMemberBody,
          response: { 201: Ref(Member), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { email, ...body } = request.body;
        const member = await members.add(actorOf(request), { email, ...assignment(body) });
        void reply.status(201);
        return toMember(member);
      },
    );

    app.patch(
      '/members/:user_id',
      {
        config: { permission: 'member.update', audit: 'member.update' },
        schema: {
          tags: ['accounts'],
          summary: "Change a member's role (built-in or custom)",
          params: MemberParams,
          body: UpdateMemberBody,
          response: { 200: Ref(Member), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toMember(await members.update(actorOf(request), request.params.user_id, assignment(request.body))),
    );

    app.delete(
      '/members/:user_id',
      {
        config: { permission: 'member.delete', audit: 'member.remove' },
        schema: {
          tags: ['accounts'],
          summary: 'Remove a member from the tenant',
          params: MemberParams,
          response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await members.remove(actorOf(request), request.params.user_id);
        return reply.status(204).send(null);
      },
    );
  };
}

/** The role a request names: exactly one of a built-in `role` and a `custom_role_id`. */
function assignment(body: { role?: Role | undefined; custom_role_id?: string | undefined }): RoleAssignment {
  if (body.role !== undefined && body.custom_role_id === undefined) return { role: body.role };
  if (body.role === undefined && body.custom_role_id !== undefined)
    return { customRoleId: body.custom_role_id };
  throw new DomainError('VALIDATION_FAILED', 'Give exactly one of role and custom_role_id.', {
    field: 'role',
  });
}
