import { Type } from '@sinclair/typebox';
import { PERMISSIONS } from '@minefleet/domain/permissions';
import { Ref, StringEnum, Timestamp, Uuid } from './common.js';

const PermissionKey = StringEnum(PERMISSIONS, { description: 'A permission key (docs/security.md).' });

export const CustomRole = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    permissions: Type.Array(PermissionKey, { description: 'The permission keys the role holds.' }),
    members: Type.Integer({ minimum: 0, description: 'How many members hold the role.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'CustomRole' },
);

export const CustomRoleList = Type.Object({ roles: Type.Array(Ref(CustomRole)) });

export const CreateRoleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 50 }),
    permissions: Type.Array(PermissionKey, {
      maxItems: 100,
      description: 'Each one you hold, and one a custom role may carry.',
    }),
  },
  { additionalProperties: false },
);

export const UpdateRoleBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    permissions: Type.Optional(
      Type.Array(PermissionKey, { maxItems: 100, description: 'Replaces the role’s permissions.' }),
    ),
  },
  { additionalProperties: false },
);

export const RoleParams = Type.Object({ role_id: Uuid });

export const PermissionList = Type.Object({
  permissions: Type.Array(
    Type.Object({
      key: Type.String(),
      description: Type.String(),
      custom_role: Type.Boolean({ description: 'Whether a custom role may carry it.' }),
      roles: Type.Array(Type.String(), { description: 'The built-in roles that hold it.' }),
    }),
  ),
});
