import { Type, type TSchema, type Static } from '@sinclair/typebox';
import { ERROR_CODES } from '@minefleet/domain/errors';

/** A closed set of strings from a domain enum, as one JSON-schema enum (typed once, in the domain). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Uuid = Type.String({ format: 'uuid', description: 'A UUID.' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: StringEnum(ERROR_CODES, { description: 'Stable error code; see docs/errors.md.' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      request_id: Type.Optional(Type.String()),
    }),
  },
  { $id: 'ErrorBody', description: 'Every error answer has this shape.' },
);
export type ErrorBodyType = Static<typeof ErrorBody>;

export const Pagination = Type.Object(
  {
    page: Type.Integer({ minimum: 1 }),
    per_page: Type.Integer({ minimum: 1, maximum: 100 }),
    total: Type.Integer({ minimum: 0 }),
  },
  { $id: 'Pagination' },
);

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

export const IdParams = Type.Object({ id: Uuid });

/** Reference to a shared schema registered with `addSchema` (becomes a component in OpenAPI). */
export function Ref<T extends TSchema>(schema: T): T {
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id!)) as unknown as T;
}

/** Error answers a route can give, by status. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Ref(ErrorBody)]));
}

export const Accepted = Type.Object({ accepted: Type.Literal(true) });
