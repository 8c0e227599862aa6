/**
 * Retention (`retentionDays`, per project): old events, deliveries, attempts, inbound
 * requests and finished jobs are pruned in small batches; delivery latency while a large
 * table is pruned stays as it was before.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { receiverPool } from '../helpers/fixtures.js';
import { sleep, until } from '../helpers/wait.js';
import { afterAll, beforeAll } from 'vitest';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ HOOKBRIDGE_RETENTION_INTERVAL_SECONDS: '1', HOOKBRIDGE_RETENTION_BATCH: '200' });
});
afterAll(async () => s?.stop());
const receiver = receiverPool();

const OLD = 20_000;
const DAY = 86_400_000;

/** Inserts `n` delivered events of 40 days ago, each with one delivery and one attempt, straight into the tables. */
async function oldHistory(projectId: string, webhookId: string, n: number) {
  const db = s.repos.store.db;
  const t = Date.now() - 40 * DAY;
  for (let i = 0; i < n; i += 500) {
    const ids = Array.from({ length: Math.min(500, n - i) }, (_, k) => `old${String(i + k).padStart(6, '0')}`);
    await db.insertInto('events').values(ids.map((id, k) => ({ project_id: projectId, id: `evt_${id}`, type: 'message.created', payload: `{"id":"evt_${id}"}`, space: null, channels: '[]', idempotency_key: null, created_at: t + i + k }))).execute();
    await db
      .insertInto('deliveries')
      .values(ids.map((id, k) => ({ id: `dlv_${id}`, project_id: projectId, event_id: `evt_${id}`, event_type: 'message.created', webhook_id: webhookId, status: 'delivered' as const, attempts: 1, attempt_base: 0, next_attempt_at: t, lease_until: null, last_status_code: 200, last_error: null, last_reason: null, last_response_ms: 3, last_response_body: 'OK', delivered_at: t, created_at: t + i + k, updated_at: t })))
      .execute();
    await db
      .insertInto('attempts')
      .values(ids.map((id) => ({ id: `att_${id}`, delivery_id: `dlv_${id}`, project_id: projectId, webhook_id: webhookId, attempt: 1, status: 'success' as const, request_url: 'http://x', request_method: 'POST', request_headers: '{}', request_body: null, response_status: 200, response_headers: '{}', response_body: 'OK', duration_ms: 3, error: null, retry_reason: null, notes: null, created_at: t })))
      .execute();
  }
}

const count = async (table: 'events' | 'deliveries' | 'attempts', projectId: string) =>
  Number((await s.repos.store.db.selectFrom(table).select((e) => e.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()).n);

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

describe('retention', () => {
  it('prunes a large old history in batches while delivery latency stays as it was; recent rows and pending deliveries stay', async () => {
    const p = (await s.api('POST', '/v1/projects', { body: { name: 'retention' } })).body.data;
    const token = p.token.token;
    expect((await s.api('PUT', '/v1/project', { token, body: { retentionDays: 3650 } })).body.data.retentionDays).toBe(3650);
    const rcv = await receiver();
    const w = (await s.api('POST', '/v1/webhooks', { token, body: { url: rcv.url, events: ['message.created'] } })).body.data;
    await oldHistory(p.id, w.id, OLD);
    // One old event whose delivery still waits (a retry far ahead) is never pruned.
    const t = Date.now() - 40 * DAY;
    await s.repos.store.db.insertInto('events').values({ project_id: p.id, id: 'evt_waiting', type: 'message.created', payload: '{}', space: null, channels: '[]', idempotency_key: null, created_at: t }).execute();
    await s.repos.store.db
      .insertInto('deliveries')
      .values({ id: 'dlv_waiting', project_id: p.id, event_id: 'evt_waiting', event_type: 'message.created', webhook_id: w.id, status: 'pending', attempts: 1, attempt_base: 0, next_attempt_at: Date.now() + DAY, lease_until: null, last_status_code: 500, last_error: null, last_reason: 'http_5xx', last_response_ms: 3, last_response_body: null, delivered_at: null, created_at: t, updated_at: t })
      .execute();
    expect(await count('events', p.id)).toBe(OLD + 1);

    const latencies = async (n: number) => {
      const sent = new Map<string, number>();
      const before = rcv.requests.length;
      for (let i = 0; i < n; i++) {
        const t = Date.now();
        const e = (await s.api('POST', '/v1/events', { token, body: { type: 'message.created', data: { i } } })).body.data;
        sent.set(e.id, t);
        await sleep(20);
      }
      await rcv.waitFor(before + n);
      return rcv.requests.slice(before).map((r) => r.at - sent.get(JSON.parse(r.body).id)!);
    };
    const baseline = await latencies(60);

    expect((await s.api('PUT', '/v1/project', { token, body: { retentionDays: 30 } })).status).toBe(200);
    await until('pruning to start', 10_000, async () => (await count('events', p.id)) < OLD);
    const during = await latencies(60);
    const left = await count('events', p.id);
    expect(left, 'the measurement overlapped the pruning').toBeGreaterThan(60);

    await until('every old finished event to go', 60_000, async () => (await count('events', p.id)) === 121);
    expect(await count('deliveries', p.id)).toBe(121);
    expect(await count('attempts', p.id)).toBe(120);
    expect((await s.api('GET', '/v1/events/evt_waiting', { token })).status).toBe(200);
    console.log(`[retention] p95 publish→received: ${p95(baseline)} ms before, ${p95(during)} ms while pruning (${OLD - left} of ${OLD} pruned meanwhile)`);
    // Latency while pruning: within 50 ms of the baseline's p95 (on a shared 2-core machine).
    expect(p95(during)).toBeLessThan(p95(baseline) + 50);
  });
});
