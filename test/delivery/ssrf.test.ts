/**
 * SSRF guard (SPEC §4.3) end to end, with HOOKBRIDGE_ALLOW_PRIVATE_TARGETS=false:
 * - create time: POST and PUT of a webhook URL on loopback, RFC 1918, link-local/metadata,
 *   CGNAT, IPv6 loopback, IPv4-mapped IPv6, decimal/hex/octal/short IPv4 spellings and
 *   hostnames resolving to loopback answer 422 VALIDATION_ERROR naming the url;
 * - connect time: webhooks created while private targets were allowed (the same situation
 *   as a public name re-pointed at an internal address later — DNS rebinding) are refused
 *   by the sender of a server started with the guard on: the receiver gets nothing and the
 *   delivery ends `failed` after one attempt (not retryable), with an SSRF error.
 */
import dns from 'node:dns/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, startTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { isPrivateAddress } from '../../src/delivery/ssrf.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const BLOCKED = [
  'http://127.0.0.1/',
  'http://127.0.0.1:8080/hook',
  'http://10.0.0.1/',
  'http://192.168.1.1/',
  'http://172.16.0.1/',
  'http://172.31.255.254/x',
  'http://100.64.0.1/', // CGNAT
  'http://0.0.0.0/',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'http://2130706433/', // decimal 127.0.0.1
  'http://0x7f000001/', // hex
  'http://0177.0.0.1/', // octal
  'http://127.1/', // short
  'http://0xa9fea9fe/', // hex 169.254.169.254
  'http://localhost:9/',
  'http://localhost./',
  'http://LOCALHOST/',
  'http://api.localhost/',
  'https://127.0.0.1/',
];

/** This machine's own name when it resolves to loopback (e.g. /etc/hosts `127.0.0.1 vm`): a real DNS-path case. */
async function hostnameResolvingToLoopback(): Promise<string | undefined> {
  const name = os.hostname().toLowerCase();
  if (!name || name === 'localhost' || name.endsWith('.localhost')) return undefined;
  try {
    const addrs = await dns.lookup(name, { all: true });
    return addrs.length && addrs.every((a) => isPrivateAddress(a.address)) ? name : undefined;
  } catch {
    return undefined;
  }
}

function expectRefused(r: { status: number; body: any }, url: string) {
  expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(422);
  expect(r.body.success).toBe(false);
  expect(r.body.error.code).toBe('VALIDATION_ERROR');
  expect(r.body.error.message).toMatch(/\burl\b/i);
  expect(r.body.error.message).toMatch(/private|reserved|loopback/i);
  expect(r.body.error.details.some((d: { field: string }) => d.field === 'url')).toBe(true);
}

describe('SSRF guard at create time (private targets disallowed)', () => {
  let s: TestServer;
  let loopbackName: string | undefined;
  beforeAll(async () => {
    s = await startTestServer({ HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'false' });
    loopbackName = await hostnameResolvingToLoopback();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it.each(BLOCKED)('POST /v1/webhooks refuses %s', async (url) => {
    const r = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'] } });
    expectRefused(r, url);
  });

  it('refuses a hostname that resolves to 127.0.0.1 through the resolver', async (ctx) => {
    if (!loopbackName) {
      console.log(`[ssrf test] ${os.hostname()} does not resolve to loopback here; the resolver case is covered by localhost only`);
      ctx.skip();
    }
    const url = `http://${loopbackName}:9/hook`;
    const r = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'] } });
    expectRefused(r, url);
    expect(r.body.error.message).toMatch(/resolves to private address/);
  });

  it('accepts public targets, and a hostname that does not resolve (checked at connect time)', async () => {
    for (const url of ['http://93.184.216.34/hook', 'https://[2606:2800:220:1:248:1893:25c8:1946]/', 'https://hooks.hookbridge-test.invalid/x']) {
      const r = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'] } });
      expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(201);
    }
  });

  it('PUT refuses moving a webhook to a private target and leaves it unchanged', async () => {
    const c = await s.api('POST', '/v1/webhooks', { body: { url: 'http://93.184.216.34/put', events: ['message.created'] } });
    expect(c.status).toBe(201);
    const id = c.body.data.id;
    for (const url of ['http://127.0.0.1/', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://localhost:9/']) {
      expectRefused(await s.api('PUT', `/v1/webhooks/${id}`, { body: { url } }), url);
    }
    const g = await s.api('GET', `/v1/webhooks/${id}`);
    expect(g.body.data.url).toBe('http://93.184.216.34/put');
  });
});

describe('SSRF guard at connect time', () => {
  let rcv: Receiver;
  let second: TestServer | undefined;
  beforeAll(async () => {
    rcv = await startReceiver();
  });
  afterAll(async () => {
    await second?.stop();
    await rcv?.close();
  });

  it('a server with the guard on refuses loopback targets stored earlier: nothing sent, failed once, no retry', async () => {
    // 1. Private targets allowed: the webhooks are stored (as a rebinding name would be).
    const db = freshDatabase();
    const first = await startTestServer({ HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'true' }, db);
    const retryPolicy = { maxRetries: 3, retryDelay: 100, backoffMultiplier: 1, maxRetryDelay: 100 };
    const urls = [`${rcv.url}/literal`, `http://localhost:${rcv.port}/by-name`];
    const ids: string[] = [];
    try {
      for (const url of urls) {
        const w = await first.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'], retryPolicy } });
        expect(w.status, JSON.stringify(w.body)).toBe(201);
        ids.push(w.body.data.id);
      }
    } finally {
      await first.close(); // keeps the database
    }

    // 2. Same database, guard on.
    second = await startTestServer({ HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'false' }, db);
    const p = await second.api('POST', '/v1/events', { body: { type: 'message.created', data: { n: 1 } } });
    expect(p.status).toBe(202);
    const deliveryIds: string[] = p.body.data.deliveries.map((d: { id: string }) => d.id);
    expect(deliveryIds).toHaveLength(2);

    const deadline = Date.now() + 10_000;
    let views: any[] = [];
    for (;;) {
      views = await Promise.all(deliveryIds.map(async (id) => (await second!.api('GET', `/v1/deliveries/${id}`)).body.data));
      if (views.every((d) => d.status !== 'pending')) break;
      if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(views)}`);
      await sleep(50);
    }
    // Long enough for any (wrong) retry at retryDelay 100 ms to have happened.
    await sleep(600);
    views = await Promise.all(deliveryIds.map(async (id) => (await second!.api('GET', `/v1/deliveries/${id}`)).body.data));

    expect(rcv.requests).toHaveLength(0);
    for (const d of views) {
      expect(d.status, JSON.stringify(d)).toBe('failed');
      expect(d.attempts).toBe(1);
      expect(d.error).toMatch(/SSRF/);
      expect(d.error).toMatch(/private/);
      expect(d.attemptLog).toHaveLength(1);
      expect(d.attemptLog[0].status).toBe('failure');
      expect(d.attemptLog[0].response).toBeNull();
    }
    expect(new Set(views.map((d) => d.webhookId))).toEqual(new Set(ids));
    const failed = await second.api('GET', '/v1/deliveries?status=failed');
    expect(failed.body.pagination.total).toBe(2);
  });
});
