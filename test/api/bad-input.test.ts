/**
 * Issue 2 "Bad input": malformed JSON, wrong content types, wrong field types, oversized
 * bodies, missing or wrong tokens — each a 4xx with the envelope and an actionable
 * message; never a 500, never a partial write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';
import { API_ONLY, createWebhook, expectError, expectOk, totalOf } from './_support.js';

let s: TestServer;
let hookId: string;
let rotateHookId: string;
let projectId: string;
let counts: Record<string, number>;

const LISTS = ['/v1/webhooks', '/v1/events', '/v1/event-types', '/v1/projects'];
async function snapshot() {
  const out: Record<string, number> = {};
  for (const l of LISTS) out[l] = await totalOf(s, l);
  return out;
}

beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
  hookId = (await createWebhook(s, { name: 'target', secret: 'target_secret_1' })).id;
  rotateHookId = (await createWebhook(s, { name: 'rotated' })).id; // `{}` bodies do rotate it
  projectId = expectOk(await s.api('POST', '/v1/projects', { body: { name: 'bad-input' } }), 201).id;
  counts = await snapshot();
});
afterAll(async () => s?.stop());

/**
 * Every route that takes a body, with what it answers to `{}` and to `null`: a success only
 * where every field is optional (`null` only where the body itself may be left out).
 */
const bodyRoutes = (): Array<[string, string, { empty: number; nul: number }]> => [
  ['POST', '/v1/webhooks', { empty: 422, nul: 422 }],
  ['PUT', `/v1/webhooks/${hookId}`, { empty: 200, nul: 422 }],
  ['POST', `/v1/webhooks/${rotateHookId}/rotate-secret`, { empty: 200, nul: 200 }],
  ['POST', '/v1/events', { empty: 422, nul: 422 }],
  ['POST', '/v1/event-types', { empty: 422, nul: 422 }],
  ['PUT', '/v1/event-types/message.created', { empty: 200, nul: 422 }],
  ['PUT', '/v1/project', { empty: 200, nul: 422 }],
  ['POST', '/v1/projects', { empty: 422, nul: 422 }],
  ['POST', `/v1/projects/${projectId}/tokens`, { empty: 201, nul: 201 }],
];

function expect4xx(res: ApiResponse, what: string) {
  expect(res.status, `${what}: ${res.text}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.text}`).toBeLessThan(500);
  expect(res.body?.success, what).toBe(false);
  expect(typeof res.body.error.code, what).toBe('string');
  expect(res.body.error.message.length, what).toBeGreaterThan(5);
}

describe('malformed JSON', () => {
  it('is a 400 INVALID_JSON naming the problem, on every body route', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const raw of ['{"url": "https://example.com", ', '{url: 1}', "{'a':1}", '{"a":1}}', 'nul']) {
        const res = await s.api(method, path, { raw, headers: { 'content-type': 'application/json' } });
        const err = expectError(res, 400, 'INVALID_JSON');
        expect(err.message, `${method} ${path}`).toMatch(/JSON/);
      }
    }
  });

  it('also with a charset or a +json media type', async () => {
    const res = await s.api('POST', '/v1/webhooks', { raw: '{"x":', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expectError(res, 400, 'INVALID_JSON');
    expectError(await s.api('POST', '/v1/events', { raw: '[', headers: { 'content-type': 'application/vnd.api+json' } }), 400, 'INVALID_JSON');
  });

  it('well-formed JSON with a charset parameter is accepted', async () => {
    const res = await s.api('POST', '/v1/event-types', {
      raw: JSON.stringify({ name: 'charset.ok' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expectOk(res, 201);
    counts['/v1/event-types'] += 1;
  });
});

describe('content types', () => {
  it('text/plain on /v1/webhooks is a 415 telling to send JSON', async () => {
    const body = JSON.stringify({ url: 'https://example.com/x', events: ['*'] });
    const err = expectError(await s.api('POST', '/v1/webhooks', { raw: body, headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(err.message).toContain('application/json');
  });

  it('form-urlencoded, multipart, XML and no content type at all are 415', async () => {
    for (const ct of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'text/plain; charset=utf-8',
      'application/octet-stream',
    ]) {
      const res = await s.api('POST', '/v1/webhooks', { raw: 'url=https%3A%2F%2Fexample.com&events=*', headers: { 'content-type': ct } });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    for (const [method, path] of bodyRoutes()) {
      const res = await s.api(method, path, { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    // A body with no Content-Type header at all.
    const res = await fetch(`${s.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer hba_test_admin_token_0123456789' },
      body: new Uint8Array(Buffer.from('{"type":"message.created","data":{}}')),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('oversized bodies', () => {
  const big = (bytes: number) => JSON.stringify({ type: 'message.created', data: { blob: 'x'.repeat(bytes) } });

  it('over the default 1 MiB is a 413 with the envelope', async () => {
    for (const [method, path] of [
      ['POST', '/v1/events'],
      ['POST', '/v1/webhooks'],
      ['PUT', `/v1/webhooks/${hookId}`],
    ]) {
      const err = expectError(await s.api(method, path, { raw: big(1024 * 1024 + 10), headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
      expect(err.message).toMatch(/larger/);
    }
  });

  it('just under 1 MiB is accepted', async () => {
    const res = await s.api('POST', '/v1/events', { raw: big(1024 * 1024 - 200), headers: { 'content-type': 'application/json' } });
    expectOk(res, 202);
    counts['/v1/events'] += 1;
  });

  it('a smaller HOOKBRIDGE_BODY_LIMIT is honoured', async () => {
    const small = await startTestServer({ ...API_ONLY, HOOKBRIDGE_BODY_LIMIT: '4096' });
    try {
      expectError(await small.api('POST', '/v1/events', { raw: big(5000), headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
      expectOk(await small.api('POST', '/v1/events', { raw: big(3000), headers: { 'content-type': 'application/json' } }), 202);
      expect(await totalOf(small, '/v1/events')).toBe(1);
    } finally {
      await small.stop();
    }
  });
});

describe('wrong shapes and types', () => {
  it('JSON that is not an object, or smuggles __proto__, is a 422 on every body route, never a 500', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const raw of ['[]', '[1,2]', '"text"', '42', 'true', '{"__proto__":{"admin":true}}']) {
        const res = await s.api(method, path, { raw, headers: { 'content-type': 'application/json' } });
        expect(res.status, `${method} ${path} ${raw}: ${res.text}`).toBe(422);
        expectError(res, 422, 'VALIDATION_ERROR');
      }
    }
  });

  it('{} and null succeed only where every field is optional; elsewhere a 422 naming a field', async () => {
    for (const [method, path, want] of bodyRoutes()) {
      for (const [raw, status] of [['{}', want.empty], ['null', want.nul]] as const) {
        const res = await s.api(method, path, { raw, headers: { 'content-type': 'application/json' } });
        expect(res.status, `${method} ${path} ${raw}: ${res.text}`).toBe(status);
        if (status >= 400) expect(expectError(res, 422, 'VALIDATION_ERROR').details.length, `${method} ${path} ${raw}`).toBeGreaterThan(0);
        else expect(res.body.success, `${method} ${path} ${raw}`).toBe(true);
      }
    }
  });

  it('an empty JSON body where one is required is a 422 saying what is missing', async () => {
    for (const path of ['/v1/webhooks', '/v1/events', '/v1/event-types', '/v1/projects']) {
      const res = await s.api('POST', path, { raw: '', headers: { 'content-type': 'application/json' } });
      const err = expectError(res, 422, 'VALIDATION_ERROR');
      expect(err.details.length).toBeGreaterThan(0);
    }
  });

  it('field type errors name the field', async () => {
    const err = expectError(
      await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/x', events: ['*'], active: 'yes', retryPolicy: { maxRetries: '3' } } }),
      422,
      'VALIDATION_ERROR',
    );
    const fields = err.details.map((d) => d.field);
    expect(fields).toContain('active');
    expect(fields).toContain('retryPolicy.maxRetries');
    expect(err.message).toMatch(/active|maxRetries/);
  });

  it('oversized strings and ids are refused, not stored', async () => {
    expectError(await s.api('POST', '/v1/webhooks', { body: { name: 'n'.repeat(10_000), url: 'https://example.com/x', events: ['*'] } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/webhooks', { body: { url: `https://example.com/${'p'.repeat(3000)}`, events: ['*'] } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/events', { body: { id: 'i'.repeat(300), type: 'message.created', data: {} } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/events', { body: { type: 'message.created', data: {} }, headers: { 'idempotency-key': 'k'.repeat(300) } }), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', `/v1/webhooks/${'w'.repeat(300)}`), 400, 'VALIDATION_ERROR');
    expect4xx(await s.api('GET', `/v1/webhooks/${'w'.repeat(1500)}`), 'very long id');
    expect4xx(await s.api('GET', '/v1/events/%E0%A4%A'), 'bad percent-encoding');
  });

  it('deeply nested or exotic event data is stored or refused, never a 500', async () => {
    const deep = '['.repeat(3000) + ']'.repeat(3000);
    const res = await s.api('POST', '/v1/events', { raw: `{"type":"message.created","data":${deep}}`, headers: { 'content-type': 'application/json' } });
    expect(res.status, res.text).toBeLessThan(500);
    if (res.status === 202) counts['/v1/events'] += 1;
    const uni = expectOk(await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { text: 'Привет, мир 👋 \u0000 \u2028' } } }), 202);
    counts['/v1/events'] += 1;
    expect(expectOk(await s.api('GET', `/v1/events/${uni.id}`)).data).toEqual({ text: 'Привет, мир 👋 \u0000 \u2028' });
  });
});

describe('tokens', () => {
  it('missing, wrong or malformed Authorization is a 401 on every /v1 route', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/v1/project'],
      ['GET', '/v1/projects'],
      ['GET', '/v1/webhooks'],
      ['GET', `/v1/webhooks/${hookId}`],
      ['DELETE', `/v1/webhooks/${hookId}`],
      ['GET', '/v1/events'],
      ['GET', '/v1/event-types'],
      ['DELETE', '/v1/tokens/tok_x'],
      ...bodyRoutes().map(([method, path]): [string, string] => [method, path]),
    ];
    for (const [method, path] of routes) {
      expectError(await s.api(method, path, { token: null }), 401, 'UNAUTHORIZED');
      expectError(await s.api(method, path, { token: 'hb_wrong_token_value_000000000000000000' }), 401, 'UNAUTHORIZED');
      expectError(await s.api(method, path, { token: null, headers: { authorization: 'Bearer' } }), 401, 'UNAUTHORIZED');
    }
  });
});

describe('no partial writes', () => {
  it('after all the rejected requests, nothing was created or changed', async () => {
    expect(await snapshot()).toEqual(counts);
    const w = expectOk(await s.api('GET', `/v1/webhooks/${hookId}`));
    expect(w).toMatchObject({ name: 'target', url: 'https://example.com/hook', events: ['message.created'], active: true, secretRotation: null });
    expect(w.secret).toBe('target_****et_1');
  });
});

describe('review findings', () => {
  it('an undeclared field on PUT /v1/webhooks/{id} is a 422 naming it and changes nothing, and a huge offset is a 400, not a 500', async () => {
    const s = await startTestServer({ HOOKBRIDGE_ROLE: 'api' });
    try {
      const w = await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/h', events: ['*'] } });
      const put = await s.api('PUT', `/v1/webhooks/${w.body.data.id}`, { body: { spaceId: { x: 1 }, name: 'renamed' } });
      expect(expectError(put, 422, 'VALIDATION_ERROR').details.map((d) => d.field)).toEqual(['spaceId']);
      const got = await s.api('GET', `/v1/webhooks/${w.body.data.id}`);
      expect(got.body.data.name).toBe(w.body.data.name);
      const huge = await s.api('GET', '/v1/webhooks?offset=100000000000000000000');
      expect(huge.status).toBe(400);
      expect(huge.body.success).toBe(false);
    } finally {
      await s.stop();
    }
  });

  it('a trailing slash reaches the same route (GET /v1/webhooks/ was a 400 "id must NOT have fewer than 1 characters")', async () => {
    const list = expectOk(await s.api('GET', '/v1/webhooks/'));
    expect(list.map((w: { id: string }) => w.id)).toContain(hookId);
    expect(expectOk(await s.api('GET', `/v1/webhooks/${hookId}/`)).id).toBe(hookId);
    expect(expectOk(await s.api('GET', '/v1/project/')).id).toBe(expectOk(await s.api('GET', '/v1/project')).id);
  });
});

describe('NUL characters', () => {
  it('in any text a management request stores: the same 422 naming the field on every database (PostgreSQL said 400, SQLite stored it)', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/v1/webhooks', { name: 'a\u0000b', url: 'https://example.com/h', events: ['message.created'] }, 'name'],
      ['POST', '/v1/webhooks', { url: 'https://example.com/h?q=\u0000', events: ['message.created'] }, 'url'],
      ['POST', '/v1/webhooks', { url: 'https://example.com/h', events: ['message.created'], channels: ['ok', 'c\u0000'] }, 'channels[1]'],
      ['POST', '/v1/webhooks', { url: 'https://example.com/h', events: ['message.created'], filter: { 'room.id': 'r\u0000' } }, 'filter.room.id'],
      ['PUT', `/v1/webhooks/${hookId}`, { description: '\u0000' }, 'description'],
      ['POST', '/v1/event-types', { name: 'nul.test', description: 'd\u0000' }, 'description'],
      ['POST', '/v1/projects', { name: 'p\u0000' }, 'name'],
      ['POST', '/v1/sources', { name: 's\u0000', path: 'nul-src', verification: { type: 'none' }, action: { type: 'publish', eventType: 'message.created' } }, 'name'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = expectError(await s.api(method, path, { body }), 422, 'VALIDATION_ERROR');
      expect(r.details, `${method} ${path}`).toEqual([{ field, message: 'must not contain NUL characters' }]);
    }
    // Event data is stored as JSON, where a NUL is an escape: published and read back as sent.
    const ev = expectOk(await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { text: 'a\u0000b' } } }), 202);
    expect(expectOk(await s.api('GET', `/v1/events/${ev.id}`)).data).toEqual({ text: 'a\u0000b' });
  });

  it('a NUL in an event type or path id is a 4xx on every database, never a 500', async () => {
    const s = await startTestServer({ HOOKBRIDGE_ROLE: 'api' });
    try {
      const pub = await s.api('POST', '/v1/events', { body: { type: 'message.\u0000created', data: {} } });
      expect(pub.status).toBeGreaterThanOrEqual(400);
      expect(pub.status).toBeLessThan(500);
      const get = await s.api('GET', '/v1/webhooks/wh_%00x');
      expect(get.status).toBeGreaterThanOrEqual(400);
      expect(get.status).toBeLessThan(500);
    } finally {
      await s.stop();
    }
  });
});
