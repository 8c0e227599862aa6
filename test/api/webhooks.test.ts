/** SPEC §3 / seed 001: webhook CRUD, secret handling and field validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createWebhook, expectError, expectOk, totalOf } from './_support.js';
import { unsavedWebhook } from '../../src/store/webhooks.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

const SEED_EXAMPLE = {
  name: 'My Webhook',
  url: 'https://myapp.com/webhooks/katya',
  events: ['message.created', 'trust.verification.created', 'security.alert.created'],
  secret: 'my_webhook_secret',
  active: true,
  retryPolicy: { maxRetries: 3, retryDelay: 1000, backoffMultiplier: 2 },
};

describe('POST /v1/webhooks', () => {
  it("answers seed 001's create example with 201 and the seed's response fields", async () => {
    const res = await s.api('POST', '/v1/webhooks', { body: SEED_EXAMPLE });
    const w = expectOk(res, 201);
    expect(w.id).toMatch(/^wh_/);
    expect(w).toMatchObject({
      name: 'My Webhook',
      url: 'https://myapp.com/webhooks/katya',
      events: SEED_EXAMPLE.events,
      secret: 'my_webhook_secret',
      active: true,
      lastDelivery: null,
      retryPolicy: { maxRetries: 3, retryDelay: 1000, backoffMultiplier: 2, maxRetryDelay: 30000 },
    });
    expect(Math.abs(Date.parse(w.createdAt) - Date.now())).toBeLessThan(60_000);
  });

  it('generates a whsec_ secret when none is given, shows it in full once, and fills the defaults', async () => {
    const w = await createWebhook(s, { name: undefined, url: 'https://hooks.example.org/in', events: ['room.*'] });
    expect(w.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
    expect(w).toMatchObject({
      name: 'hooks.example.org',
      active: true,
      signature: 'hmac-sha256',
      timeout: 10000,
      maxConcurrency: 50,
      rateLimit: null,
      headers: {},
      spaces: [],
      channels: [],
      filter: null,
      description: '',
      retryPolicy: { maxRetries: 3, retryDelay: 1000, backoffMultiplier: 2, maxRetryDelay: 30000 },
    });
    // A name of only spaces is no label at all: the host too; trimmed otherwise. Renaming to blank is refused.
    const blank = await createWebhook(s, { name: '   ', url: 'https://blank.example.org/in' });
    expect(blank.name).toBe('blank.example.org');
    expect((await createWebhook(s, { name: '  CRM  ' })).name).toBe('CRM');
    const renamed = expectError(await s.api('PUT', `/v1/webhooks/${blank.id}`, { body: { name: ' ' } }), 422, 'VALIDATION_ERROR');
    expect(renamed.details).toContainEqual(expect.objectContaining({ field: 'name' }));
    // Header values a request can carry: Latin-1 yes, Cyrillic (or a line break) no — it would fail every delivery.
    expect((await s.api('POST', '/v1/webhooks', { body: { url: 'https://h.example.org/in', events: ['message.created'], headers: { 'X-Shop': 'café' } } })).status).toBe(201);
    for (const value of ['ключ', 'a\u2028b', 'a\nb']) {
      const bad = expectError(await s.api('POST', '/v1/webhooks', { body: { url: 'https://h.example.org/in', events: ['message.created'], headers: { 'X-Odd': value } } }), 422, 'VALIDATION_ERROR');
      expect(bad.details).toContainEqual(expect.objectContaining({ field: 'headers.X-Odd', message: expect.stringMatching(/Latin-1/) }));
    }
    // A rename is trimmed as a new name is.
    expect(expectOk(await s.api('PUT', `/v1/webhooks/${blank.id}`, { body: { name: '  Billing  ' } }), 200).name).toBe('Billing');
    expect(expectOk(await s.api('GET', `/v1/webhooks/${blank.id}`), 200).name).toBe('Billing');
    // Two generated secrets differ.
    const other = await createWebhook(s);
    expect(other.secret).toMatch(/^whsec_/);
    expect(other.secret).not.toBe(w.secret);
  });

  it('keeps the Hookbridge fields it is given', async () => {
    const fields = {
      description: 'orders',
      signature: 'standard',
      headers: { 'X-Custom': 'yes' },
      timeout: 2500,
      rateLimit: 5,
      maxConcurrency: 3,
      spaces: ['s1'],
      channels: ['c1'],
      filter: { 'order.status': 'paid' },
      active: false,
    };
    const w = await createWebhook(s, fields);
    expect(w).toMatchObject(fields);
    expect(w.secret).toMatch(/^whsec_/);
  });

  it('accepts the category wildcard and *', async () => {
    expect((await createWebhook(s, { events: ['message.*'] })).events).toEqual(['message.*']);
    expect((await createWebhook(s, { events: ['*'] })).events).toEqual(['*']);
    expect((await createWebhook(s, { events: ['trust.identity.*', 'call_started'] })).events).toEqual(['trust.identity.*', 'call_started']);
  });
});

describe('defaults (SPEC §3)', () => {
  const SETTINGS = ['description', 'active', 'retryPolicy', 'signature', 'headers', 'request', 'timeout', 'rateLimit', 'maxConcurrency', 'spaces', 'channels', 'filter'];
  const settings = (w: Record<string, unknown>) => Object.fromEntries(SETTINGS.map((k) => [k, w[k]]));

  it('a created webhook, a per-space one and the unsaved one preview and send-test render agree (maxConcurrency 50)', async () => {
    const api = await createWebhook(s, { url: 'https://example.com/defaults' });
    expect(api).toMatchObject({ maxConcurrency: 50, timeout: 10000 });
    expect(settings(unsavedWebhook({ url: api.url, secret: 'sample_secret' }) as unknown as Record<string, unknown>)).toEqual(settings(api));

    expect((await s.api('POST', '/v1/spaces/defaults-space/webhook', { body: { url: 'https://example.com/space' } })).status).toBe(200);
    const actions: Array<Record<string, any>> = expectOk(await s.api('GET', '/v1/event-types/call_started/webhooks'));
    const space = actions.find((w) => w.spaces.includes('defaults-space'))!;
    // Seed 002's three attempts and body signature; everything else as any webhook.
    expect(settings(space)).toEqual({
      ...settings(api),
      description: 'livedigital per-space webhook',
      retryPolicy: { ...api.retryPolicy, maxRetries: 2 },
      signature: 'body',
      spaces: ['defaults-space'],
    });
  });
});

describe('reading webhooks', () => {
  it('GET /{id} masks the secret', async () => {
    const w = await createWebhook(s, { secret: 'super_secret_value_123' });
    const got = expectOk(await s.api('GET', `/v1/webhooks/${w.id}`));
    expect(got.id).toBe(w.id);
    expect(got.secret).not.toContain('super_secret');
    expect(got.secret).toMatch(/\*{4}_123$/);
    const gen = await createWebhook(s);
    const gotGen = expectOk(await s.api('GET', `/v1/webhooks/${gen.id}`));
    expect(gotGen.secret).toBe(`whsec_****${gen.secret.slice(-4)}`);
  });

  it('an unknown id is a 404 with the envelope', async () => {
    const err = expectError(await s.api('GET', '/v1/webhooks/wh_nope'), 404, 'NOT_FOUND');
    expect(err.message).toContain('wh_nope');
  });

  it('GET lists newest first with pagination {total, limit, offset, hasMore} and masked secrets', async () => {
    const base = await totalOf(s, '/v1/webhooks');
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createWebhook(s, { name: `page-${i}`, secret: `page_secret_${i}_xyz` }));
    const total = base + 3;

    const p1 = await s.api('GET', '/v1/webhooks?limit=2&offset=0');
    expect(expectOk(p1).map((w: { name: string }) => w.name)).toEqual(['page-2', 'page-1']);
    expect(p1.body.pagination).toEqual({ total, limit: 2, offset: 0, hasMore: true });
    for (const w of p1.body.data) expect(w.secret).not.toContain('page_secret');

    const p2 = await s.api('GET', '/v1/webhooks?limit=2&offset=2');
    expect(p2.body.data[0].name).toBe('page-0');
    expect(p2.body.pagination).toMatchObject({ total, limit: 2, offset: 2 });

    const end = await s.api(`GET`, `/v1/webhooks?limit=2&offset=${total - 1}`);
    expect(end.body.data).toHaveLength(1);
    expect(end.body.pagination).toEqual({ total, limit: 2, offset: total - 1, hasMore: false });

    const dflt = await s.api('GET', '/v1/webhooks');
    expect(dflt.body.pagination).toMatchObject({ limit: 50, offset: 0 });
    expect(JSON.stringify(dflt.body)).not.toMatch(/page_secret|my_webhook_secret/);
  });

  it('bad paging is a 400', async () => {
    expectError(await s.api('GET', '/v1/webhooks?limit=-1'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/webhooks?limit=1001'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/webhooks?offset=x'), 400, 'VALIDATION_ERROR');
  });
});

describe('PUT /v1/webhooks/{id}', () => {
  it('is a partial update (seed 001 example) and keeps what was not sent', async () => {
    const w = expectOk(await s.api('POST', '/v1/webhooks', { body: SEED_EXAMPLE }), 201);
    const events = ['message.created', 'trust.verification.created', 'security.alert.created', 'analytics.report.completed'];
    const upd = expectOk(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { name: 'Updated Webhook Name', events, active: true } }));
    expect(upd).toMatchObject({ id: w.id, name: 'Updated Webhook Name', events, url: SEED_EXAMPLE.url, active: true });
    expect(upd.secret).not.toBe('my_webhook_secret');

    const pol = expectOk(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { retryPolicy: { maxRetries: 5 } } }));
    expect(pol.retryPolicy).toEqual({ maxRetries: 5, retryDelay: 1000, backoffMultiplier: 2, maxRetryDelay: 30000 });
    expect(pol.name).toBe('Updated Webhook Name');

    const off = expectOk(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: false, url: 'http://example.net/new' } }));
    expect(off).toMatchObject({ active: false, url: 'http://example.net/new', events });

    const got = expectOk(await s.api('GET', `/v1/webhooks/${w.id}`));
    expect(got).toMatchObject({ name: 'Updated Webhook Name', active: false, url: 'http://example.net/new', retryPolicy: { maxRetries: 5 } });
  });

  it('an invalid update is a 422 and changes nothing', async () => {
    const w = await createWebhook(s, { name: 'stable', events: ['message.created'] });
    expectError(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { events: ['no.such.event'] } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { url: 'ftp://example.com/x', name: 'changed' } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { retryPolicy: { retryDelay: 60000 } } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: 'no' } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { signature: 'standard', secret: 'plain_secret_value' } }), 422, 'VALIDATION_ERROR');
    const got = expectOk(await s.api('GET', `/v1/webhooks/${w.id}`));
    expect(got).toMatchObject({ name: 'stable', events: ['message.created'], url: 'https://example.com/hook', signature: 'hmac-sha256' });
    expect(got.retryPolicy.retryDelay).toBe(1000);
  });

  it('switching to the standard scheme needs a whsec_ secret', async () => {
    const plain = await createWebhook(s, { secret: 'not_a_whsec_secret' });
    expectError(await s.api('PUT', `/v1/webhooks/${plain.id}`, { body: { signature: 'standard' } }), 422, 'VALIDATION_ERROR');
    const gen = await createWebhook(s);
    expect(expectOk(await s.api('PUT', `/v1/webhooks/${gen.id}`, { body: { signature: 'standard' } })).signature).toBe('standard');
  });

  it('an unknown id is a 404', async () => {
    expectError(await s.api('PUT', '/v1/webhooks/wh_nope', { body: { name: 'x' } }), 404, 'NOT_FOUND');
  });
});

describe('DELETE /v1/webhooks/{id}', () => {
  it('answers 204 with no body; the webhook is gone', async () => {
    const w = await createWebhook(s);
    const before = await totalOf(s, '/v1/webhooks');
    const del = await s.api('DELETE', `/v1/webhooks/${w.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expectError(await s.api('GET', `/v1/webhooks/${w.id}`), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', `/v1/webhooks/${w.id}`), 404, 'NOT_FOUND');
    expect(await totalOf(s, '/v1/webhooks')).toBe(before - 1);
  });

  it('a deleted webhook gets no deliveries', async () => {
    const w = await createWebhook(s, { events: ['system.status.changed'] });
    await s.api('DELETE', `/v1/webhooks/${w.id}`);
    const ev = expectOk(await s.api('POST', '/v1/events', { body: { type: 'system.status.changed', data: {} } }), 202);
    expect(ev.deliveries.map((d: { webhookId: string }) => d.webhookId)).not.toContain(w.id);
  });
});

describe('POST /v1/webhooks/{id}/rotate-secret', () => {
  it('with no body: a new generated secret shown in full, the old one kept for the 24 h grace period', async () => {
    const w = await createWebhook(s);
    const res = await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`);
    const r = expectOk(res);
    expect(r.secret).toMatch(/^whsec_/);
    expect(r.secret).not.toBe(w.secret);
    const until = Date.parse(r.secretRotation.previousSecretValidUntil);
    expect(Math.abs(until - (Date.now() + 86_400_000))).toBeLessThan(60_000);
    // Reads show the new secret, masked.
    const got = expectOk(await s.api('GET', `/v1/webhooks/${w.id}`));
    expect(got.secret).toBe(`whsec_****${r.secret.slice(-4)}`);
    expect(got.secretRotation).toEqual(r.secretRotation);
  });

  it('with an empty JSON body, a chosen secret and a grace period', async () => {
    const w = await createWebhook(s, { secret: 'first_secret_value' });
    const empty = await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { raw: '', headers: { 'content-type': 'application/json' } });
    expect(expectOk(empty).secret).toMatch(/^whsec_/);
    const chosen = expectOk(await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: { secret: 'my_next_secret_1', gracePeriod: 60 } }));
    expect(chosen.secret).toBe('my_next_secret_1');
    expect(Math.abs(Date.parse(chosen.secretRotation.previousSecretValidUntil) - (Date.now() + 60_000))).toBeLessThan(30_000);
    const now = expectOk(await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: { gracePeriod: 0 } }));
    expect(now.secretRotation).toBeNull();
  });

  it('validates the new secret and the grace period', async () => {
    const std = await createWebhook(s, { signature: 'standard' });
    expectError(await s.api('POST', `/v1/webhooks/${std.id}/rotate-secret`, { body: { secret: 'not_standard_secret' } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', `/v1/webhooks/${std.id}/rotate-secret`, { body: { gracePeriod: -5 } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', `/v1/webhooks/${std.id}/rotate-secret`, { body: { secret: 'short' } }), 422, 'VALIDATION_ERROR');
    // Still the original secret.
    expect(expectOk(await s.api('GET', `/v1/webhooks/${std.id}`)).secret).toBe(`whsec_****${std.secret.slice(-4)}`);
    expect(expectOk(await s.api('POST', `/v1/webhooks/${std.id}/rotate-secret`)).secret).toMatch(/^whsec_/);
  });

  it('an unknown id is a 404', async () => {
    expectError(await s.api('POST', '/v1/webhooks/wh_nope/rotate-secret'), 404, 'NOT_FOUND');
  });
});

describe('validation (seed 001 envelope)', () => {
  const base = { name: 'v', url: 'https://example.com/hook', events: ['message.created'] };

  /** A 422 naming `field`, and no webhook left behind (counted around this one request). */
  async function rejects(body: Record<string, unknown>, field?: string) {
    const before = await totalOf(s, '/v1/webhooks');
    const err = expectError(await s.api('POST', '/v1/webhooks', { body }), 422, 'VALIDATION_ERROR');
    if (field) expect(err.details.map((d) => d.field)).toContain(field);
    expect(await totalOf(s, '/v1/webhooks'), `${JSON.stringify(body)} left a webhook behind`).toBe(before);
    return err;
  }

  it('url must be http(s)', async () => {
    const ftp = await rejects({ ...base, url: 'ftp://example.com/file' }, 'url');
    expect(ftp.message).toMatch(/http/);
    await rejects({ ...base, url: 'not-a-url' }, 'url');
    await rejects({ name: undefined, url: 'not-a-url', events: ['*'] }, 'url');
    await rejects({ ...base, url: 'javascript:alert(1)' }, 'url');
    await rejects({ ...base, url: '' }, 'url');
    await rejects({ ...base, url: 42 }, 'url');
    await rejects({ events: ['*'] }, 'url');
  });

  it('unknown event names are listed with the valid names', async () => {
    const err = await rejects({ ...base, events: ['message.created', 'bogus.event', 'nope.*'] }, 'events');
    const d = err.details.find((x) => x.field === 'events');
    expect(d.unknown).toEqual(['bogus.event', 'nope.*']);
    expect(d.valid).toEqual(expect.arrayContaining(['message.created', 'room.member.joined', 'call_started']));
    expect(err.message).toContain('bogus.event');
    await rejects({ ...base, events: [] }, 'events');
    await rejects({ ...base, events: 'message.created' }, 'events');
    await rejects({ url: base.url }, 'events');
  });

  it('retryPolicy bounds', async () => {
    await rejects({ ...base, retryPolicy: { maxRetries: 21 } }, 'retryPolicy.maxRetries');
    await rejects({ ...base, retryPolicy: { maxRetries: -1 } }, 'retryPolicy.maxRetries');
    await rejects({ ...base, retryPolicy: { retryDelay: -1000 } }, 'retryPolicy.retryDelay');
    await rejects({ ...base, retryPolicy: { backoffMultiplier: 0 } }, 'retryPolicy.backoffMultiplier');
    await rejects({ ...base, retryPolicy: { retryDelay: 5000, maxRetryDelay: 1000 } }, 'retryPolicy.maxRetryDelay');
    await rejects({ ...base, retryPolicy: { retryDelay: 60000 } }, 'retryPolicy.maxRetryDelay'); // default cap 30000
    await rejects({ ...base, retryPolicy: { maxRetries: 1.5 } }, 'retryPolicy.maxRetries');
    // Edges that are allowed.
    expect((await createWebhook(s, { retryPolicy: { maxRetries: 0 } })).retryPolicy.maxRetries).toBe(0);
    expect((await createWebhook(s, { retryPolicy: { maxRetries: 20, retryDelay: 30000 } })).retryPolicy).toMatchObject({ maxRetries: 20 });
  });

  it('wrong types are 422, never coerced', async () => {
    await rejects({ ...base, active: 'yes' }, 'active');
    await rejects({ ...base, active: 1 }, 'active');
    await rejects({ ...base, retryPolicy: { maxRetries: '3' } }, 'retryPolicy.maxRetries');
    await rejects({ ...base, timeout: '5000' }, 'timeout');
    await rejects({ ...base, name: 5 }, 'name');
    await rejects({ ...base, headers: { 'X-A': 1 } });
    await rejects({ ...base, headers: ['X-A'] }, 'headers');
    await rejects({ ...base, spaces: 's1' }, 'spaces');
    await rejects({ ...base, signature: 'md5' }, 'signature');
    await rejects({ ...base, secret: 'short' }, 'secret');
  });

  it('headers Hookbridge sets itself cannot be overridden', async () => {
    await rejects({ ...base, headers: { Host: 'evil.example' } }, 'headers.Host');
    await rejects({ ...base, headers: { 'bad header': 'x' } }, 'headers.bad header');
    await rejects({ ...base, headers: { 'X-Injected': 'a\r\nX-Evil: 1' } }, 'headers.X-Injected');
    expect((await createWebhook(s, { headers: { 'X-Api-Key': 'k-1', authorization: 'Bearer t' } })).headers).toEqual({
      'X-Api-Key': 'k-1',
      authorization: 'Bearer t',
    });
  });

  it('the standard signature scheme needs a whsec_ secret', async () => {
    const err = await rejects({ ...base, signature: 'standard', secret: 'my_webhook_secret' }, 'secret');
    expect(err.message).toMatch(/whsec_/);
    expect((await createWebhook(s, { signature: 'standard' })).secret).toMatch(/^whsec_/);
  });

  it('several problems are reported together', async () => {
    const err = await rejects({ ...base, url: 'ftp://x.example', events: ['bogus.one'] });
    expect(err.details.map((d) => d.field).sort()).toEqual(['events', 'url']);
  });
});

describe('private targets (HOOKBRIDGE_ALLOW_PRIVATE_TARGETS unset)', () => {
  it('a URL on a loopback, private or metadata address is refused at create and update time', async () => {
    const strict = await startTestServer({ ...API_ONLY, HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'false' });
    try {
      for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://10.1.2.3/', 'http://169.254.169.254/latest', 'http://[::1]/', 'http://0x7f000001/']) {
        const err = expectError(await strict.api('POST', '/v1/webhooks', { body: { url, events: ['*'] } }), 422, 'VALIDATION_ERROR');
        expect(err.details.map((d) => d.field)).toContain('url');
      }
      // A public address literal is fine (no DNS needed); moving it to a private one is not.
      const ok = expectOk(await strict.api('POST', '/v1/webhooks', { body: { url: 'https://93.184.215.14/hook', events: ['*'] } }), 201);
      expectError(await strict.api('PUT', `/v1/webhooks/${ok.id}`, { body: { url: 'http://192.168.0.10/' } }), 422, 'VALIDATION_ERROR');
      expect(expectOk(await strict.api('GET', `/v1/webhooks/${ok.id}`)).url).toBe('https://93.184.215.14/hook');
      expect(await totalOf(strict, '/v1/webhooks')).toBe(1);
    } finally {
      await strict.stop();
    }
  });
});
