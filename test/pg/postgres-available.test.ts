/**
 * PostgreSQL is half of the product (scale-out runs many processes over one database),
 * so the plain `npm test` run says whether it could reach one, and in CI it must.
 *
 * Off CI an unreachable server skips these tests with a console line saying why;
 * with CI=true it fails the run. When reachable, the tests check what the per-schema
 * test set-up and a multi-process start rely on: migrations that are race-safe and
 * confined to their own schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { LATEST_MIGRATION, migrateToLatest, migrationsApplied } from '../../src/store/migrate.js';
import { DEFAULT_PG_URL, probePostgres, shown } from '../../scripts/pg-probe.mjs';

/** The suite's own database when it runs on PostgreSQL, else the one `npm run test:pg` would use. */
const PG_URL = process.env.DATABASE_URL?.startsWith('postgres')
  ? process.env.DATABASE_URL
  : (process.env.HOOKBRIDGE_TEST_PG_URL ?? DEFAULT_PG_URL);
const CI = process.env.CI === 'true';
const shownUrl = shown(PG_URL);


const unreachable = await probePostgres(PG_URL);
if (unreachable && !CI) console.log(`PostgreSQL tests skipped: ${unreachable}`);

const schemas: string[] = [];
const stores: Store[] = [];

function freshSchemaUrl(): { url: string; schema: string } {
  const schema = `t_pgcheck_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  return { url: u.toString(), schema };
}

async function open(url: string): Promise<Store> {
  const store = await openStore({ databaseUrl: url, poolSize: 2 });
  stores.push(store);
  return store;
}

async function migrationRows(store: Store): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
  return rows.map((r) => r.name);
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  if (unreachable || schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.end();
  }
});

describe('PostgreSQL', () => {
  it.skipIf(unreachable && !CI)(`is reachable at ${shownUrl} (required when CI=true)`, () => {
    expect(unreachable, unreachable).toBeUndefined();
  });

  it.skipIf(unreachable)('two processes migrating one fresh schema at once apply each migration once', async () => {
    const { url, schema } = freshSchemaUrl();
    // Two stores = two pools, as two processes starting together would have; opening
    // them at once also races the CREATE SCHEMA in openStore. Migrations are called as
    // bootstrap calls them.
    const [a, b] = await Promise.all([open(url), open(url)]);
    const [appliedByA, appliedByB] = await Promise.all([migrateToLatest(a.db, a.schema), migrateToLatest(b.db, b.schema)]);

    const rows = await migrationRows(a);
    expect(new Set(rows).size).toBe(rows.length);
    expect(rows.at(-1)).toBe(LATEST_MIGRATION);
    // Between them the two runs applied every recorded migration exactly once.
    expect([...appliedByA, ...appliedByB].sort()).toEqual(rows);
    expect(await migrationsApplied(b.db, b.schema)).toBe(true);

    const { rows: where } = await sql<{ table_schema: string }>`
      select table_schema from information_schema.tables where table_name = 'kysely_migration'
        and table_schema = ${schema}`.execute(a.db);
    expect(where).toHaveLength(1);
  });

  it.skipIf(unreachable)('a fresh schema migrates while another schema in the database is already migrated', async () => {
    // Each test file gets its own schema in one database, and files run in parallel:
    // a migrated neighbour must not make this schema believe it is migrated too.
    const first = await open(freshSchemaUrl().url);
    await migrateToLatest(first.db, first.schema);
    const second = await open(freshSchemaUrl().url);
    await expect(migrateToLatest(second.db, second.schema)).resolves.toContain(LATEST_MIGRATION);
    expect(await migrationRows(second)).toEqual(await migrationRows(first));
  });
});
