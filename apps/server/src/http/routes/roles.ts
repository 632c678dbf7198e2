import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CUSTOM_ROLE_PERMISSIONS,
  PERMISSIONS,
  PERMISSION_CATALOGUE,
  ROLE_PERMISSIONS,
} from '@minefleet/domain/permissions';
import { ROLES } from '@minefleet/domain/roles';
import type { CustomRoleRecord, RoleService } from '@minefleet/services/roles';
import { Ref, errors } from '../schemas/common.js';
import {
  CreateRoleBody,
  CustomRole,
  CustomRoleList,
  PermissionList,
  RoleParams,
  UpdateRoleBody,
} from '../schemas/roles.js';
import { actorOf } from '../auth.js';

function toRole(r: CustomRoleRecord) {
  return {
    id: r.id,
    name: r.name,
    permissions: r.permissions,
    members: r.members,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** The permission catalogue and the tenant's custom roles (docs/security.md, "Custom roles"). */
export function roleRoutes(options: { roles: RoleService }): FastifyPluginAsyncTypebox {
  const { roles } = options;
  return async (app) => {
    app.get(
      '/permissions',
      {
        config: { permission: 'member.read' },
        schema: {
          tags: ['accounts'],
          summary:
            'Every permission: what it allows, which built-in roles hold it, whether a custom role may',
          response: { 200: PermissionList, ...errors(401, 403) },
        },
      },
      () => ({
        permissions: PERMISSIONS.map((key) => ({
          key,
          description: PERMISSION_CATALOGUE[key],
          custom_role: CUSTOM_ROLE_PERMISSIONS.has(key),
          roles: ROLES.filter((role) => ROLE_PERMISSIONS[role].has(key)),
        })),
      }),
    );

    app.get(
      '/roles',
      {
        config: { permission: 'member.read' },
        schema: {
          tags: ['accounts'],
          summary: 'The tenant’s custom roles',
          response: { 200: CustomRoleList, ...errors(401, 403) },
        },
      },
      async (request) => ({ roles: (await roles.list(actorOf(request))).map(toRole) }),
    );

    app.post(
      '/roles',
      {
        config: { permission: 'role.manage', audit: 'role.create' },
        schema: {
          tags: ['accounts'],
          summary: 'Create a custom role (never with a permission you lack)',
          body: CreateRoleBody,
          response: { 201: Ref(CustomRole), ...errors(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const role = await roles.create(actorOf(request), request.body);
        request.auditDetails = { role_id: role.id, name: role.name, permissions: role.permissions };
        void reply.status(201);
        return toRole(role);
      },
    );

    app.get(
      '/roles/:role_id',
      {
        config: { permission: 'member.read' },
        schema: {
          tags: ['accounts'],
          summary: 'One custom role',
          params: RoleParams,
          response: { 200: Ref(CustomRole), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => toRole(await roles.get(actorOf(request), request.params.role_id)),
    );

    app.patch(
      '/roles/:role_id',
      {
        config: { permission: 'role.manage', audit: 'role.update' },
        schema: {
          tags: ['accounts'],
          summary: 'Rename a custom role or replace its permissions (its members hold them at once)',
          params: RoleParams,
          body: UpdateRoleBody,
          response: { 200: Ref(CustomRole), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const role = await roles.update(actorOf(request), request.params.role_id, request.body);
        request.auditDetails = { role_id: role.id, name: role.name, permissions: role.permissions };
        return toRole(role);
      },
    );

    app.delete(
      '/roles/:role_id',
      {
        config: { permission: 'role.manage', audit: 'role.delete' },
        schema: {
          tags: ['accounts'],
          summary: 'Delete a custom role no member holds (ROLE_IN_USE otherwise)',
          params: RoleParams,
          response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await roles.delete(actorOf(request), request.params.role_id);
        request.auditDetails = { role_id: request.params.role_id };
        return reply.status(204).send(null);
      },
    );
  };
}
