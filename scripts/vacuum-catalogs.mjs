/**
 * VACUUM PostgreSQL's system catalogs. The test suite and the bench each work in schemas of
 * their own, made and dropped: a run creates and drops thousands of tables, columns and
 * indexes, which leave dead rows in the catalogs. Where autovacuum is off (as on CI's
 * machine, and the bench's) nothing removes them: after a day of test runs pg_attribute held
 * 2.1 million dead rows, catalog lookups (each migration's, each introspection's) took tens
 * to hundreds of milliseconds, and every run was slower than the one before; after a day of
 * bench runs, 87,693 dead rows against 3,128 live. Vacuuming them takes a second or two.
 * Needs the right to (a superuser, as the default user here is): without it, the caller
 * is told why and goes on.
 *
 * Resolves to a line saying what was done, never rejects.
 */
import pg from 'pg';

export async function vacuumCatalogs(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  const skipped = [];
  c.on('notice', (n) => skipped.push(n.message ?? String(n)));
  try {
    await c.connect();
    const { rows } = await c.query(`select format('%I.%I', 'pg_catalog', relname) as name from pg_class where relnamespace = 'pg_catalog'::regnamespace and relkind = 'r'`);
    const t0 = Date.now();
    await c.query(`VACUUM ${rows.map((r) => r.name).join(', ')}`);
    return `vacuumed ${rows.length} system catalogs in ${Date.now() - t0} ms${skipped.length ? ` (${skipped.length} skipped: ${skipped[0]})` : ''}`;
  } catch (err) {
    return `system catalogs not vacuumed: ${err?.message ?? err}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}
