/**
 * Endpoint limits hold across the cluster (PostgreSQL mode): one `api` and three `worker`
 * instances over one database; a webhook's `maxConcurrency` and `rateLimit` are what the
 * receiver sees from all of them together — through Redis when REDIS_URL is set, else
 * through PostgreSQL itself. Each instance has its own pool, lanes and sender, as
 * separate processes would.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, freshDatabase, startTestServer, type TestDb, type TestServer } from '../helpers/server.js';
import { startOutsideReceiver, startReceiver, worstSecond, type Receiver } from '../helpers/receiver.js';
import { freePort } from '../helpers/wait.js';
import { REDIS, redisAnswers } from '../helpers/redis.js';

const redisUp = await redisAnswers();
if (!PG_URL) console.log('[cluster-limits test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
if (PG_URL && !redisUp) {
  if (process.env.CI === 'true') throw new Error(`CI=true: Redis is required at ${REDIS}`);
  console.log(`[cluster-limits test] Redis part skipped: nothing answers at ${REDIS}`);
}

/** Sends a server made under its own endpoint limits because the shared store failed (/metrics). */
async function fallbackSends(s: TestServer): Promise<number> {
  const m = (await s.api('GET', '/metrics', { token: null })).text.match(/^hookbridge_endpoint_limits_fallback_total (\d+)/m);
  return m ? Number(m[1]) : 0;
}

for (const store of ['postgres', 'redis'] as const) {
  const run = PG_URL && (store === 'postgres' || redisUp) ? describe : describe.skip;
  run(`cluster-wide endpoint limits through ${store}`, () => {
    let db: TestDb;
    let api: TestServer;
    const workers: TestServer[] = [];
    beforeAll(async () => {
      db = freshDatabase();
      const extra: Record<string, string> = store === 'redis' ? { REDIS_URL: REDIS } : {};
      api = await startTestServer({ HOOKBRIDGE_ROLE: 'api', ...extra }, db);
      for (let i = 0; i < 3; i++) workers.push(await startTestServer({ HOOKBRIDGE_ROLE: 'worker', ...extra }, db));
    });
    afterAll(async () => {
      for (const w of workers) await w.close();
      await api?.stop();
    });

    /** Sends the workers made under their own limits because the shared store failed: must stay 0 here. */
    async function fallbacks(): Promise<number> {
      let n = 0;
      for (const w of workers) n += await fallbackSends(w);
      return n;
    }

    async function publish(n: number, channel: string) {
      for (let i = 0; i < n; i++) {
        const r = await api.api('POST', '/v1/events', { body: { type: 'message.created', data: { i }, channels: [channel] } });
        expect(r.status).toBe(202);
      }
    }

    it('maxConcurrency: 4 and a slow receiver: never more than 4 requests in flight from 3 workers', async () => {
      const rcv: Receiver = await startReceiver(() => ({ status: 200, delayMs: 150 }));
      try {
        const w = await api.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], channels: ['slow'], maxConcurrency: 4 } });
        expect(w.status, w.text).toBe(201);
        await publish(60, 'slow');
        await rcv.waitFor(60, 30_000);
        expect(await fallbacks(), 'sends made under per-process limits (the shared store failed)').toBe(0);
        expect(rcv.peakInFlight).toBeLessThanOrEqual(4);
        expect(rcv.peakInFlight, 'the limit is used, not just respected').toBeGreaterThanOrEqual(3);
      } finally {
        await rcv.close();
      }
    });

    it('rateLimit: 20 is never exceeded over any 1 s window', async () => {
      const rcv = await startOutsideReceiver();
      try {
        const w = await api.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], channels: ['rate'], rateLimit: 20 } });
        expect(w.status, w.text).toBe(201);
        await publish(90, 'rate');
        const at = await rcv.waitFor(90);
        expect(await rcv.stats()).toMatchObject({ requests: 90, unique: 90 });
        expect(await fallbacks(), 'sends made under per-process limits (the shared store failed)').toBe(0);
        const worst = worstSecond(at);
        expect(worst.count, `arrivals around the worst second: ${worst.around}`).toBeLessThanOrEqual(20);
        expect(at.at(-1)! - at[0]!, '90 requests at 20/s take about 4 s').toBeGreaterThan(3500);
      } finally {
        rcv.close();
      }
    });

    // A request reaches the receiver at some moment between leaving and being answered: one
    // held up on the way (here: left unread at the receiver for 600 ms) must count against
    // the limit until it is answered, or it lands in the next window's second with the
    // next five (6 in one second, as the stamp-time count allowed).
    it('rateLimit: a request held up on the way counts until it is answered', async () => {
      const rcv = await startReceiver(undefined, (n) => (n === 4 ? 600 : 0));
      try {
        const w = await api.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], channels: ['held'], rateLimit: 5 } });
        expect(w.status, w.text).toBe(201);
        await publish(15, 'held');
        const at = (await rcv.waitFor(15, 20_000)).map((q) => q.at).sort((x, y) => x - y);
        expect(await fallbacks(), 'sends made under per-process limits (the shared store failed)').toBe(0);
        const worst = worstSecond(at);
        expect(worst.count, `arrivals around the worst second: ${worst.around}`).toBeLessThanOrEqual(5);
      } finally {
        await rcv.close();
      }
    });

    // A slot stamped and then held up before the request leaves (here: the stamping statement
    // blocked on a table lock for 600 ms after taking its timestamp, as a stalled process
    // would be) must not let that request land in the next window's second.
    it.skipIf(store === 'redis')('rateLimit: a send whose slot was stamped before a stall still counts until it is answered', async () => {
      const rcv = await startOutsideReceiver();
      const locker = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${db.schema}` });
      await locker.connect();
      try {
        const w = await api.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], channels: ['late'], rateLimit: 5 } });
        expect(w.status, w.text).toBe(201);
        await publish(12, 'late');
        const t0 = (await rcv.waitFor(5))[0]!;
        // The window frees a second after the first five were answered: hold the table the
        // stamping statement writes to across that moment.
        await new Promise((r) => setTimeout(r, Math.max(0, t0 + 900 - Date.now())));
        await locker.query('begin');
        await locker.query('lock table endpoint_sends in exclusive mode');
        await new Promise((r) => setTimeout(r, 600));
        await locker.query('commit');
        const worst = worstSecond(await rcv.waitFor(12));
        expect(await rcv.stats()).toMatchObject({ requests: 12, unique: 12 });
        expect(worst.count, `arrivals around the worst second: ${worst.around}`).toBeLessThanOrEqual(5);
      } finally {
        await locker.end().catch(() => undefined);
        rcv.close();
      }
    });
  });
}

// Without its limits store, a worker goes on delivering under its own per-process limits,
// warns, and counts each such send in /metrics (nothing listens on the Redis port given).
const runPg = PG_URL ? describe : describe.skip;
runPg('endpoint limits store unreachable', () => {
  let db: TestDb;
  let worker: TestServer;
  let rcv: Receiver;
  beforeAll(async () => {
    db = freshDatabase();
    const closed = await freePort(); // nothing listens there
    worker = await startTestServer({ HOOKBRIDGE_ROLE: 'all', REDIS_URL: `redis://127.0.0.1:${closed}` }, db);
    rcv = await startReceiver(() => ({ status: 200 }));
  });
  afterAll(async () => {
    await rcv?.close();
    await worker?.stop();
  });

  it('deliveries still arrive, and /metrics counts the sends made under per-process limits', async () => {
    const w = await worker.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], maxConcurrency: 2 } });
    expect(w.status, w.text).toBe(201);
    for (let i = 0; i < 5; i++) expect((await worker.api('POST', '/v1/events', { body: { type: 'message.created', data: { i } } })).status).toBe(202);
    await rcv.waitFor(5, 15_000);
    expect(await fallbackSends(worker)).toBeGreaterThanOrEqual(5);
  });
});
