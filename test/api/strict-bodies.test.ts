/**
 * Strict bodies (SPEC §2): a field the route does not know is a 422 naming it, never
 * silently ignored; what a read returns can be sent back on PUT (read-modify-write);
 * a bad enum value gets one message listing the allowed values.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import type { Receiver } from '../helpers/receiver.js';
import { withReceiver, withServer } from '../helpers/fixtures.js';
import { createProject, expectError, expectOk, totalOf } from './_support.js';

let s: TestServer;
let rcv: Receiver;
withServer((x) => (s = x));
withReceiver((x) => (rcv = x));

const hook = (extra: Record<string, unknown> = {}) => ({ url: 'https://example.com/hook', events: ['message.created'], ...extra });
const fieldsOf = (err: { details: Array<{ field?: string }> }) => err.details.map((d) => d.field);

describe('an unknown body field is a 422 naming it', () => {
  it('POST /v1/webhooks: the typos of seed 001 field names are refused, nothing is created', async () => {
    const before = await totalOf(s, '/v1/webhooks');
    const err = expectError(
      await s.api('POST', '/v1/webhooks', { body: hook({ retry_policy: { maxRetries: 0 }, timeout_ms: 500, signatureScheme: 'standard' }) }),
      422,
      'VALIDATION_ERROR',
    );
    expect(fieldsOf(err).sort()).toEqual(['retry_policy', 'signatureScheme', 'timeout_ms']);
    expect(err.message).toMatch(/retry_policy/);
    // A near miss says what was meant; anything else lists what the route knows.
    expect(err.details.find((d) => d.field === 'retry_policy')!.message).toMatch(/not a known field.*retryPolicy/);
    expect(err.details.find((d) => d.field === 'timeout_ms')!.message).toMatch(/did you mean timeout\b/);
    expect(await totalOf(s, '/v1/webhooks')).toBe(before);
  });

  it('nested objects are strict too (retryPolicy.max_retries)', async () => {
    const err = expectError(await s.api('POST', '/v1/webhooks', { body: hook({ retryPolicy: { max_retries: 0 } }) }), 422, 'VALIDATION_ERROR');
    expect(fieldsOf(err)).toEqual(['retryPolicy.max_retries']);
    expect(err.details[0].message).toMatch(/maxRetries/);
  });

  it('on every route with a body: webhooks, event types, project, projects, tokens, sources, spaces, events, test, replay, rotate, preview', async () => {
    const w = expectOk(await s.api('POST', '/v1/webhooks', { body: hook() }), 201);
    const p = await createProject(s, 'strict');
    const src = expectOk(await s.api('POST', '/v1/sources', { body: { path: 'strict-src', action: { type: 'publish', eventType: 'message.created' } } }), 201);
    expect((await s.api('POST', '/v1/spaces/strict-space/webhook', { body: { url: 'https://example.com/space' } })).status).toBe(200);
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['PUT', `/v1/webhooks/${w.id}`, { name: 'x', retry_policy: {} }],
      ['POST', '/v1/event-types', { name: 'strict.one', desc: 'typo' }],
      ['PUT', '/v1/event-types/message.created', { description: 'x', categroy: 'typo' }],
      ['PUT', '/v1/project', { header_prefix: 'Katya' }],
      ['POST', '/v1/projects', { name: 'n', owner: 'me' }],
      ['POST', `/v1/projects/${p.id}/tokens`, { name: 'n', scope: 'all' }],
      ['POST', '/v1/sources', { path: 'strict-2', action: { type: 'publish', eventType: 'message.created' }, verify: 'none' }],
      ['PUT', `/v1/sources/${src.id}`, { rate_limit: null }],
      ['POST', '/v1/spaces/other-space/webhook', { url: 'https://example.com/s', secret: 'x' }],
      ['PUT', '/v1/spaces/strict-space/webhook', { url: 'https://example.com/s', active: false }],
      ['POST', '/v1/events', { type: 'message.created', data: {}, event_type: 'x' }],
      ['POST', `/v1/webhooks/${w.id}/test`, { eventType: 'message.created', payload: {} }],
      ['POST', `/v1/webhooks/${w.id}/replay`, { since: '2024-01-01', untill: '2024-02-01' }],
      ['POST', `/v1/webhooks/${w.id}/rotate-secret`, { grace_period: 10 }],
      ['POST', '/v1/webhooks/preview', { url: 'https://example.com/x', event: { type: 'message.created' }, format: 'json' }],
    ];
    // In each case the last field is the unknown one.
    const unknownField = (body: Record<string, unknown>) => Object.keys(body).at(-1)!;
    for (const [method, path, body] of cases) {
      const err = expectError(await s.api(method, path, { body }), 422, 'VALIDATION_ERROR');
      expect(fieldsOf(err), `${method} ${path}`).toEqual([unknownField(body)]);
      expect(err.message, `${method} ${path}`).toContain(unknownField(body));
    }
    const listed = expectError(await s.api('POST', '/v1/projects', { body: { name: 'n', owner: 'me' } }), 422, 'VALIDATION_ERROR');
    expect(listed.details[0].message).toBe('is not a known field; known fields: name');
    // None of them changed anything.
    expect(expectOk(await s.api('GET', `/v1/webhooks/${w.id}`)).name).toBe(w.name);
    expect(expectOk(await s.api('GET', '/v1/project')).headerPrefix).toBe('Hookbridge');
    // The per-space routes answer livedigital's bare shapes.
    expect((await s.api('GET', '/v1/spaces/strict-space/webhook')).body).toEqual({ url: 'https://example.com/space', isActive: true });
    expect((await s.api('GET', '/v1/spaces/other-space/webhook')).status).toBe(404);
  });

  it('the per-space routes are strict also for a JSON body sent as text/plain', async () => {
    const res = await s.api('POST', '/v1/spaces/plain-space/webhook', {
      raw: JSON.stringify({ url: 'https://example.com/s', isActive: false, extra: 1 }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(fieldsOf(expectError(res, 422, 'VALIDATION_ERROR'))).toEqual(['isActive', 'extra']);
  });
});

describe('a read can be sent back with PUT', () => {
  it('webhook: GET → PUT of everything read is a 200 that changes nothing; the masked secret does not replace the real one', async () => {
    const secret = 'roundtrip_secret_value';
    const created = expectOk(await s.api('POST', '/v1/webhooks', { body: { url: `${rcv.url}/rt`, events: ['message.created'], secret, headers: { 'X-A': '1' } } }), 201);
    const read = expectOk(await s.api('GET', `/v1/webhooks/${created.id}`));
    expect(read.secret).not.toBe(secret);
    const put = expectOk(await s.api('PUT', `/v1/webhooks/${created.id}`, { body: read }));
    expect({ ...put, updatedAt: undefined }).toEqual({ ...read, updatedAt: undefined });
    // The receiver still verifies with the real secret.
    const sent = expectOk(await s.api('POST', `/v1/webhooks/${created.id}/test`, { body: { eventType: 'message.created', data: { n: 1 } } }));
    expect(sent.success).toBe(true);
    const got = rcv.requests.find((r) => r.url === '/rt')!;
    expect(got.headers['x-hookbridge-signature']).toBe(`sha256=${createHmac('sha256', secret).update(got.body).digest('hex')}`);
  });

  it('webhook: a masked secret that is not this webhook\'s is refused rather than stored', async () => {
    const w = expectOk(await s.api('POST', '/v1/webhooks', { body: hook({ secret: 'first_secret_1234' }) }), 201);
    const err = expectError(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { secret: 'whsec_****abcd' } }), 422, 'VALIDATION_ERROR');
    expect(fieldsOf(err)).toEqual(['secret']);
    expect(err.message).toMatch(/masked/);
  });

  it('project, event type, source and space: GET → PUT is a 200 that changes nothing', async () => {
    const project = expectOk(await s.api('GET', '/v1/project'));
    expect(expectOk(await s.api('PUT', '/v1/project', { body: project }))).toMatchObject({ ...project, updatedAt: expect.any(String) });

    const type = expectOk(await s.api('GET', '/v1/event-types/message.created'));
    expect(expectOk(await s.api('PUT', '/v1/event-types/message.created', { body: type }))).toEqual(type);
    const rename = expectError(await s.api('PUT', '/v1/event-types/message.created', { body: { ...type, name: 'message.renamed' } }), 422, 'VALIDATION_ERROR');
    expect(fieldsOf(rename)).toEqual(['name']);

    const src = expectOk(
      await s.api('POST', '/v1/sources', {
        body: { path: 'rt-src', verification: { type: 'github', secret: 'gh_secret_value_1234' }, action: { type: 'publish', eventType: 'message.created' } },
      }),
      201,
    );
    const readSrc = expectOk(await s.api('GET', `/v1/sources/${src.id}`));
    const putSrc = expectOk(await s.api('PUT', `/v1/sources/${src.id}`, { body: readSrc }));
    expect({ ...putSrc, updatedAt: undefined }).toEqual({ ...readSrc, updatedAt: undefined });
    // The stored secret is still the real one: a GitHub-signed request is accepted.
    const body = '{"zen":"ok"}';
    const res = await fetch(`${s.url}/webhook/rt-src`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh_secret_value_1234').update(body).digest('hex')}` },
      body,
    });
    expect(res.status).toBeLessThan(300);

    expect((await s.api('POST', '/v1/spaces/rt-space/webhook', { body: { url: 'https://example.com/space' } })).status).toBe(200);
    const space = (await s.api('GET', '/v1/spaces/rt-space/webhook')).body;
    const putSpace = await s.api('PUT', '/v1/spaces/rt-space/webhook', { body: space });
    expect({ status: putSpace.status, body: putSpace.body }).toEqual({ status: 200, body: space });
  });

  it('read-only fields are not accepted where nothing is read back: creating with an id is a 422', async () => {
    const err = expectError(await s.api('POST', '/v1/webhooks', { body: hook({ id: 'wh_mine' }) }), 422, 'VALIDATION_ERROR');
    expect(fieldsOf(err)).toEqual(['id']);
  });
});

describe('a bad enum value', () => {
  it('is one detail whose message lists the allowed values', async () => {
    const err = expectError(await s.api('POST', '/v1/webhooks', { body: hook({ signature: 'hmac' }) }), 422, 'VALIDATION_ERROR');
    expect(err.details).toEqual([{ field: 'signature', message: expect.any(String) }]);
    for (const v of ['hmac-sha256', 'standard', 'body', 'none']) expect(err.details[0].message).toContain(v);
    expect(err.details[0].message).not.toMatch(/constant/);
    expect(err.message).toMatch(/signature must be one of/);
  });

  it('the same for nested enums and for null alternatives', async () => {
    const src = expectError(
      await s.api('POST', '/v1/sources', { body: { path: 'enum-src', verification: { type: 'hamc' }, action: { type: 'publish', eventType: 'message.created' } } }),
      422,
      'VALIDATION_ERROR',
    );
    expect(src.details).toEqual([{ field: 'verification.type', message: expect.stringMatching(/one of.*none.*hmac.*hookbridge/) }]);
    const rate = expectError(await s.api('POST', '/v1/webhooks', { body: hook({ rateLimit: '5' }) }), 422, 'VALIDATION_ERROR');
    expect(rate.details).toEqual([{ field: 'rateLimit', message: expect.stringMatching(/integer.*null/) }]);
    const replay = expectError(await s.api('POST', '/v1/webhooks/wh_x/replay', { body: { since: '2024-01-01', status: 'pending' } }), 422, 'VALIDATION_ERROR');
    expect(replay.details).toEqual([{ field: 'status', message: expect.stringMatching(/"failed", "delivered", "all"/) }]);
  });
});
