/**
 * The inbound pipeline over real HTTP: dedupe, body limit, rate limit, storing before
 * acknowledging, CORS — and that nothing refused is stored or reaches the action.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createSource, githubSignature, probesFor, send } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ HOOKBRIDGE_ROLE: 'api' });
});
afterAll(async () => s?.stop());

const requestsOf = async (sourceId: string, filter = '') => {
  const r = await s.api('GET', `/v1/sources/${sourceId}/requests${filter || '?'}&limit=100`);
  expect(r.status, r.text).toBe(200);
  return r.body as { data: any[]; pagination: { total: number } };
};

/** A chunked upload (no Content-Length), which only the streaming limit can stop. */
function chunkedPost(url: string, chunks: Buffer[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    let i = 0;
    const next = () => {
      if (i >= chunks.length) return req.end();
      if (!req.write(chunks[i++])) req.once('drain', next);
      else setImmediate(next);
    };
    next();
  });
}

describe('dedupe', () => {
  it('the same X-GitHub-Delivery twice: one stored request, the second answered as a duplicate', async () => {
    const secret = 'gh_dedupe_secret';
    const src = await createSource(s, { verification: { type: 'github', secret } });
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const headers = { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'ping', 'x-hub-signature-256': githubSignature(secret, body) };
    const first = await send(s, src.url, { body, headers });
    expect(first.status, first.text).toBe(202);
    const again = await send(s, src.url, { body, headers });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ success: true, data: { id: first.body.data.id, received: true, duplicate: true } });
    expect(probesFor(src.id)).toHaveLength(1);
    const list = await requestsOf(src.id);
    expect(list.pagination.total).toBe(1);
    expect(list.data[0]).toMatchObject({ id: first.body.data.id, dedupeKey: '72d3162e-cc78-11e3-81ab-4c9367dc0958', status: 'processed' });
  });

  it('by a JSON path, and concurrent copies still store one', async () => {
    const src = await createSource(s, { dedupe: { jsonPath: 'event.id' } });
    const body = JSON.stringify({ event: { id: 'ev-77' } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(s, src.url, { body })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(new Set(answers.map((a) => a.body.data.id)).size).toBe(1);
    expect(probesFor(src.id)).toHaveLength(1);
    expect((await requestsOf(src.id)).pagination.total).toBe(1);
    expect((await send(s, src.url, { body: JSON.stringify({ event: { id: 'ev-78' } }) })).status).toBe(202);
  });

  it('a key with a NUL dedupes on every database (PostgreSQL keeps no NUL in text: it was refused there)', async () => {
    const src = await createSource(s, { dedupe: { jsonPath: 'id' } });
    const body = JSON.stringify({ id: 'a\u0000b' });
    const first = await send(s, src.url, { body });
    expect(first.status, first.text).toBe(202);
    const again = await send(s, src.url, { body });
    expect(again.status, again.text).toBe(200);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, duplicate: true });
    expect((await send(s, src.url, { body: JSON.stringify({ id: 'a\u0000c' }) })).status).toBe(202);
    const stored = (await requestsOf(src.id)).data.find((r) => r.id === first.body.data.id);
    expect(stored.dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a delivery whose action failed runs again when the sender retries it', async () => {
    const src = await createSource(s, { action: { type: 'probe', fail: true }, dedupe: { header: 'X-Delivery' } });
    const first = await send(s, src.url, { body: '{}', headers: { 'x-delivery': 'd-1' } });
    expect(first.status).toBe(500);
    expect(first.body).toMatchObject({ success: false, error: { code: 'INTERNAL_ERROR' } });
    const retry = await send(s, src.url, { body: '{}', headers: { 'x-delivery': 'd-1' } });
    expect(retry.status).toBe(500);
    expect(probesFor(src.id)).toHaveLength(2);
    const list = await requestsOf(src.id);
    expect(list.pagination.total).toBe(1);
    expect(list.data[0]).toMatchObject({ status: 'failed', error: 'probe asked to fail', actionResult: { status: 500 } });
  });
});

describe('limits', () => {
  it('413 over the default 256 KiB and over a source\'s own limit; never run, kept as refused with the reason', async () => {
    const src = await createSource(s, {});
    const big = 'x'.repeat(256 * 1024 + 1);
    const r = await send(s, src.url, { body: big, headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(r.body.error.message).toMatch(/262144 bytes/);
    expect((await send(s, src.url, { body: 'x'.repeat(256 * 1024), headers: { 'content-type': 'text/plain' } })).status).toBe(202);

    const small = await createSource(s, { bodyLimit: 1000 });
    expect((await send(s, small.url, { body: 'y'.repeat(1001) })).status).toBe(413);
    const chunked = await chunkedPost(s.url + small.url, [Buffer.alloc(600, 1), Buffer.alloc(600, 2)]);
    expect(chunked.status).toBe(413);
    expect(chunked.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await chunkedPost(s.url + small.url, [Buffer.alloc(400, 1), Buffer.alloc(400, 2)])).status).toBe(202);
    expect(probesFor(small.id)).toHaveLength(1);
    expect((await requestsOf(small.id, '?status=processed')).pagination.total).toBe(1);
    const refused = (await requestsOf(small.id, '?status=refused')).data;
    expect(refused).toHaveLength(2);
    expect(refused.map((r: any) => r.error)).toEqual([expect.stringMatching(/^413: .*1000 bytes/), expect.stringMatching(/^413: .*1000 bytes/)]);
  });

  it('429 with Retry-After past the rate limit; never run, kept as refused with the reason', async () => {
    const src = await createSource(s, { rateLimit: { requests: 3, perSeconds: 60 } });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await send(s, src.url, { body: JSON.stringify({ i }) });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    expect(limited!.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(probesFor(src.id)).toHaveLength(3);
    expect((await requestsOf(src.id, '?status=processed')).pagination.total).toBe(3);
    const refused = (await requestsOf(src.id, '?status=refused')).data;
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ body: '{"i":4}' });
    expect(refused[0].error).toMatch(/^429: Too many requests/);
  });

  it('requests failing verification do not use up the rate limit of the real sender', async () => {
    const src = await createSource(s, { verification: { type: 'github', secret: 'right' }, rateLimit: { requests: 2, perSeconds: 60 } });
    const body = '{"a":1}';
    for (let i = 0; i < 5; i++) {
      expect((await send(s, src.url, { body, headers: { 'x-hub-signature-256': githubSignature('wrong', body) } })).status).toBe(401);
    }
    const good = async (n: number) => {
      const b = JSON.stringify({ n });
      return (await send(s, src.url, { body: b, headers: { 'x-hub-signature-256': githubSignature('right', b), 'x-github-delivery': `d-${n}` } })).status;
    };
    expect([await good(1), await good(2), await good(3)]).toEqual([202, 202, 429]);
  });

  it('a bad signature is never run, and kept as refused with the reason (for debugging the sender); an unknown or inactive source is 404', async () => {
    const src = await createSource(s, { verification: { type: 'github', secret: 'right' } });
    const body = '{"a":1}';
    expect((await send(s, src.url, { body, headers: { 'x-hub-signature-256': githubSignature('wrong', body) } })).status).toBe(401);
    expect(probesFor(src.id)).toHaveLength(0);
    const list = await requestsOf(src.id);
    expect(list.pagination.total).toBe(1);
    expect(list.data[0]).toMatchObject({ status: 'refused', body });
    expect(list.data[0].error).toMatch(/^401: Verification failed \(github/);

    const missing = await send(s, '/webhook/no-such-source', { body });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    const off = await createSource(s, { active: false });
    expect((await send(s, off.url, { body })).status).toBe(404);
    expect(probesFor(off.id)).toHaveLength(0);
  });

  it('a trailing slash reaches the same source, as it reaches the same API route (it was a 404)', async () => {
    const src = await createSource(s, { path: `acme/t${Math.random().toString(36).slice(2, 8)}` });
    const r = await send(s, `${src.url}/`, { body: '{"n":1}' });
    expect(r.status, r.text).toBe(202);
    expect(probesFor(src.id)).toHaveLength(1);
    expect((await send(s, `${src.url}//`, { body: '{"n":2}' })).status).toBe(404); // one slash, not any number
  });
});

describe('stored requests', () => {
  it('appear newest first with headers, body and verification; credentials are masked', async () => {
    const src = await createSource(s, { verification: { type: 'token', token: 'stored_token_123' } });
    const a = await send(s, `${src.url}?token=stored_token_123&x=1`, { body: '{"n":1}', headers: { 'x-custom': 'yes' } });
    const b = await send(s, `${src.url}?token=stored_token_123`, { body: 'plain text ✓', headers: { 'content-type': 'text/plain' } });
    const c = await send(s, `${src.url}?token=stored_token_123`, { body: Buffer.from([0xff, 0x00, 0x10]), headers: { 'content-type': 'application/octet-stream' } });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    const list = await requestsOf(src.id);
    expect(list.pagination).toMatchObject({ total: 3, hasMore: false });
    expect(list.data.map((r) => r.id)).toEqual([c.body.data.id, b.body.data.id, a.body.data.id]);
    const [rc, rb, ra] = list.data;
    expect(ra).toMatchObject({ method: 'POST', body: '{"n":1}', bodyEncoding: 'utf8', status: 'processed', verification: { ok: true, type: 'token' } });
    expect(ra.headers).toMatchObject({ 'x-custom': 'yes', 'content-type': 'application/json' });
    expect(ra.url).toBe(`${src.url}?token=[redacted]&x=1`);
    expect(JSON.stringify(list.data)).not.toContain('stored_token_123');
    expect(rb).toMatchObject({ body: 'plain text ✓', bodyEncoding: 'utf8' });
    expect(rc).toMatchObject({ body: Buffer.from([0xff, 0x00, 0x10]).toString('base64'), bodyEncoding: 'base64' });
    expect(ra.actionResult).toEqual({ status: 202, result: { probed: true } });

    const paged = await s.api('GET', `/v1/sources/${src.id}/requests?limit=1&offset=1`);
    expect(paged.body.pagination).toEqual({ total: 3, limit: 1, offset: 1, hasMore: true });
    expect(paged.body.data[0].id).toBe(b.body.data.id);
    const one = await s.api('GET', `/v1/sources/${src.id}/requests/${a.body.data.id}`);
    expect(one.body.data).toEqual(ra);
    expect((await s.api('GET', `/v1/sources/${src.id}/requests/req_missing`)).status).toBe(404);
  });

  it('a body starting with a UTF-8 byte order mark is stored as sent, BOM included (the decoder dropped it: the stored copy no longer matched its signature)', async () => {
    const src = await createSource(s, { verification: { type: 'github', secret: 'bom_secret' } });
    const payload = '\ufeff{"n":1}';
    const res = await send(s, src.url, { body: payload, headers: { 'x-hub-signature-256': githubSignature('bom_secret', payload) } });
    expect(res.status, res.text).toBe(202);
    const stored = (await requestsOf(src.id)).data[0];
    expect(stored).toMatchObject({ body: payload, bodyEncoding: 'utf8' });
    expect(githubSignature('bom_secret', stored.body)).toBe(githubSignature('bom_secret', payload));
  });

  it('a ?token= whose name is percent-encoded (%74oken, which the check decodes and accepts) is masked too; it was stored in plain text', async () => {
    const src = await createSource(s, { verification: { type: 'token', token: 'encoded_token_123' } });
    const ok = await send(s, `${src.url}?%74oken=encoded_token_123&x=1`, { body: '{"n":1}' });
    const refused = await send(s, `${src.url}?x=2&tok%65n=encoded_token_12X`, { body: '{"n":2}' });
    expect([ok.status, refused.status]).toEqual([202, 401]);
    const list = await requestsOf(src.id);
    expect(list.data.map((r) => r.url)).toEqual([`${src.url}?x=2&tok%65n=[redacted]`, `${src.url}?%74oken=[redacted]&x=1`]);
    expect(JSON.stringify(list.data)).not.toContain('encoded_token_12');
  });

  it('the action may answer the request itself', async () => {
    const src = await createSource(s, { action: { type: 'probe', answer: 200 } });
    const r = await send(s, src.url, { body: '{}' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ probed: probesFor(src.id)[0].id });
  });
});

describe('CORS for browser callers', () => {
  it('preflight answers the allowed origin; other origins are refused; errors stay readable', async () => {
    const src = await createSource(s, { allowedOrigins: ['https://chat.example.com'], verification: { type: 'token', token: 'cors_token_123' } });
    const pre = await send(s, src.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).toBe('Content-Type');

    const okCall = await send(s, `${src.url}?token=cors_token_123`, { body: '{}', headers: { origin: 'https://chat.example.com' } });
    expect(okCall.status).toBe(202);
    expect(okCall.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
    const bad = await send(s, src.url, { body: '{}', headers: { origin: 'https://chat.example.com' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');

    const evil = await send(s, src.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await send(s, `${src.url}?token=cors_token_123`, { body: '{}', headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect(probesFor(src.id)).toHaveLength(1);
  });
});
