/**
 * A rolling upgrade runs processes of the previous version (009's gate: a send stamped
 * before it leaves counts 1200 ms from that stamp) beside this one (a send counts until a
 * window after it ended). A send stamped by an old process must keep counting for the
 * 1200 ms that process relies on: the new gate dropped it after 1010 ms, so a new send
 * could land in the same second as the old one (two requests in a second for a limit of 1).
 * The old process is played by exactly what it runs: 009's SQL function, the old Redis
 * script, and its release statements. So is a process of the release before this one (010's
 * SQL function and release).
 */
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { postgresGate, redisGate, type EndpointGate, type GateLimits } from '../../src/delivery/endpoint-gate.js';
import { PG_URL, freshDatabase, type TestDb } from '../helpers/server.js';
import pino from 'pino';
import { REDIS, redisAnswers } from '../helpers/redis.js';

const redisUp = await redisAnswers();
if (!PG_URL) console.log('[rate-mixed-versions test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
else if (!redisUp) console.log(`[rate-mixed-versions test] Redis part skipped: nothing answers at ${REDIS}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const limits = (id: string): GateLimits => ({ id, maxConcurrency: 10, rateLimit: 1, timeout: 1000 });

/** The previous version's Redis ACQUIRE (RATE_WINDOW_MS 1200), as it ran. */
const OLD_ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 10 end
local rate = tonumber(ARGV[4])
if rate > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 1200)
  if redis.call('ZCARD', KEYS[2]) >= rate then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + 1200 - now)
  end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], 2400)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
return 0`;

/**
 * `stampOld` stamps and gives back one old-version send; then, 1100 ms after it was
 * stamped, the new gate must still find the limit (1) used, and find it free once the
 * old send's 1200 ms are over.
 */
async function oldSendStillCounts(gate: EndpointGate, w: GateLimits, stampOld: () => Promise<void>) {
  const before = Date.now();
  await stampOld();
  await sleep(before + 1100 - Date.now());
  const wait = await gate.acquire(w, 'new:1');
  expect(wait, 'a send stamped by an old process 1100 ms ago no longer counted').toBeGreaterThan(0);
  await sleep(Math.max(wait, before + 1300 - Date.now()));
  expect(await gate.acquire(w, 'new:2')).toBe(0);
  await gate.release(w.id, 'new:2');
}

(PG_URL ? describe : describe.skip)('rate limit while old and new processes run together (PostgreSQL)', () => {
  let db: TestDb;
  let store: Store;
  beforeAll(async () => {
    db = freshDatabase();
    store = await openStore({ databaseUrl: db.url, poolSize: 4 });
    await migrateToLatest(store.db, store.schema);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it("an old process's send counts its 1200 ms from its stamp", async () => {
    const w = limits('wh_mixed_pg');
    const gate = postgresGate(store.db, { tag: 'new' });
    try {
      await oldSendStillCounts(gate, w, async () => {
        // 009's worker: acquire (6 arguments, its 1200 ms window), send, release.
        const r = await sql<{ wait: number }>`select hookbridge_endpoint_acquire(${w.id}, ${'old:1'}, ${6000}, ${10}, ${1}, ${1200}) as wait`.execute(store.db);
        expect(Number(r.rows[0]!.wait)).toBe(0);
        await sql`delete from endpoint_leases where webhook_id = ${w.id} and holder = ${'old:1'}`.execute(store.db);
      });
    } finally {
      await gate.close();
    }
  });

  it("010's take and release still work: its send counts from when it ended, then frees the limit", async () => {
    // 010's worker, exactly: take (stamped at its lease's end), send, release (re-stamps its row).
    // When 010's function was rewritten in place to mark rows, a database that had applied 010
    // kept the old body, and the reverse held here: the release found no row, and the send
    // counted until its lease ran out (6 s) — an endpoint with rateLimit 5 got 5 requests in 6 s.
    const w = limits('wh_mixed_010');
    const gate = postgresGate(store.db, { tag: 'new' });
    try {
      const r = await sql<{ wait: number }>`select hookbridge_endpoint_take(${w.id}, ${'old10:1'}, ${6000}, ${10}, ${1}, ${1010}) as wait`.execute(store.db);
      expect(Number(r.rows[0]!.wait)).toBe(0);
      await sleep(100); // the request
      await sql`update endpoint_sends set sent_at = (extract(epoch from clock_timestamp()) * 1000)::bigint where webhook_id = ${w.id} and holder = ${'old10:1'}`.execute(store.db);
      await sql`delete from endpoint_leases where webhook_id = ${w.id} and holder = ${'old10:1'}`.execute(store.db);
      const ended = Date.now();
      expect(await gate.acquire(w, 'new:1'), 'the old send stopped counting as it ended').toBeGreaterThan(0);
      await sleep(ended + 1300 - Date.now());
      expect(await gate.acquire(w, 'new:2'), 'the old send still counted 1.3 s after it ended').toBe(0);
      await gate.release(w.id, 'new:2');
    } finally {
      await gate.close();
    }
  });
});

(PG_URL && redisUp ? describe : describe.skip)('rate limit while old and new processes run together (Redis)', () => {
  it("an old process's send counts its 1200 ms from its stamp", async () => {
    const w = limits(`wh_mixed_redis_${Date.now()}`);
    const keys = [`hookbridge:ep:${w.id}:inflight`, `hookbridge:ep:${w.id}:sent`];
    const old = new Redis(REDIS);
    const gate = await redisGate(REDIS, pino({ level: 'silent' }));
    try {
      await oldSendStillCounts(gate, w, async () => {
        expect(Number(await old.eval(OLD_ACQUIRE, 2, ...keys, 'old:1', 6000, 10, 1))).toBe(0);
        await old.zrem(keys[0]!, 'old:1');
      });
    } finally {
      await old.del(...keys);
      old.disconnect();
      await gate.close();
    }
  });
});
