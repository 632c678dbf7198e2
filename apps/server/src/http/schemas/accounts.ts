import { Type } from '@sinclair/typebox';
import { PERMISSIONS } from '@minefleet/domain/permissions';
import { ROLES } from '@minefleet/domain/roles';
import { Nullable, Ref, StringEnum, Timestamp, Uuid, Pagination } from './common.js';

export const Role = StringEnum(ROLES, { description: 'viewer < operator < admin < owner' });

export const User = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    display_name: Type.String(),
    email_verified: Type.Boolean({
      description: 'Whether the user proved this address (needed for API keys, invitations, promotion).',
    }),
    is_platform_admin: Type.Boolean(),
    created_at: Timestamp,
  },
  { $id: 'User' },
);

export const Tenant = Type.Object(
  { id: Uuid, name: Type.String(), created_at: Timestamp },
  { $id: 'Tenant' },
);

export const SignupBody = Type.Object(
  {
    email: Type.String({ maxLength: 254 }),
    password: Type.String({ maxLength: 256 }),
    display_name: Type.Optional(Type.String({ maxLength: 100 })),
    tenant_name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

/** The same for a new address and for one that has an account (docs/security.md). */
export const SignupResponse = Type.Object({
  email: Type.String({ description: 'The address, as it was read (trimmed, lower case).' }),
  message: Type.String(),
});

export const LoginBody = Type.Object(
  {
    email: Type.String({ maxLength: 254 }),
    password: Type.String({ maxLength: 256 }),
    tenant_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const LoginResponse = Type.Object({
  token: Type.String(),
  expires_at: Timestamp,
  user: Ref(User),
  tenant: Ref(Tenant),
  role: Role,
});

export const SwitchTenantBody = Type.Object({ tenant_id: Uuid }, { additionalProperties: false });

export const QuotaUsage = Type.Object(
  {
    servers: Type.Object({ used: Type.Integer(), limit: Type.Integer() }),
    memory_mb: Type.Object({ used: Type.Integer(), limit: Type.Integer() }),
  },
  { $id: 'QuotaUsage' },
);

export const MeResponse = Type.Object({
  user: Ref(User),
  tenant: Ref(Tenant),
  role: Role,
  custom_role: Type.Union([Type.Object({ id: Uuid, name: Type.String() }), Type.Null()], {
    description: 'The custom role deciding what you hold in this tenant, or null.',
  }),
  tenants: Type.Array(Type.Object({ tenant: Ref(Tenant), role: Role })),
  quota: Ref(QuotaUsage),
  auth: Type.Object({ method: StringEnum(['session', 'api_key'] as const), api_key_id: Type.Optional(Uuid) }),
  permissions: Type.Array(Type.String(), {
    description: 'What this credential may do in this tenant (docs/security.md lists every permission).',
  }),
});

export const ApiKey = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the key, to tell keys apart.' }),
    permissions: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: 'The permissions the key is limited to; null: all of its user’s.',
    }),
    user_id: Uuid,
    created_at: Timestamp,
    expires_at: Nullable(Timestamp),
    last_used_at: Nullable(Timestamp),
  },
  { $id: 'ApiKey' },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expires_at: Type.Optional(Timestamp),
    permissions: Type.Optional(
      Type.Array(StringEnum(PERMISSIONS), {
        maxItems: 100,
        description: 'Limit the key to these permissions (each one you hold); omitted: all of yours.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreatedApiKey = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String(),
  key: Type.String({ description: 'The whole key. Shown once: only its hash is kept.' }),
  permissions: Nullable(Type.Array(Type.String())),
  expires_at: Nullable(Timestamp),
  created_at: Timestamp,
});

export const ApiKeyList = Type.Object({ api_keys: Type.Array(Ref(ApiKey)), pagination: Ref(Pagination) });

export const Member = Type.Object(
  {
    user_id: Uuid,
    email: Type.String(),
    display_name: Type.String(),
    role: Role,
    custom_role: Type.Union([Type.Object({ id: Uuid, name: Type.String() }), Type.Null()], {
      description: 'The custom role deciding what the member holds (their `role` is then viewer), or null.',
    }),
    created_at: Timestamp,
  },
  { $id: 'Member' },
);

export const MemberList = Type.Object({ members: Type.Array(Ref(Member)), pagination: Ref(Pagination) });
const CustomRoleId = Type.Optional(
  Type.String({ format: 'uuid', description: 'A custom role of the tenant, instead of `role`.' }),
);
export const AddMemberBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), role: Type.Optional(Role), custom_role_id: CustomRoleId },
  { additionalProperties: false, description: 'Give exactly one of `role` and `custom_role_id`.' },
);
export const UpdateMemberBody = Type.Object(
  { role: Type.Optional(Role), custom_role_id: CustomRoleId },
  { additionalProperties: false, description: 'Give exactly one of `role` and `custom_role_id`.' },
);
export const MemberParams = Type.Object({ user_id: Uuid });
