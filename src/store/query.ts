/** Query shapes every repository shares, written once for both dialects. */
import type { SelectQueryBuilder } from 'kysely';

/** A unique index refused the row: PostgreSQL `23505`, or SQLite's primary-key / unique constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * One page of a list and the total without the page: `base` holds the filters,
 * `rows` adds the columns and the order, `map` turns a row into the API shape.
 */
export async function listPage<DB, TB extends keyof DB, O, T>(
  base: SelectQueryBuilder<DB, TB, {}>,
  rows: (q: SelectQueryBuilder<DB, TB, {}>) => SelectQueryBuilder<DB, TB, O>,
  page: { limit: number; offset: number },
  map: (row: O) => T,
): Promise<{ items: T[]; total: number }> {
  const found = await rows(base).limit(page.limit).offset(page.offset).execute();
  // The count runs over the same filters; the type juggling is Kysely's, the SQL is `count(*)`.
  const counted = base as unknown as SelectQueryBuilder<any, any, {}>;
  const { n } = await counted.select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items: found.map(map), total: Number(n) };
}
