/**
 * Migrations on SQLite run as one exclusive transaction (Kysely takes no lock there and
 * commits each migration on its own). Two processes starting on one fresh file once
 * interleaved: one dropped an index the other had just dropped ("no such index", CI).
 *
 * Two connections in one process stand in for the two processes: A stops inside its last
 * migration; B, started meanwhile, must wait for A (its BEGIN IMMEDIATE meets A's lock,
 * times out, and tries again) and then find nothing to do. Without the lock B applies that
 * migration itself while A is stopped. And a run that fails leaves nothing behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Migration } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { CORE_MIGRATIONS, migrateStore } from '../../src/store/migrate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-migrate-lock-'));
const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(file: string) {
  const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, file)}` });
  stores.push(store);
  return store;
}

const tables = async (store: Store) =>
  (await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(store.db)).rows.map((r) => r.name);

it('a second process waits for the first one migrating, then applies nothing', async () => {
  const a = await open('race.db');
  const b = await open('race.db');
  // B's waits block this one thread (better-sqlite3 waits synchronously): keep them short.
  b.sqlite!.pragma('busy_timeout = 200');
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const inside = new Promise<void>((r) => (reached = r));
  const slow: Migration = {
    async up(db) {
      reached();
      await held;
      await db.schema.createTable('app_test_marker').addColumn('id', 'integer').execute();
    },
  };
  const quick: Migration = { up: async (db) => void (await db.schema.createTable('app_test_marker').addColumn('id', 'integer').execute()) };

  const first = migrateStore(a, { app_test_001: slow });
  await inside; // A is inside its last migration, every core one run before it
  setTimeout(release, 50); // fires while B waits between its attempts
  const second = await migrateStore(b, { app_test_001: quick });
  const applied = await first;

  expect(applied).toEqual([...Object.keys(CORE_MIGRATIONS), 'app_test_001']);
  expect(second).toEqual([]);
  expect(await tables(b)).toContain('app_test_marker');
}, 30_000);

it('a run that fails leaves the database as it was', async () => {
  const store = await open('fails.db');
  const broken: Migration = { up: async () => Promise.reject(new Error('this migration is broken')) };
  await expect(migrateStore(store, { app_test_001: broken })).rejects.toThrow(/this migration is broken/);
  expect(await tables(store)).not.toContain('events');
  expect(store.sqlite!.inTransaction).toBe(false); // the write lock is not left held
  // Fixed, it applies everything.
  const fixed: Migration = { up: async () => {} };
  await expect(migrateStore(store, { app_test_001: fixed })).resolves.toContain('001_init');
  expect(await tables(store)).toContain('events');
});

it('a migration that fails on its own is reported at once, not retried as if another process raced it', async () => {
  const store = await open('clash.db');
  // "already exists" was once taken for a lost race on SQLite and retried 20 times (about 19 s).
  const clash: Migration = { up: async (db) => void (await db.schema.createTable('events').addColumn('id', 'integer').execute()) };
  const t0 = Date.now();
  await expect(migrateStore(store, { app_test_001: clash })).rejects.toThrow(/already exists/);
  expect(Date.now() - t0).toBeLessThan(3_000);
});
