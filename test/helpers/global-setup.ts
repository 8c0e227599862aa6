/**
 * Once per run: say which database the suite uses, and build dist/ (incremental tsc),
 * which the tests that spawn `node dist/cli.js` need. Building here, not in those
 * tests, keeps two builds from writing dist/ at the same time. On PostgreSQL, also
 * vacuum the system catalogs (below).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export default async function setup() {
  const url = process.env.DATABASE_URL;
  const onPostgres = url?.startsWith('postgres');
  const which = onPostgres ? `PostgreSQL (${url!.replace(/\/\/[^@]*@/, '//')})` : 'SQLite (a fresh file per test file)';
  console.log(`\n[hookbridge tests] database: ${which}\n`);
  if (onPostgres) await vacuumCatalogs(url!);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`building dist/ for the tests failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Every test file works in a schema of its own, made and dropped: a run creates and drops
 * thousands of tables, columns and indexes, which leave dead rows in the system catalogs.
 * Where autovacuum is off (as on CI's machine) nothing removes them: after a day of runs
 * pg_attribute held 2.1 million dead rows, catalog lookups (each migration's, each
 * introspection's) took tens to hundreds of milliseconds, and every run was slower than the
 * one before. Vacuuming the catalogs first takes a second or two. Needs the right to (a
 * superuser, as the suite's default user is); without it the run goes on, saying so.
 */
async function vacuumCatalogs(url: string) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  const skipped: string[] = [];
  c.on('notice', (n) => skipped.push(n.message ?? String(n)));
  try {
    await c.connect();
    const { rows } = await c.query<{ name: string }>(`select format('%I.%I', 'pg_catalog', relname) as name from pg_class where relnamespace = 'pg_catalog'::regnamespace and relkind = 'r'`);
    const t0 = Date.now();
    await c.query(`VACUUM ${rows.map((r) => r.name).join(', ')}`);
    console.log(`[hookbridge tests] vacuumed ${rows.length} system catalogs in ${Date.now() - t0} ms${skipped.length ? ` (${skipped.length} skipped: ${skipped[0]})` : ''}`);
  } catch (err) {
    console.log(`[hookbridge tests] system catalogs not vacuumed: ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}
