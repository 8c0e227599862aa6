import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import type { TestServer } from '../helpers/server.js';
import { verifyWebhookSignature } from '../helpers/seed001.js';
import type { Receiver } from '../helpers/receiver.js';
import { channel, withReceiver, withServer } from '../helpers/fixtures.js';


let s: TestServer;
let rcv: Receiver;
withServer((x) => (s = x));
withReceiver((x) => (rcv = x));

const last = () => rcv.requests[rcv.requests.length - 1];

describe('signature schemes over real deliveries', () => {
  it('standard: standardwebhooks and svix verify, also across a rotation', async () => {
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { signature: 'standard' });
    expect(w.secret).toMatch(/^whsec_/);
    await ch.publish({ hello: 'мир' });
    await rcv.waitFor(1);
    const r1 = last();
    const headers = r1.headers as Record<string, string>;
    expect(headers['webhook-id']).toMatch(/^dlv_/);
    expect(new StandardWebhook(w.secret).verify(r1.body, headers)).toMatchObject({ data: { hello: 'мир' } });
    expect(new SvixWebhook(w.secret).verify(r1.body, headers)).toMatchObject({ type: 'message.created' });
    expect(() => new StandardWebhook(w.secret).verify(r1.body.replace('мир', 'war'), headers)).toThrow();

    const rotated = await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const next = rotated.body.data.secret;
    expect(next).not.toBe(w.secret);
    await ch.publish({ after: 'rotation' });
    await rcv.waitFor(2);
    const r2 = last();
    const h2 = r2.headers as Record<string, string>;
    expect(h2['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [w.secret, next]) {
      expect(new StandardWebhook(secret).verify(r2.body, h2)).toMatchObject({ data: { after: 'rotation' } });
      expect(new SvixWebhook(secret).verify(r2.body, h2)).toMatchObject({ data: { after: 'rotation' } });
    }
  });

  it('hmac-sha256 during rotation: old secret first (seed 001 verifier), new one second', async () => {
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { secret: 'old_secret_value' });
    const rotated = await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: { secret: 'new_secret_value' } });
    expect(rotated.body.data.secret).toBe('new_secret_value');
    const before = rcv.requests.length;
    await ch.publish({ x: 1 });
    await rcv.waitFor(before + 1);
    const r = last();
    const sig = r.headers['x-hookbridge-signature'] as string;
    const parts = sig.split(',');
    expect(parts).toHaveLength(2);
    const reserialised = JSON.stringify(JSON.parse(r.body));
    expect(verifyWebhookSignature(reserialised, sig, 'old_secret_value')).toBe(true);
    expect(verifyWebhookSignature(reserialised, parts[1], 'new_secret_value')).toBe(true);

    // A zero grace period ends the overlap at once: only the new secret signs.
    await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: { secret: 'newest_secret_value', gracePeriod: 0 } });
    await ch.publish({ x: 2 });
    await rcv.waitFor(before + 2);
    const only = last().headers['x-hookbridge-signature'] as string;
    expect(only.split(',')).toHaveLength(1);
    expect(verifyWebhookSignature(JSON.stringify(JSON.parse(last().body)), only, 'newest_secret_value')).toBe(true);
  });

  it('none sends no signature; custom headers are sent as configured', async () => {
    const ch = channel(s);
    await ch.webhook(rcv.url, { signature: 'none', headers: { 'X-Api-Key': 'k-123', Authorization: 'Basic abc' } });
    const before = rcv.requests.length;
    await ch.publish();
    await rcv.waitFor(before + 1);
    const r = last();
    expect(r.headers['x-hookbridge-signature']).toBeUndefined();
    expect(r.headers['webhook-signature']).toBeUndefined();
    expect(r.headers['x-api-key']).toBe('k-123');
    expect(r.headers['authorization']).toBe('Basic abc');
  });

  it('body scheme wraps the envelope with a signature a livedigital receiver checks', async () => {
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { signature: 'body', secret: 'g7r0gOSKiQ59prCGXo1H50PACb5ca1mD' });
    const before = rcv.requests.length;
    const ev = await ch.publish({ roomId: 'r1' });
    await rcv.waitFor(before + 1);
    const { signature, body } = JSON.parse(last().body);
    expect(body.id).toBe(ev.id);
    expect(crypto.createHmac('sha256', w.secret).update(JSON.stringify(body), 'utf8').digest('hex')).toBe(signature);
  });
});
