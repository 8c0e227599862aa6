import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { verifyWebhookSignature } from '../helpers/seed001.js';
import type { Receiver } from '../helpers/receiver.js';
import { withReceiver, withServer } from '../helpers/fixtures.js';


let s: TestServer;
let rcv: Receiver;
withServer((x) => (s = x));
withReceiver((x) => (rcv = x));

describe('delivery', () => {
  it('delivers a signed seed-001 request that the seed verifier accepts', async () => {
    await s.api('PUT', '/v1/project', { body: { headerPrefix: 'Katya', userAgent: 'Katya-Webhooks/1.0' } });
    const w = await s.api('POST', '/v1/webhooks', { body: { name: 'K', url: `${rcv.url}/webhooks/katya`, events: ['message.created'], secret: 'my_webhook_secret' } });
    expect(w.status).toBe(201);
    const data = { id: 'msg_456', roomId: 'room_789', content: 'Привет, мир', metadata: { priority: 'normal', encrypted: true } };
    const p = await s.api('POST', '/v1/events', { body: { type: 'message.created', data } });
    expect(p.status).toBe(202);
    const [r] = await rcv.waitFor(1);
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/webhooks/katya');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe('Katya-Webhooks/1.0');
    expect(r.headers['x-katya-event']).toBe('message.created');
    expect(r.headers['x-katya-delivery']).toBe(p.body.data.deliveries[0].id);
    expect(Math.abs(Number(r.headers['x-katya-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    const parsed = JSON.parse(r.body);
    expect(parsed).toEqual({ id: p.body.data.id, type: 'message.created', createdAt: p.body.data.createdAt, data });
    // The seed's receiver re-serialises the parsed body before verifying.
    expect(verifyWebhookSignature(JSON.stringify(parsed), r.headers['x-katya-signature'] as string, 'my_webhook_secret')).toBe(true);
    expect(verifyWebhookSignature(JSON.stringify(parsed), 'sha256=' + '0'.repeat(64), 'my_webhook_secret')).toBe(false);
  });
});
