import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

describe('smoke', () => {
  it('answers /health and creates a webhook', async () => {
    expect((await s.api('GET', '/health')).body).toEqual({ status: 'ok' });
    const r = await s.api('POST', '/v1/webhooks', { body: { name: 'A', url: 'https://example.com/hook', events: ['message.created'] } });
    expect(r.status).toBe(201);
    expect(r.body.data.secret).toMatch(/^whsec_/);
    const p = await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { a: 1 } } });
    expect(p.status).toBe(202);
    expect(p.body.data.deliveries).toHaveLength(1);
  });
});
