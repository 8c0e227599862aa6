/**
 * Webhook changes while deliveries wait in a lane, and operations that race each other
 * (a fuzzing round on PostgreSQL and SQLite): a webhook turned off or rotated while a
 * limited lane still holds its deliveries, two rotations at once, two replays at once.
 */
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { channel, receiverPool, waitForDelivery, withServer } from '../helpers/fixtures.js';
import { standardSignature } from '../../src/core/signing.js';
import { sleep } from '../helpers/wait.js';

let s: TestServer;
withServer((x) => (s = x));
const receiver = receiverPool();

/** Which of `secrets` signed this Standard Webhooks request. */
function signers(req: { headers: Record<string, unknown>; body: string }, secrets: string[]): string[] {
  const id = String(req.headers['webhook-id']);
  const ts = Number(req.headers['webhook-timestamp']);
  const given = String(req.headers['webhook-signature']).split(' ').map((p) => p.split(',')[1]);
  return secrets.filter((k) => given.includes(standardSignature(k, id, ts, req.body)));
}

describe('a lane holding deliveries while the webhook changes', () => {
  it('turned off: no request leaves after the change was answered, beyond the one already on its way', async () => {
    const rcv = await receiver(() => ({ status: 200, delayMs: 150 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { maxConcurrency: 1 });
    const events = [];
    for (let i = 0; i < 12; i++) events.push(await ch.publish({ i }));
    await rcv.waitFor(2);
    expect((await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: false } })).status).toBe(200);
    const answered = Date.now();
    await sleep(1500);
    expect(rcv.requests.filter((q) => q.at > answered).length).toBeLessThanOrEqual(1);
    // The rest end failed without a request, and can be replayed once it is back on.
    const last = await waitForDelivery(s, events.at(-1).deliveries[0].id, 'failed');
    expect(last.attemptLog.at(-1).error).toBe('webhook is inactive');
  });

  it('a rotated secret (no grace) signs every request that leaves after the rotation was answered', async () => {
    const rcv = await receiver(() => ({ status: 200, delayMs: 150 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { maxConcurrency: 1, signature: 'standard' });
    for (let i = 0; i < 10; i++) await ch.publish({ i });
    await rcv.waitFor(2);
    const rotated = (await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: { gracePeriod: 0 } })).body.data;
    const answered = Date.now();
    await rcv.waitFor(10, 15_000);
    // A request sent before the answer may arrive just after it: at most the one in flight.
    const after = rcv.requests.filter((q) => q.at > answered + 200);
    expect(after.length).toBeGreaterThan(3);
    for (const q of after) expect(signers(q, [w.secret, rotated.secret])).toEqual([rotated.secret]);
  });
});

describe('operations at the same moment', () => {
  it('two rotations at once: both answered secrets sign (the earlier one for its grace period), none is lost', async () => {
    const rcv = await receiver(() => ({ status: 200 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { signature: 'standard' });
    const [a, b] = await Promise.all([
      s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: {} }),
      s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: {} }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const answered = [a.body.data.secret, b.body.data.secret];
    await ch.publish({ n: 1 });
    await rcv.waitFor(1);
    expect(signers(rcv.requests[0]!, [w.secret, ...answered]).sort()).toEqual([...answered].sort());
  });

  it('two replays at once: each missed event gets one delivery, not one per replay', async () => {
    const rcv = await receiver(() => ({ status: 200 }));
    const ch = channel(s);
    const w = await ch.webhook(rcv.url);
    const since = new Date(Date.now() - 1000).toISOString();
    expect((await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: false } })).status).toBe(200);
    for (let i = 0; i < 15; i++) await ch.publish({ i });
    expect((await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: true } })).status).toBe(200);
    const answers = await Promise.all([1, 2, 3].map(() => s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since } })));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(answers.reduce((n, r) => n + r.body.data.created, 0)).toBe(15);
    await rcv.waitFor(15);
    await sleep(1500); // time for any copy to arrive
    expect(rcv.requests).toHaveLength(15);
    const list = (await s.api('GET', `/v1/deliveries?webhookId=${w.id}&limit=100`)).body;
    expect(list.pagination.total).toBe(15);
  });
});
