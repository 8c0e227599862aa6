/**
 * Hot PostgreSQL statements as named prepared statements: the server parses each once per
 * connection instead of on every call. For the publish insert and the result batch (CTEs
 * over a dozen `unnest` arrays) parsing and planning cost more server time than running
 * them (0.6–0.9 ms against 0.4 ms, from the server's statement log). PostgreSQL still
 * plans them at each execution (it prefers custom plans for them). A generic plan is not
 * forced: `plan_cache_mode` reaches every statement of the connection (Kysely's unnamed
 * ones too), the result batch's generic plan made on an empty table scans every pending
 * delivery and would be kept as the backlog grows, and the publish statement wrapped in a
 * PL/pgSQL function with its own settings (planned once, no sequential scans) cost more
 * per batch than the planning it saved (measured; docs/performance-history.md).
 *
 * Only for statements whose result columns are fixed (never `*`): a migration that adds a
 * column while a process runs would otherwise break its prepared plan ("cached plan must
 * not change result type").
 */
import type { Kysely, RawBuilder } from 'kysely';
import type pg from 'pg';

export type Prepared = <R>(query: RawBuilder<R>) => Promise<R[]>;

export function preparedStatements(db: Kysely<any>, pool: pg.Pool): Prepared {
  /** SQL text → its statement name, the same on every connection of this pool. */
  const names = new Map<string, string>();
  return async <R>(query: RawBuilder<R>) => {
    const { sql, parameters } = query.compile(db);
    let name = names.get(sql);
    if (!name) {
      // A handful of texts; anything past that is not a hot statement worth keeping.
      if (names.size >= 50) return (await pool.query(sql, parameters as unknown[])).rows as R[];
      name = `hb_${names.size + 1}`;
      names.set(sql, name);
    }
    return (await pool.query({ name, text: sql, values: parameters as unknown[] })).rows as R[];
  };
}
