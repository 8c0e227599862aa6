import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitForDelivery, withReceiver, withServer } from '../helpers/fixtures.js';

// Seed 002's receiver check, as its Node snippet computes it.
const livedigitalSignature = (secret: string, body: unknown) =>
  crypto.createHmac('sha256', secret).update(JSON.stringify(body), 'utf8').digest('hex');

let s: TestServer;
let rcv: Receiver;
withServer((x) => (s = x));
withReceiver((x) => (rcv = x));

/** Like seed 002's curl: `Content-Type: text/plain` with a JSON body. */
const plain = (method: string, path: string, body?: unknown) =>
  s.api(method, path, { raw: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'text/plain' } });

describe('per-space webhooks (seed 002)', () => {
  const space = '60d55c0eb9ef88ab17b0aabb';

  it('create, get, update, refresh-secret and delete with the bare livedigital shapes', async () => {
    const created = await plain('POST', `/v1/spaces/${space}/webhook`, { url: `${rcv.url}/ld` });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(['url', 'secret', 'isActive']);
    expect(created.body.url).toBe(`${rcv.url}/ld`);
    expect(created.body.secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(created.body.isActive).toBe(true);

    expect((await plain('POST', `/v1/spaces/${space}/webhook`, { url: `${rcv.url}/other` })).status).toBe(409);
    expect((await plain('GET', `/v1/spaces/${space}/webhook`)).body).toEqual({ url: `${rcv.url}/ld`, isActive: true });

    const updated = await plain('PUT', `/v1/spaces/${space}/webhook`, { url: `${rcv.url}/ld2`, isActive: true });
    expect(updated.body).toEqual({ url: `${rcv.url}/ld2`, isActive: true });

    const refreshed = await plain('PUT', `/v1/spaces/${space}/webhook/refresh-secret`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(refreshed.body.secret).not.toBe(created.body.secret);

    // Per-space webhooks do not clutter the generic list.
    const list = await s.api('GET', '/v1/webhooks');
    expect(list.body.data.some((w: any) => w.url.startsWith(`${rcv.url}/ld`))).toBe(false);

    expect((await plain('DELETE', `/v1/spaces/${space}/webhook`)).status).toBe(204);
    expect((await plain('GET', `/v1/spaces/${space}/webhook`)).status).toBe(404);
  });

  it('delivers {signature, body} verifiable with the seed algorithm; after refresh only the new secret verifies', async () => {
    const sp = 'space-deliver';
    const created = await plain('POST', `/v1/spaces/${sp}/webhook`, { url: `${rcv.url}/deliver` });
    const before = rcv.requests.length;
    const ev = await s.api('POST', '/v1/events', { body: { type: 'call_started', space: sp, data: { roomId: 'room-1' } } });
    expect(ev.body.data.deliveries).toHaveLength(1);
    await rcv.waitFor(before + 1);
    const msg = JSON.parse(rcv.requests[before].body);
    expect(Object.keys(msg)).toEqual(['signature', 'body']);
    expect(msg.body).toEqual({ eventName: 'call_started', roomId: 'room-1', spaceId: sp });
    expect(msg.signature).toBe(livedigitalSignature(created.body.secret, msg.body));

    const refreshed = await plain('PUT', `/v1/spaces/${sp}/webhook/refresh-secret`);
    await s.api('POST', '/v1/events', { body: { type: 'record_finished', space: sp, data: { roomId: 'room-1', recordId: 'rec-9' } } });
    await rcv.waitFor(before + 2);
    const msg2 = JSON.parse(rcv.requests[before + 1].body);
    expect(msg2.body).toEqual({ eventName: 'record_finished', roomId: 'room-1', spaceId: sp, recordId: 'rec-9' });
    expect(msg2.signature).toBe(livedigitalSignature(refreshed.body.secret, msg2.body));
    expect(msg2.signature).not.toBe(livedigitalSignature(created.body.secret, msg2.body));

    // Another space's events do not reach it.
    await s.api('POST', '/v1/events', { body: { type: 'call_started', space: 'someone-else', data: {} } });
    await new Promise((r) => setTimeout(r, 300));
    expect(rcv.requests.filter((r) => r.url === '/deliver')).toHaveLength(2);
  });

  it('three attempts in all, then failed; isActive false stops deliveries and keeps the webhook', async () => {
    const failing = await startReceiver(() => ({ status: 500 }));
    try {
      const sp = 'space-fail';
      await plain('POST', `/v1/spaces/${sp}/webhook`, { url: failing.url });
      const ev = await s.api('POST', '/v1/events', { body: { type: 'call_finished', space: sp, data: { roomId: 'r' } } });
      const d = await waitForDelivery(s, ev.body.data.deliveries[0].id, 'failed', 15_000);
      expect(d.attempts).toBe(3);
      expect(failing.requests).toHaveLength(3);

      expect((await plain('PUT', `/v1/spaces/${sp}/webhook`, { isActive: false })).body.isActive).toBe(false);
      const quiet = await s.api('POST', '/v1/events', { body: { type: 'call_finished', space: sp, data: { roomId: 'r' } } });
      expect(quiet.body.data.deliveries).toHaveLength(0);
      expect((await plain('GET', `/v1/spaces/${sp}/webhook`)).body.isActive).toBe(false);
    } finally {
      await failing.close();
    }
  }, 20_000);

  it('rejects a bad body and a bad URL with the error envelope', async () => {
    const bad = await plain('POST', '/v1/spaces/s-bad/webhook', { nope: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.success).toBe(false);
    const notJson = await s.api('POST', '/v1/spaces/s-bad/webhook', { raw: 'url=x', headers: { 'content-type': 'text/plain' } });
    expect(notJson.status).toBe(400);
    const ftp = await plain('POST', '/v1/spaces/s-bad/webhook', { url: 'ftp://x.example/' });
    expect(ftp.status).toBe(422);
  });
});
