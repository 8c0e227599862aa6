/**
 * `ordering: "fifo"`: one delivery at a time, in publish order; a failure holds the
 * line until it succeeds. 500 events to a receiver that fails each one once.
 */
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { receiverPool, withServer } from '../helpers/fixtures.js';

let s: TestServer;
withServer((srv) => (s = srv));
const receiver = receiverPool();

describe('FIFO webhooks', () => {
  it('500 events to a receiver that fails each request once arrive in publish order, one at a time', async () => {
    const seen = new Set<string>();
    let inFlight = 0;
    let peak = 0;
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
    // Count concurrency at the receiver: a request is in flight from arrival to answer.
    const respond = rcv.respond;
    rcv.respond = (req, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => inFlight--, 1);
      return respond(req, i);
    };
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
    await rcv.waitFor(1000, 90_000);
    expect(delivered).toEqual(published);
    expect(peak).toBe(1);
    // Every request to this endpoint alternates: the first try of an event, then its retry.
    const order = rcv.requests.map((q) => JSON.parse(q.body).id);
    for (let i = 0; i < 500; i++) expect([order[2 * i], order[2 * i + 1]]).toEqual([published[i], published[i]]);
  });
});
