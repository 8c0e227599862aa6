/**
 * A store's PostgreSQL connections, once opened, stay open while idle. node-postgres closes
 * a connection idle for 10 s by default; under steady traffic the pool reuses its most recent
 * connection, so the others idled out and were opened again at the next burst (a new server
 * process, its session set-up, the hot statements parsed and planned again) in the middle of
 * publishes.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { PG_URL, freshDatabase, type TestDb } from '../helpers/server.js';

if (!PG_URL) console.log('[pool-idle test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

/** Opens `n` connections of `pool` at once and returns their server process ids. */
async function grow(pool: pg.Pool, n: number): Promise<number[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => pool.connect()));
  const pids = await Promise.all(clients.map(async (c) => (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid));
  clients.forEach((c) => c.release());
  return pids;
}

describePg('idle PostgreSQL connections (PostgreSQL)', () => {
  let db: TestDb;
  let store: Store;

  beforeAll(async () => {
    db = freshDatabase();
    store = await openStore({ databaseUrl: db.url, poolSize: 8 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('the main and hot pools keep every connection past 10 s idle: the same server processes serve the next burst', async () => {
    const main = await grow(store.pool!, 4);
    const hot = await grow(store.hotPool!, 4);
    await new Promise((r) => setTimeout(r, 11_000));
    expect([store.pool!.totalCount, store.hotPool!.totalCount]).toEqual([4, 4]);
    expect((await grow(store.pool!, 4)).sort()).toEqual(main.sort());
    expect((await grow(store.hotPool!, 4)).sort()).toEqual(hot.sort());
  }, 30_000);
});
