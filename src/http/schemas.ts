/** Shared route schemas and the success envelope helpers. */
import { Type, type Static, type TOptional, type TUnknown } from '@sinclair/typebox';

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

export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
