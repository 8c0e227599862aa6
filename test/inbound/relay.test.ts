/**
 * The `publish` action relays inbound requests into the outbound pipeline, and one
 * Hookbridge receives another's real deliveries through the `hookbridge` preset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { channel, waitForDelivery } from '../helpers/fixtures.js';
import { publishAction } from '../../src/inbound/publish.js';
import { createSource, githubSignature, probesFor, send, stripeSignature } from './_support.js';

let a: TestServer;
let b: TestServer;
let rcv: Receiver;
beforeAll(async () => {
  [a, b, rcv] = await Promise.all([startTestServer(), startTestServer(), startReceiver()]);
  // The relayed event type joins B's catalog first, as an operator would add it.
  const t = await b.api('POST', '/v1/event-types', { body: { name: 'github.push', description: 'GitHub push, relayed', category: 'github' } });
  expect(t.status, t.text).toBe(201);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), rcv?.close()]);
});

/** The first request the receiver got at `url`, waiting for it up to 10 s. */
async function requestTo(r: Receiver, url: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const hit = r.requests.find((q) => q.url === url);
    if (hit || Date.now() > deadline) return hit;
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('publish action', () => {
  it('republishes a verified GitHub delivery to the project\'s webhooks', async () => {
    const hook = await b.api('POST', '/v1/webhooks', { body: { url: `${rcv.url}/relay`, events: ['github.push'], secret: 'relay_out_secret' } });
    expect(hook.status, hook.text).toBe(201);
    const src = await createSource(b, { verification: { type: 'github', secret: 'gh_relay' }, action: { type: 'publish', eventType: 'github.push' } }, undefined);
    const payload = JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 'abc' }] });
    const res = await send(b, src.url, {
      body: payload,
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'relay-1', 'x-hub-signature-256': githubSignature('gh_relay', payload) },
    });
    expect(res.status, res.text).toBe(202);

    const got = await requestTo(rcv, '/relay');
    const envelope = JSON.parse(got!.body);
    expect(envelope).toMatchObject({ type: 'github.push', data: { ref: 'refs/heads/main', commits: [{ id: 'abc' }] } });
    expect(got!.headers['x-hookbridge-event']).toBe('github.push');

    const stored = await b.api('GET', `/v1/sources/${src.id}/requests/${res.body.data.id}`);
    expect(stored.body.data).toMatchObject({ status: 'processed', actionResult: { status: 202, result: { eventId: envelope.id, eventType: 'github.push', deliveries: 1 } } });
    const ev = await b.api('GET', `/v1/events/${envelope.id}`);
    expect(ev.body.data.data).toEqual(JSON.parse(payload));
  });

  it('a non-JSON body is refused by the action (415) and recorded as failed', async () => {
    const src = await createSource(b, { action: { type: 'publish', eventType: 'github.push' } });
    const res = await send(b, src.url, { body: 'not json', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    const list = await b.api('GET', `/v1/sources/${src.id}/requests`);
    expect(list.body.data[0]).toMatchObject({ status: 'failed', body: 'not json' });
  });

  it('a JSON body that starts with a UTF-8 byte order mark (as .NET senders write it) is relayed and deduplicated by its id; the signature covers the BOM too (it was refused 415 "send a JSON body")', async () => {
    const src = await createSource(b, { verification: { type: 'stripe', secret: 'whsec_bom_test' }, action: { type: 'publish', eventType: 'github.push' } });
    const payload = '\ufeff{"id":"evt_bom_1","object":"event","type":"charge.succeeded"}';
    const first = await send(b, src.url, { body: payload, headers: { 'stripe-signature': stripeSignature('whsec_bom_test', payload) } });
    expect(first.status, first.text).toBe(202);
    const again = await send(b, src.url, { body: payload, headers: { 'stripe-signature': stripeSignature('whsec_bom_test', payload) } });
    expect(again.body.data).toEqual({ id: first.body.data.id, received: true, duplicate: true });
    const stored = await b.api('GET', `/v1/sources/${src.id}/requests/${first.body.data.id}`);
    expect(stored.body.data).toMatchObject({ status: 'processed', body: payload, dedupeKey: 'evt_bom_1' });
    const ev = await b.api('GET', `/v1/events/${stored.body.data.actionResult.result.eventId}`);
    expect(ev.body.data.data).toEqual({ id: 'evt_bom_1', object: 'event', type: 'charge.succeeded' });
    // Signed without the BOM, it is not what was sent: refused.
    const unsigned = await send(b, src.url, { body: payload, headers: { 'stripe-signature': stripeSignature('whsec_bom_test', payload.slice(1)) } });
    expect(unsigned.status).toBe(401);
  });

  it('running the action twice for one stored request publishes one event', async () => {
    const ctx = b.ctx;
    const req = { id: `req_twice_${Date.now()}`, sourceId: 'src_x', projectId: 'prj_default', method: 'POST', url: '/', query: {}, headers: {}, raw: Buffer.from('{}'), json: { n: 1 }, receivedAt: Date.now() };
    const first = await publishAction(ctx, { type: 'publish', eventType: 'github.push' }, req);
    const second = await publishAction(ctx, { type: 'publish', eventType: 'github.push' }, req);
    expect((second.result as { eventId: string }).eventId).toBe((first.result as { eventId: string }).eventId);
  });

  it('the event type must be in the catalog, and the action type registered (422)', async () => {
    const unknownEvent = await b.api('POST', '/v1/sources', { body: { path: 'relay-bad', action: { type: 'publish', eventType: 'no.such.event' } } });
    expect(unknownEvent.status).toBe(422);
    expect(unknownEvent.body.error.details[0]).toMatchObject({ field: 'action.eventType' });
    expect(unknownEvent.body.error.details[0].valid).toContain('github.push');
    const noType = await b.api('POST', '/v1/sources', { body: { path: 'relay-bad', action: { type: 'publish' } } });
    expect(noType.status).toBe(422);
    const unknownAction = await b.api('POST', '/v1/sources', { body: { path: 'relay-bad', action: { type: 'teleport' } } });
    expect(unknownAction.status).toBe(422);
    expect(unknownAction.body.error.details[0].valid).toEqual(expect.arrayContaining(['publish', 'probe']));
  });
});

describe('one Hookbridge receives another\'s deliveries', () => {
  it('A delivers a signed event to B, which verifies it with the hookbridge preset and relays it', async () => {
    const secret = 'whsec_shared_between_a_and_b';
    await b.api('POST', '/v1/webhooks', { body: { url: `${rcv.url}/from-b`, events: ['message.created'] } });
    const src = await createSource(b, { verification: { type: 'hookbridge', secret }, action: { type: 'probe' } });
    const relay = await createSource(b, { verification: { type: 'hookbridge', secret }, action: { type: 'publish', eventType: 'message.created' } });

    const ch = channel(a);
    await ch.webhook(b.url + src.url, { secret });
    const wrongSecret = channel(a);
    await wrongSecret.webhook(b.url + src.url, { secret: 'whsec_not_the_shared_one', retryPolicy: { maxRetries: 0 } });

    const published = await ch.publish({ text: 'hello from A' });
    const dlv = await waitForDelivery(a, published.deliveries[0].id, 'delivered');
    expect(dlv.status).toBe('delivered');
    const received = probesFor(src.id);
    expect(received).toHaveLength(1);
    expect(received[0].json).toMatchObject({ id: published.id, type: 'message.created', data: { text: 'hello from A' } });
    expect(received[0].headers['x-hookbridge-delivery']).toBe(published.deliveries[0].id);

    // A's webhook with another secret is refused by B: A records the 401 and fails it.
    const refused = await wrongSecret.publish({ text: 'forged' });
    const failed = await waitForDelivery(a, refused.deliveries[0].id, 'failed');
    expect(failed.status).toBe('failed');
    expect(probesFor(src.id)).toHaveLength(1);
    const log = await a.api('GET', `/v1/webhooks/${refused.deliveries[0].webhookId}/logs/${refused.deliveries[0].id}`);
    expect(JSON.stringify(log.body)).toMatch(/401/);

    // And through the publish action, on into B's own webhooks.
    const rch = channel(a);
    await rch.webhook(b.url + relay.url, { secret });
    await rch.publish({ text: 'relayed' });
    const got = await requestTo(rcv, '/from-b');
    expect(got, 'B relayed the event to its webhook').toBeDefined();
    // B's event carries A's whole envelope as its data.
    expect(JSON.parse(got!.body).data).toMatchObject({ type: 'message.created', data: { text: 'relayed' } });
  });
});

describe('one Hookbridge receives another\'s ed25519-signed deliveries', () => {
  it('A signs with a whsk_ key (v1a); B verifies with the standard preset holding A\'s whpk_ public key', async () => {
    const ch = channel(a);
    // The source needs the key first, the webhook needs the source's URL: make the webhook
    // inactive, read its public key, then point it at the source and turn it on.
    const w = await ch.webhook(`${rcv.url}/placeholder`, { keyType: 'ed25519', active: false });
    expect(w.publicKey).toMatch(/^whpk_/);
    const src = await createSource(b, { verification: { type: 'standard', secret: w.publicKey }, action: { type: 'probe' } });
    const on = await a.api('PUT', `/v1/webhooks/${w.id}`, { body: { url: b.url + src.url, active: true } });
    expect(on.status, on.text).toBe(200);

    const published = await ch.publish({ text: 'signed with ed25519' });
    await waitForDelivery(a, published.deliveries[0].id, 'delivered');
    const received = probesFor(src.id);
    expect(received).toHaveLength(1);
    expect(received[0].headers['webhook-signature']).toMatch(/^v1a,/);
    expect(received[0].json).toMatchObject({ id: published.id, data: { text: 'signed with ed25519' } });

    // Another key pair's signature is refused; so is an HMAC (v1) one made with the public key's bytes.
    const other = channel(a);
    const ow = await other.webhook(b.url + src.url, { keyType: 'ed25519', retryPolicy: { maxRetries: 0 } });
    expect(ow.publicKey).not.toBe(w.publicKey);
    const forged = await other.publish({ text: 'forged' });
    await waitForDelivery(a, forged.deliveries[0].id, 'failed');
    const log = await a.api('GET', `/v1/webhooks/${ow.id}/logs/${forged.deliveries[0].id}`);
    expect(JSON.stringify(log.body)).toMatch(/No v1a signature in webhook-signature matches/);
    expect(probesFor(src.id)).toHaveLength(1);

    const bad = await b.api('POST', '/v1/sources', { body: { path: 'std-bad-key', action: { type: 'probe' }, verification: { type: 'standard', secret: 'whpk_notakey' } } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].message).toMatch(/whpk_ public key/);
  });
});
