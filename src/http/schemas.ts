/**
 * Shared route schemas, the success envelope helpers, and the response schemas of the
 * OpenAPI document: shared shapes are components (`component()`), routes point at them
 * with `ref()`. Response schemas document what is sent; they never filter it (see
 * `buildApp`), and test/api/openapi.test.ts checks real answers against them.
 */
import { Type, type Static, type TOptional, type TSchema, type TUnknown } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../errors.js';

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
});
export type PageQuery = Static<typeof PageQuery>;

/**
 * Fields a read returns that a PUT accepts and ignores, so a GET → PUT round trip works
 * (SPEC §2). The body validator drops them before the handler sees the body.
 */
export function readOnly<K extends string>(...names: K[]): Record<K, TOptional<TUnknown>> {
  const schema = Type.Optional(Type.Unknown({ readOnly: true, description: 'Returned by reads; ignored here' }));
  return Object.fromEntries(names.map((n) => [n, schema])) as Record<K, TOptional<TUnknown>>;
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const ok = <T>(data: T) => ({ success: true as const, data });

export const page = <T>(items: T[], total: number, q: { limit: number; offset: number }) => ({
  success: true as const,
  data: items,
  pagination: { total, limit: q.limit, offset: q.offset, hasMore: q.offset + items.length < total },
});

/** One page of a list already in memory (matched or filtered in code), each item through `view`. */
export const pageOf = <T, V>(all: T[], q: { limit: number; offset: number }, view: (item: T) => V) =>
  page(all.slice(q.offset, q.offset + q.limit).map(view), all.length, q);

export function iso(ms: number): string;
export function iso(ms: number | null | undefined): string | null;
export function iso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}

// ---- OpenAPI components and responses -------------------------------------------

const COMPONENTS = new Map<string, TSchema>();

/**
 * A shared shape, listed once in the document's `components.schemas` under `id`. Call at
 * module level, so every component exists before `addComponents` runs.
 */
export function component<T extends TSchema>(id: string, schema: T): T {
  if (COMPONENTS.has(id)) throw new Error(`OpenAPI component ${id} is defined twice`);
  const named = Object.assign(schema, { $id: id });
  COMPONENTS.set(id, named);
  return named;
}

/** A reference to a component, typed as the component. */
export const ref = <T extends TSchema>(schema: T, description?: string) =>
  Type.Unsafe<Static<T>>({ $ref: schema.$id!, ...(description && { description }) });

/** Adds every component to the app (before its routes), so the document can reference them. */
export function addComponents(app: FastifyInstance): void {
  for (const schema of COMPONENTS.values()) app.addSchema(schema);
}

/** The keyword of `checkedInCode`; the body validator (validation.ts) accepts any value where it stands. */
export const CHECKED_IN_CODE = 'x-checked-in-code';

/**
 * A body field that code checks, with messages a schema cannot give (e.g. a request
 * template: `validateTemplate`). The document shows `schema`; validation skips it.
 */
export const checkedInCode = <T extends TSchema>(schema: T, by: string): T => ({ ...schema, [CHECKED_IN_CODE]: by });

/** An ISO 8601 time as the API writes it. */
export const DateTime = (options: { description?: string } = {}) => Type.String({ format: 'date-time', ...options });
export const Nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});

export const ErrorEnvelope = component(
  'Error',
  Type.Object(
    {
      success: Type.Literal(false),
      error: Type.Object({
        code: Type.Union(ERROR_CODES.map((c) => Type.Literal(c))),
        message: Type.String({ description: 'What went wrong and what to do, for a person' }),
        details: Type.Array(
          Type.Object(
            { field: Type.Optional(Type.String({ description: 'Dotted path of the offending field' })), message: Type.String() },
            { additionalProperties: true, description: 'One problem; some add more (e.g. `unknown` and `valid` for event names)' },
          ),
        ),
      }),
    },
    { description: 'The seed 001 error envelope: every 4xx and 5xx of the API' },
  ),
);

export const Pagination = component(
  'Pagination',
  Type.Object({
    total: Type.Integer({ minimum: 0, description: 'Items in the whole list' }),
    limit: Type.Integer({ minimum: 1 }),
    offset: Type.Integer({ minimum: 0 }),
    hasMore: Type.Boolean({ description: 'Whether items follow this page' }),
  }),
);

/** `{success: true, data}` around `data`. */
export const Ok = <T extends TSchema>(data: T, description = 'Success') =>
  Type.Object({ success: Type.Literal(true), data }, { description });

/** A page of a list: `{success: true, data: [...], pagination}`. */
export const Paged = <T extends TSchema>(item: T, description = 'One page of the list') =>
  Type.Object({ success: Type.Literal(true), data: Type.Array(item), pagination: ref(Pagination) }, { description });

/** An answer without a body (204). */
export const NoContent = (description = 'Done; no body') => Type.Null({ description });

/** What a route's own errors mean; those every /v1 route shares are documented in openapi.ts. */
const ERROR_MEANINGS: Record<number, string> = {
  403: 'The token may not do this (admin only)',
  404: 'Not found (or not visible to this token)',
  409: 'Conflict with the current state',
  422: 'The request breaks the rules; details name each field',
};

/** The error envelope for each of `statuses`, e.g. `...errors(404, 409)` in a route's `response`. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ref(ErrorEnvelope, ERROR_MEANINGS[s] ?? 'Error')]));
}
