/** Shared route schemas and the success envelope helpers. */
import { Type, type Static } from '@sinclair/typebox';

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
});
export type PageQuery = Static<typeof PageQuery>;

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const ok = <T>(data: T) => ({ success: true as const, data });

export const page = <T>(items: T[], total: number, q: { limit: number; offset: number }) => ({
  success: true as const,
  data: items,
  pagination: { total, limit: q.limit, offset: q.offset, hasMore: q.offset + items.length < total },
});

export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
