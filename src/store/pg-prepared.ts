/**
 * Hot PostgreSQL statements as named prepared statements: the server parses each once per
 * connection instead of on every call. For the publish insert and the result batch (CTEs
 * over a dozen `unnest` arrays) parsing and planning cost more server time than running
 * them (0.6–0.9 ms against 0.4 ms, from the server's statement log). They run on the
 * store's hot pool where it has one (db.ts, hotPoolConfig): sessions on generic plans with
 * sequential scans off, so each statement is planned once per connection too, and its plan
 * reaches every table through an index. (On the main pool they would be planned at every
 * execution: PostgreSQL prefers custom plans for them, and `plan_cache_mode` set there
 * would reach Kysely's statements as well. Wrapping the publish in a PL/pgSQL function with
 * its own settings cost more per batch than the planning it saved; docs/performance-history.md.)
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
