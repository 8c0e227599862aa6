/**
 * What an operator reads in the log at `info` (JSON lines on stdout): one line per API
 * request, delivery failures at warn with the ids to look up, refused inbound requests.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, freshDatabase } from '../helpers/server.js';
import { killChildren, spawnServer, waitReady, type ChildServer } from '../helpers/child-server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { freePort, until } from '../helpers/wait.js';

let child: ChildServer;
let url: string;
let rcv: Receiver;
beforeAll(async () => {
  rcv = await startReceiver(() => ({ status: 500, body: 'down' }));
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-logs-'));
  child = spawnServer({ port, db: freshDatabase(), dataDir, env: { LOG_LEVEL: 'info' } });
  url = `http://127.0.0.1:${port}`;
  await waitReady(child, url);
});
afterAll(async () => {
  await killChildren();
  await rcv?.close();
});

type Line = Record<string, unknown> & { level: number; msg: string };
const lines = (): Line[] =>
  child.output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

const api = async (method: string, p: string, body?: unknown) => {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

describe('the log at info', () => {
  it('one line per API request: method, route, status, ms and project; probes stay out', async () => {
    expect((await api('GET', '/v1/webhooks?limit=5')).status).toBe(200);
    expect((await api('GET', '/v1/webhooks/wh_nope')).status).toBe(404);
    await fetch(`${url}/health`);
    await until('the access lines', 5000, () => lines().filter((l) => l.msg === 'request').length >= 2);
    const access = lines().filter((l) => l.msg === 'request');
    expect(access.find((l) => l.route === '/v1/webhooks')).toMatchObject({ level: 30, method: 'GET', status: 200, project: 'prj_default' });
    expect(access.find((l) => l.route === '/v1/webhooks/:id')).toMatchObject({ status: 404 });
    expect(typeof access[0].ms).toBe('number');
    expect(access.filter((l) => l.route === '/health')).toHaveLength(0);
  });

  it('a failed delivery is a warn line with the webhook and delivery ids', async () => {
    const w = await api('POST', '/v1/webhooks', { url: rcv.url, events: ['message.created'], retryPolicy: { maxRetries: 0, retryDelay: 1000, backoffMultiplier: 2, maxRetryDelay: 30000 } });
    expect(w.status).toBe(201);
    const e = await api('POST', '/v1/events', { type: 'message.created', data: { n: 1 } });
    const deliveryId = e.body.data.deliveries[0].id;
    await until('the failure line', 8000, () => lines().some((l) => l.delivery_id === deliveryId));
    expect(lines().find((l) => l.delivery_id === deliveryId)).toMatchObject({ level: 40, webhook_id: w.body.data.id, status_code: 500, msg: 'delivery failed' });
  });

  it('a refused inbound request is an info line with the source and the reason', async () => {
    const src = await api('POST', '/v1/sources', { path: 'logged', verification: { type: 'token', token: 'right-token-123' }, action: { type: 'publish', eventType: 'message.created' } });
    expect(src.status).toBe(201);
    expect((await fetch(`${url}/webhook/logged?token=wrong-token-000`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    await until('the refusal line', 5000, () => lines().some((l) => l.msg === 'inbound request refused'));
    expect(lines().find((l) => l.msg === 'inbound request refused')).toMatchObject({ level: 30, source_id: src.body.data.id, status: 401 });
  });
});
