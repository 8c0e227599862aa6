/**
 * Scale-out on PostgreSQL (SPEC §9): several Hookbridge instances over one database.
 * - two `all`-role servers share the work: workers claim with FOR UPDATE SKIP LOCKED, so
 *   in normal operation every event reaches the receiver exactly once, and both workers
 *   send some of it (each server's own /metrics counts its attempts);
 * - an `api`-role server and a `worker`-role server: a publish on the api one wakes the
 *   worker through LISTEN/NOTIFY, far sooner than its 1 s safety-net poll.
 * The instances run in this process (each with its own pool, LISTEN connection and
 * sender), which is what SKIP LOCKED and NOTIFY see as separate workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, freshDatabase, startTestServer, type TestDb, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sleep, until } from '../helpers/wait.js';


if (!PG_URL) console.log('[multi-worker test] skipped: multi-worker test needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

/** Successful delivery attempts made by this server's own worker. */
async function successfulAttempts(s: TestServer): Promise<number> {
  const r = await s.api('GET', '/metrics', { token: null });
  const m = r.text.match(/^hookbridge_delivery_attempts_total\{outcome="success"\} (\d+)/m);
  return m ? Number(m[1]) : 0;
}


describePg('two workers over one PostgreSQL database', () => {
  const EVENTS = 1000;
  let db: TestDb;
  let a: TestServer;
  let b: TestServer;
  let rcv: Receiver;
  beforeAll(async () => {
    db = freshDatabase();
    // A short lease: the run outlasts it, so held rows must have their leases extended
    // while they wait in the lanes, or they would be claimed again and sent twice.
    const env = { HOOKBRIDGE_ROLE: 'all', HOOKBRIDGE_LEASE_SECONDS: '3' };
    a = await startTestServer(env, db);
    b = await startTestServer(env, db);
    // A little service time per request, so a backlog forms and both workers claim from it.
    rcv = await startReceiver(() => ({ status: 200, body: 'OK', delayMs: 2 }));
  });
  afterAll(async () => {
    await b?.close(); // shares a's database: only a drops it
    await a?.stop();
    await rcv?.close();
  });

  it('every event is delivered exactly once, and both workers take part', async () => {
    const w = await a.api('POST', '/v1/webhooks', { body: { url: `${rcv.url}/hook`, events: ['message.created'], maxConcurrency: 8 } });
    expect(w.status).toBe(201);
    const webhookId = w.body.data.id;
    const ids = Array.from({ length: EVENTS }, (_, i) => `evt_mw_${String(i).padStart(4, '0')}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          const r = await a.api('POST', '/v1/events', { body: { id, type: 'message.created', data: { id } } });
          expect(r.status).toBe(202);
        }
      }),
    );
    await rcv.waitFor(EVENTS, 20_000);
    await until('no pending deliveries', 10_000, async () => {
      const r = await a.api('GET', `/v1/deliveries?status=pending&webhookId=${webhookId}&limit=1`);
      return r.body.pagination.total === 0;
    });
    await sleep(300); // a duplicate, were one coming, would be on the wire by now

    const counts = new Map<string, number>();
    for (const r of rcv.requests) {
      const id = JSON.parse(r.body).id as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const twice = [...counts].filter(([, n]) => n > 1);
    expect(twice, `sent more than once: ${twice.slice(0, 10).join(' ')}`).toEqual([]);
    expect(counts.size).toBe(EVENTS);
    expect(rcv.requests).toHaveLength(EVENTS);
    // Each delivery id (the X-Hookbridge-Delivery header) also arrives once.
    expect(new Set(rcv.requests.map((r) => r.headers['x-hookbridge-delivery'])).size).toBe(EVENTS);

    const delivered = await a.api('GET', `/v1/deliveries?status=delivered&webhookId=${webhookId}&limit=1`);
    expect(delivered.body.pagination.total).toBe(EVENTS);
    const [byA, byB] = [await successfulAttempts(a), await successfulAttempts(b)];
    console.log(`[multi-worker test] deliveries sent by worker A: ${byA}, by worker B: ${byB}`);
    expect(byA + byB).toBe(EVENTS);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
  });
});

describePg('api-role and worker-role processes', () => {
  let db: TestDb;
  let api: TestServer;
  let worker: TestServer;
  let rcv: Receiver;
  beforeAll(async () => {
    db = freshDatabase();
    api = await startTestServer({ HOOKBRIDGE_ROLE: 'api' }, db);
    worker = await startTestServer({ HOOKBRIDGE_ROLE: 'worker' }, db);
    rcv = await startReceiver();
  });
  afterAll(async () => {
    await worker?.close();
    await api?.stop();
    await rcv?.close();
  });

  it('a publish on the api process wakes the worker process through NOTIFY, not the 1 s poll', async () => {
    const w = await api.api('POST', '/v1/webhooks', { body: { url: `${rcv.url}/hook`, events: ['message.created'] } });
    expect(w.status).toBe(201);
    // Let the worker's LISTEN connection settle (it connects asynchronously at start).
    await sleep(300);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      // Publishing right after the previous arrival would always land just after a poll
      // tick if the worker only polled (≈1 s each); jitter the start a little anyway.
      await sleep(Math.random() * 50);
      const t0 = Date.now();
      const p = await api.api('POST', '/v1/events', { body: { id: `evt_lat_${i}`, type: 'message.created', data: { i } } });
      expect(p.status).toBe(202);
      const got = await rcv.waitFor(i + 1, 3000);
      expect(JSON.parse(got[i].body).id).toBe(`evt_lat_${i}`);
      latencies.push(got[i].at - t0);
    }
    const sorted = [...latencies].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`[multi-worker test] api→worker publish→received ms: median ${median}, max ${sorted.at(-1)} (${latencies.join(' ')})`);
    expect(median).toBeLessThan(500);
    expect(sorted.at(-1)!).toBeLessThan(1500);
    // Only the worker process delivers.
    expect(await successfulAttempts(api)).toBe(0);
    expect(await successfulAttempts(worker)).toBe(20);
  });
});
