/**
 * `ordering: "fifo"`: one delivery at a time, in publish order; a failure holds the
 * line until it succeeds. 500 events to a receiver that fails each one once; and events
 * published by many clients at once (stored together, many to a commit) still go one at
 * a time, oldest first. An older event stored after a newer one was sent (as when two
 * processes' publishes commit in the other order) waits for it: still one at a time.
 */
import { describe, expect, it } from 'vitest';
import { sqlElsewhere, type TestServer } from '../helpers/server.js';
import { receiverPool, withServer } from '../helpers/fixtures.js';

let s: TestServer;
withServer((srv) => (s = srv));
const receiver = receiverPool();

describe('FIFO webhooks', () => {
  it('500 events to a receiver that fails each request once arrive in publish order, one at a time', async () => {
    const seen = new Set<string>();
    const delivered: string[] = [];
    const rcv = await receiver((req) => {
      const id = JSON.parse(req.body).id as string;
      if (!seen.has(id)) {
        seen.add(id);
        return { status: 503, delayMs: 1 };
      }
      delivered.push(id);
      return { status: 200, delayMs: 1 };
    });
    const w = await s.api('POST', '/v1/webhooks', {
      body: { url: rcv.url, events: ['message.created'], ordering: 'fifo', retryPolicy: { maxRetries: 5, retryDelay: 10, backoffMultiplier: 1, maxRetryDelay: 10 } },
    });
    expect(w.status, w.text).toBe(201);
    expect(w.body.data.ordering).toBe('fifo');
    const published: string[] = [];
    for (let i = 0; i < 500; i++) {
      const r = await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { i } } });
      published.push(r.body.data.id);
    }
    await rcv.waitFor(1000, 170_000);
    expect(delivered).toEqual(published);
    expect(rcv.peakInFlight).toBe(1);
    // Every request to this endpoint alternates: the first try of an event, then its retry.
    const order = rcv.requests.map((q) => JSON.parse(q.body).id);
    for (let i = 0; i < 500; i++) expect([order[2 * i], order[2 * i + 1]]).toEqual([published[i], published[i]]);
    // About 1,000 strictly sequential attempts: well over the default test timeout on a busy machine.
  }, 180_000);

  it('an event stored late with an older time waits for the delivery in flight: still one at a time', async () => {
    const rcv = await receiver(() => ({ status: 200, delayMs: 2500 }));
    const w = await s.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.deleted'], ordering: 'fifo' } });
    expect(w.status, w.text).toBe(201);
    const first = await s.api('POST', '/v1/events', { body: { type: 'message.deleted', data: { n: 'first' } } });
    await rcv.waitFor(1, 10_000); // in flight: the receiver holds it for 2.5 s
    const late = await s.api('POST', '/v1/events', { body: { type: 'message.deleted', data: { n: 'late' } } });
    expect(late.status, late.text).toBe(202);
    // As if another process had stored it a minute earlier and committed it only now.
    await sqlElsewhere(s.db, 'update events set created_at = created_at - 60000 where id = $1', [late.body.data.id]);
    await sqlElsewhere(s.db, 'update deliveries set created_at = created_at - 60000 where event_id = $1', [late.body.data.id]);
    const got = await rcv.waitFor(2, 15_000);
    expect(got.map((q) => JSON.parse(q.body).id)).toEqual([first.body.data.id, late.body.data.id]);
    expect(rcv.peakInFlight, 'never two deliveries of a FIFO webhook at once').toBe(1);
  }, 30_000);

  it('events published by 32 clients at once go one at a time, in the order they were accepted', async () => {
    const rcv = await receiver(() => ({ status: 200, delayMs: 2 }));
    const w = await s.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.updated'], ordering: 'fifo' } });
    expect(w.status, w.text).toBe(201);
    const createdAt = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 32 }, async (_, c) => {
        for (let i = 0; i < 10; i++) {
          const r = await s.api('POST', '/v1/events', { body: { type: 'message.updated', data: { c, i } } });
          expect(r.status, r.text).toBe(202);
          createdAt.set(r.body.data.id, Date.parse(r.body.data.createdAt));
        }
      }),
    );
    const got = (await rcv.waitFor(320, 60_000)).map((q) => JSON.parse(q.body).id as string);
    await new Promise((r) => setTimeout(r, 200));
    expect(rcv.requests.length).toBe(320);
    expect(new Set(got)).toEqual(new Set(createdAt.keys()));
    expect(rcv.peakInFlight).toBe(1);
    // Oldest first: an event accepted in a later millisecond never goes before an earlier one.
    const times = got.map((id) => createdAt.get(id)!);
    const outOfOrder = times.flatMap((t, k) => (k > 0 && t < times[k - 1]! ? [k] : []));
    expect(outOfOrder).toEqual([]);
  }, 90_000);
});
