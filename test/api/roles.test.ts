/** HOOKBRIDGE_ROLE: a `worker` serves only /health, /ready and /metrics; an `api` sends nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, startTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sleep } from '../helpers/wait.js';

let api: TestServer;
let worker: TestServer;
let rcv: Receiver;
beforeAll(async () => {
  const db = freshDatabase();
  api = await startTestServer({ HOOKBRIDGE_ROLE: 'api' }, db);
  rcv = await startReceiver();
});
afterAll(async () => {
  await worker?.close();
  await api?.stop();
  await rcv?.close();
});

describe('roles', () => {
  it('api: accepts and stores, sends nothing', async () => {
    expect((await api.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'] } })).status).toBe(201);
    expect((await api.api('POST', '/v1/events', { body: { type: 'message.created', data: {} } })).status).toBe(202);
    await sleep(1200);
    expect(rcv.requests).toHaveLength(0);
  });

  it('worker: only the ops routes; it sends what the api stored', async () => {
    worker = await startTestServer({ HOOKBRIDGE_ROLE: 'worker' }, api.db);
    for (const p of ['/health', '/ready', '/metrics']) expect((await worker.api('GET', p, { token: null })).status, p).toBe(200);
    expect((await worker.api('GET', '/v1/webhooks')).status).toBe(404);
    expect((await worker.api('POST', '/v1/events', { body: { type: 'message.created', data: {} } })).status).toBe(404);
    expect((await worker.api('POST', '/webhook/anything', { body: {} })).status).toBe(404);
    expect((await worker.api('GET', '/meetings', { token: null })).status).toBe(404);
    await rcv.waitFor(1, 5000);
  });
});
