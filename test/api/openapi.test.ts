/**
 * Issue 9 item 13: the OpenAPI document describes every answer.
 *
 * The document is validated by @readme/openapi-parser (the OpenAPI 3.0 schema and its
 * rules: unique operations, declared path parameters, …). Then real answers — successes
 * and errors, on every documented route, over real HTTP — are checked with ajv against the
 * schema the document declares for that route, status and content type. Objects are
 * checked closed: a field the API sends that the document does not list fails, as does
 * a status the document does not list for the route. Last, every documented operation
 * must have been checked with a success here, so a new route cannot go unchecked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { compileErrors, validate } from '@readme/openapi-parser';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitForDelivery } from '../helpers/fixtures.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>; components: object };

/** Every (operation, status) checked here, and the operations checked with a success. */
const checked = new Set<string>();
const succeeded = new Set<string>();

/** A copy where every object that lists properties and says nothing of others is closed. */
function closed<T>(v: T): T {
  if (Array.isArray(v)) return v.map(closed) as T;
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === 'enum' || k === 'example' || k === 'default' ? x : closed(x);
  if ('properties' in out && out.additionalProperties === undefined) out.additionalProperties = false;
  return out as T;
}

/** Checks answers of one server against the document that server serves. */
class Conformance {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ method: string; path: string; re: RegExp; params: number }> = [];
  private readonly doc: Doc;

  constructor(doc: Doc) {
    (addFormats as unknown as (a: Ajv) => void)(this.ajv);
    this.doc = closed(doc);
    for (const [path, ops] of Object.entries(doc.paths)) {
      const re = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of Object.keys(ops)) this.templates.push({ method, path, re, params: (path.match(/\{/g) ?? []).length });
    }
  }

  operations(): string[] {
    return this.templates.map((t) => `${t.method.toUpperCase()} ${t.path}`);
  }

  /** The answer's status, content type and body must be what the document says for the route. */
  check(method: string, url: string, res: ApiResponse): void {
    const path = new URL(url, 'http://x').pathname;
    const t = this.templates.filter((x) => x.method === method.toLowerCase() && x.re.test(path)).sort((a, b) => a.params - b.params)[0];
    expect(t, `${method} ${path} is not in the document`).toBeDefined();
    const op = `${method.toUpperCase()} ${t!.path}`;
    const declared = this.doc.paths[t!.path][t!.method].responses[String(res.status)];
    expect(declared, `${op} answered ${res.status}, which the document does not list: ${res.text.slice(0, 300)}`).toBeDefined();
    checked.add(`${op} ${res.status}`);
    if (res.status < 300) succeeded.add(op);
    if (!declared.content) {
      expect(res.text, `${op} ${res.status} has no body in the document`).toBe('');
      return;
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    const media = declared.content[type];
    expect(media, `${op} ${res.status} answered ${type}; the document has ${Object.keys(declared.content).join(', ')}`).toBeDefined();
    const key = `${op} ${res.status} ${type}`;
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile({ components: this.doc.components, allOf: [media.schema] });
      this.compiled.set(key, v);
    }
    const data = type === 'application/json' ? res.body : res.text;
    if (!v(data)) throw new Error(`${key} does not match the document:\n${JSON.stringify(v.errors, null, 1).slice(0, 3000)}\nbody: ${res.text.slice(0, 1000)}`);
  }
}

/** A request over real HTTP (admin token unless `token` says otherwise) whose answer is checked against the document. */
async function call(s: TestServer, c: Conformance, method: string, url: string, opts: Parameters<TestServer['api']>[2] = {}): Promise<ApiResponse> {
  const res = await s.api(method, url, opts);
  c.check(method, url, res);
  return res;
}

const expectStatus = (res: ApiResponse, status: number) => expect(res.status, res.text.slice(0, 500)).toBe(status);

let rcv: Receiver;
/** The API with its worker and the meetings app. */
let s: TestServer;
let a: Conformance;
/** API role with the Okdesk rating app on (nothing is sent: no worker). */
let ok: TestServer;
let b: Conformance;
let okStopped = false;

const docOf = async (server: TestServer): Promise<Doc> => {
  const r = await fetch(`${server.url}/openapi.json`);
  expect(r.status).toBe(200);
  return (await r.json()) as Doc;
};

beforeAll(async () => {
  rcv = await startReceiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
  s = await startTestServer({});
  ok = await startTestServer({
    HOOKBRIDGE_ROLE: 'api',
    OKDESK_API_URL: 'http://127.0.0.1:9/api/v1/',
    OKDESK_API_TOKEN: 'okdesk-token',
    TELEGRAM_BOT_TOKEN: '123456:TEST-openapi',
    TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
    WEBHOOK_SECRET: 'okdesk-secret-1',
  });
  a = new Conformance(await docOf(s));
  b = new Conformance(await docOf(ok));
});

afterAll(async () => {
  await s?.stop();
  if (okStopped) {
    await ok?.app.close();
    await ok?.db.drop();
  } else {
    await ok?.stop();
  }
  await rcv?.close();
});

describe('the document', () => {
  it('is a valid OpenAPI 3.0 document, with or without the Okdesk app', async () => {
    for (const server of [s, ok]) {
      const doc = await docOf(server);
      expect(doc.openapi).toMatch(/^3\.0\./);
      const result = await validate(structuredClone(doc) as never);
      expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
      expect(result.warnings).toEqual([]);
    }
  });

  it('has the shared shapes as components, the admin-only project header and the text/plain space bodies', async () => {
    const doc = (await docOf(ok)) as any;
    for (const name of ['Error', 'Pagination', 'Webhook', 'RequestTemplate', 'TemplateParam', 'Delivery', 'DeliveryDetail', 'Attempt', 'Event', 'Project', 'Source', 'Job', 'Meeting']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    // A server lists the shapes of the apps it runs only.
    expect(doc.components.schemas).toHaveProperty('OkdeskContact');
    expect(((await docOf(s)) as any).components.schemas).not.toHaveProperty('OkdeskContact');
    expect(doc.components.parameters.Project).toMatchObject({ name: 'X-Hookbridge-Project', in: 'header', required: false });
    expect(doc.components.parameters.Project.description).toMatch(/[Aa]dmin token/);
    expect(doc.paths['/v1/webhooks'].get.parameters).toContainEqual({ $ref: '#/components/parameters/Project' });
    expect(doc.paths['/health'].get.parameters ?? []).not.toContainEqual({ $ref: '#/components/parameters/Project' });
    // The template is typed, in the webhook and in the body that writes it.
    expect(doc.components.schemas.Webhook.properties.request.anyOf).toContainEqual({ $ref: '#/components/schemas/RequestTemplate' });
    expect(doc.paths['/v1/webhooks'].post.requestBody.content['application/json'].schema.properties.request.anyOf).toContainEqual({ $ref: '#/components/schemas/RequestTemplate' });
    expect(Object.keys(doc.paths['/v1/spaces/{spaceId}/webhook'].post.requestBody.content)).toEqual(['application/json', 'text/plain']);
    // Ops routes are documented and need no token.
    for (const p of ['/health', '/ready', '/metrics', '/openapi.json']) expect(doc.paths[p].get.security, p).toEqual([]);
    // Every 4xx of the API is the envelope.
    const list = doc.paths['/v1/webhooks'].post.responses;
    for (const status of ['400', '401', '404', '413', '415', '422']) expect(list[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
  });
});

describe('answers match the document', () => {
  it('operations, projects and tokens', async () => {
    for (const p of ['/health', '/ready', '/metrics', '/openapi.json']) expectStatus(await call(s, a, 'GET', p, { token: null }), 200);
    expectStatus(await call(s, a, 'GET', '/v1/project'), 200);
    expectStatus(await call(s, a, 'PUT', '/v1/project', { body: { name: 'Default project' } }), 200);
    expectStatus(await call(s, a, 'GET', '/v1/projects'), 200);
    const p = await call(s, a, 'POST', '/v1/projects', { body: { name: 'openapi' } });
    expectStatus(p, 201);
    const token = p.body.data.token.token as string;
    expectStatus(await call(s, a, 'GET', '/v1/projects', { token }), 403);
    expectStatus(await call(s, a, 'GET', '/v1/project', { headers: { 'x-hookbridge-project': p.body.data.id } }), 200);
    expectStatus(await call(s, a, 'GET', '/v1/project', { headers: { 'x-hookbridge-project': 'prj_nope' } }), 404);
    const t = await call(s, a, 'POST', `/v1/projects/${p.body.data.id}/tokens`, { body: { name: 'ci' } });
    expectStatus(t, 201);
    expectStatus(await call(s, a, 'GET', `/v1/projects/${p.body.data.id}/tokens`), 200);
    expectStatus(await call(s, a, 'GET', '/v1/tokens', { token }), 200);
    expectStatus(await call(s, a, 'DELETE', `/v1/tokens/${t.body.data.id}`), 204);
    expectStatus(await call(s, a, 'DELETE', `/v1/tokens/${t.body.data.id}`), 404);
  });

  it('event types', async () => {
    expectStatus(await call(s, a, 'GET', '/v1/event-types?limit=5'), 200);
    expectStatus(await call(s, a, 'POST', '/v1/event-types', { body: { name: 'openapi.checked', description: 'doc' } }), 201);
    expectStatus(await call(s, a, 'POST', '/v1/event-types', { body: { name: 'openapi.checked' } }), 409);
    expectStatus(await call(s, a, 'GET', '/v1/event-types/openapi.checked'), 200);
    expectStatus(await call(s, a, 'PUT', '/v1/event-types/openapi.checked', { body: { description: 'checked' } }), 200);
    expectStatus(await call(s, a, 'GET', '/v1/event-types/openapi.checked/webhooks'), 200);
    expectStatus(await call(s, a, 'DELETE', '/v1/event-types/openapi.checked'), 204);
    expectStatus(await call(s, a, 'GET', '/v1/event-types/openapi.checked'), 404);
  });

  it('webhooks, events, deliveries, logs, stats, test sends and replay', async () => {
    const template = { method: 'POST', format: 'json', headers: { 'X-Kind': '{{event.type}}' }, params: [{ name: 'id', type: 'text', value: '{{event.id}}' }, { name: 'meta', type: 'object', params: [{ name: 'sig', type: 'sha256', value: '{{data.n}}' }] }] };
    const templated = await call(s, a, 'POST', '/v1/webhooks', { body: { url: `${rcv.url}/t`, events: ['message.created'], channels: ['openapi-t'], request: template } });
    expectStatus(templated, 201);
    const w = await call(s, a, 'POST', '/v1/webhooks', { body: { url: `${rcv.url}/w`, events: ['message.created'], channels: ['openapi'], filter: { n: 1 } } });
    expectStatus(w, 201);
    const id = w.body.data.id as string;
    expectStatus(await call(s, a, 'GET', '/v1/webhooks'), 200);
    expectStatus(await call(s, a, 'GET', `/v1/webhooks/${id}`), 200);
    expectStatus(await call(s, a, 'GET', `/v1/webhooks/${templated.body.data.id}`), 200);
    expectStatus(await call(s, a, 'PUT', `/v1/webhooks/${id}`, { body: { description: 'checked', headers: { 'X-A': '1' } } }), 200);
    expectStatus(await call(s, a, 'POST', `/v1/webhooks/${id}/rotate-secret`, { body: { gracePeriod: 60 } }), 200);
    expectStatus(await call(s, a, 'POST', '/v1/webhooks/preview', { body: { url: `${rcv.url}/p`, request: template, event: { type: 'message.created', data: { n: 1 } } } }), 200);

    const ev = await call(s, a, 'POST', '/v1/events', { body: { type: 'message.created', data: { n: 1 }, channels: ['openapi'] }, headers: { 'idempotency-key': 'openapi-1' } });
    expectStatus(ev, 202);
    expectStatus(await call(s, a, 'GET', '/v1/events?limit=5'), 200);
    expectStatus(await call(s, a, 'GET', `/v1/events/${ev.body.data.id}`), 200);
    const dlv = ev.body.data.deliveries[0].id as string;
    await waitForDelivery(s, dlv, 'delivered');
    expectStatus(await call(s, a, 'GET', '/v1/deliveries?limit=5'), 200);
    expectStatus(await call(s, a, 'GET', `/v1/deliveries/${dlv}`), 200);
    expectStatus(await call(s, a, 'GET', `/v1/webhooks/${id}/logs`), 200);
    expectStatus(await call(s, a, 'GET', `/v1/webhooks/${id}/logs/${dlv}`), 200);
    expectStatus(await call(s, a, 'GET', `/v1/webhooks/${id}/stats`), 200);
    expectStatus(await call(s, a, 'GET', `/v1/webhooks/${id}/stats?startDate=tomorrow`), 400);
    expectStatus(await call(s, a, 'POST', `/v1/deliveries/${dlv}/retry`), 202);
    expectStatus(await call(s, a, 'POST', `/v1/webhooks/${id}/test`, { body: { eventType: 'message.created', data: { n: 2 } } }), 200);
    expectStatus(await call(s, a, 'POST', `/v1/webhooks/${id}/replay`, { body: { since: '2020-01-01', status: 'all' } }), 202);

    const off = await call(s, a, 'POST', '/v1/webhooks', { body: { url: `${rcv.url}/off`, events: ['message.created'], active: false } });
    expectStatus(await call(s, a, 'POST', `/v1/webhooks/${off.body.data.id}/test`, { body: { eventType: 'message.created' } }), 409);
    for (const hook of [id, templated.body.data.id, off.body.data.id]) expectStatus(await call(s, a, 'DELETE', `/v1/webhooks/${hook}`), 204);
  });

  it('the error envelope of the API: 400, 401, 404, 413, 415, 422', async () => {
    expectStatus(await call(s, a, 'GET', '/v1/webhooks', { token: null }), 401);
    expectStatus(await call(s, a, 'GET', '/v1/webhooks/wh_nope'), 404);
    expectStatus(await call(s, a, 'GET', '/v1/webhooks?limit=0'), 400);
    expectStatus(await call(s, a, 'POST', '/v1/webhooks', { raw: '{"url":', headers: { 'content-type': 'application/json' } }), 400);
    expectStatus(await call(s, a, 'POST', '/v1/webhooks', { raw: '{}', headers: { 'content-type': 'text/plain' } }), 415);
    expectStatus(await call(s, a, 'POST', '/v1/events', { raw: JSON.stringify({ type: 'message.created', data: 'x'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' } }), 413);
    expectStatus(await call(s, a, 'POST', '/v1/webhooks', { body: { url: 'https://example.com/x', events: ['no.such'], retry_policy: {} } }), 422);
    expectStatus(await call(s, a, 'GET', '/v1/deliveries/dlv_nope'), 404);
  });

  it('per-space webhooks: bare livedigital shapes, JSON sent as text/plain', async () => {
    const plain = (body: unknown) => ({ raw: JSON.stringify(body), headers: { 'content-type': 'text/plain' } });
    expectStatus(await call(s, a, 'POST', '/v1/spaces/openapi-space/webhook', plain({ url: `${rcv.url}/space` })), 200);
    expectStatus(await call(s, a, 'POST', '/v1/spaces/openapi-space/webhook', plain({ url: `${rcv.url}/space` })), 409);
    expectStatus(await call(s, a, 'GET', '/v1/spaces/openapi-space/webhook'), 200);
    expectStatus(await call(s, a, 'PUT', '/v1/spaces/openapi-space/webhook', plain({ isActive: false })), 200);
    expectStatus(await call(s, a, 'PUT', '/v1/spaces/openapi-space/webhook/refresh-secret'), 200);
    expectStatus(await call(s, a, 'DELETE', '/v1/spaces/openapi-space/webhook'), 204);
    expectStatus(await call(s, a, 'GET', '/v1/spaces/openapi-space/webhook'), 404);
  });

  it('inbound sources and the requests they took', async () => {
    const src = await call(s, a, 'POST', '/v1/sources', { body: { path: 'openapi-in', verification: { type: 'token' }, action: { type: 'publish', eventType: 'message.created' } } });
    expectStatus(src, 201);
    const sid = src.body.data.id as string;
    expectStatus(await call(s, a, 'POST', '/v1/sources', { body: { path: 'openapi-in', action: { type: 'publish', eventType: 'message.created' } } }), 409);
    expectStatus(await call(s, a, 'GET', '/v1/sources'), 200);
    expectStatus(await call(s, a, 'GET', `/v1/sources/${sid}`), 200);
    expectStatus(await call(s, a, 'PUT', `/v1/sources/${sid}`, { body: { name: 'checked', rateLimit: { requests: 10, perSeconds: 1 } } }), 200);
    const token = src.body.data.verification.token as string;
    expect((await fetch(`${s.url}/webhook/openapi-in?token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' })).status).toBe(202);
    expect((await fetch(`${s.url}/webhook/openapi-in?token=wrong`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":2}' })).status).toBe(401);
    const reqs = await call(s, a, 'GET', `/v1/sources/${sid}/requests`);
    expectStatus(reqs, 200);
    expect(reqs.body.data.map((r: { status: string }) => r.status).sort()).toEqual(['processed', 'refused']);
    for (const r of reqs.body.data) expectStatus(await call(s, a, 'GET', `/v1/sources/${sid}/requests/${r.id}`), 200);
    expectStatus(await call(s, a, 'DELETE', `/v1/sources/${sid}`), 204);
  });

  it('the meetings webhook and its history', async () => {
    const body = { channel_id: 'openapi', channel_name: 'OpenAPI', channel_type: 'O', user_id: 'u-openapi', username: 'doc', extra_field: 1 };
    expectStatus(await call(s, a, 'POST', '/webhook/kontur-create', { token: null, body }), 200);
    expectStatus(await call(s, a, 'POST', '/webhook/kontur-create', { token: null, body: { ...body, channel_id: 'other' } }), 429);
    expectStatus(await call(s, a, 'POST', '/webhook/kontur-create', { token: null, body: { channel_id: 'x' } }), 400);
    expectStatus(await call(s, a, 'POST', '/webhook/kontur-create', { token: null, raw: '{oops', headers: { 'content-type': 'application/json' } }), 400);
    const list = await call(s, a, 'GET', '/v1/meetings?userId=u-openapi');
    expectStatus(list, 200);
    expectStatus(await call(s, a, 'GET', `/v1/meetings/${list.body.data[0].id}`), 200);
    expectStatus(await call(s, a, 'GET', '/v1/meetings/mtg_nope'), 404);
  });

  it('the Okdesk rating app: its webhook, contacts, ratings, statistics, CSV and jobs', async () => {
    expectStatus(await call(ok, b, 'GET', '/okdesk-webhook', { token: null }), 200);
    expectStatus(await call(ok, b, 'PUT', '/v1/okdesk/contacts/42', { body: { telegramChatId: 4242 } }), 200);
    expectStatus(await call(ok, b, 'GET', '/v1/okdesk/contacts'), 200);
    expectStatus(await call(ok, b, 'GET', '/v1/okdesk/contacts/42'), 200);
    const resolved = { event: { event_type: 'issue.status_changed' }, issue: { id: 7, title: 'Printer', status: { code: 'resolved' }, client: { contact: { id: 42 } } } };
    expectStatus(await call(ok, b, 'POST', '/okdesk-webhook?token=okdesk-secret-1', { token: null, body: resolved }), 202);
    expectStatus(await call(ok, b, 'POST', '/okdesk-webhook?token=okdesk-secret-1', { token: null, body: { event: { event_type: 'issue.updated' } } }), 202);
    expectStatus(await call(ok, b, 'POST', '/okdesk-webhook?token=okdesk-secret-1', { token: null, raw: '{not json', headers: { 'content-type': 'application/json' } }), 400);
    expectStatus(await call(ok, b, 'POST', '/okdesk-webhook?token=wrong', { token: null, body: resolved }), 401);
    expectStatus(await call(ok, b, 'GET', '/v1/okdesk/webhooks'), 200);
    expectStatus(await call(ok, b, 'GET', '/v1/ratings'), 200);
    expectStatus(await call(ok, b, 'GET', '/v1/ratings/stats'), 200);
    expectStatus(await call(ok, b, 'GET', '/v1/ratings/stats?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z'), 422);
    expectStatus(await call(ok, b, 'GET', '/v1/ratings/export.csv'), 200);
    const jobs = await call(ok, b, 'GET', '/v1/jobs');
    expectStatus(jobs, 200);
    expect(jobs.body.data.length).toBeGreaterThan(0);
    const job = jobs.body.data[0].id as string;
    expectStatus(await call(ok, b, 'GET', `/v1/jobs/${job}`), 200);
    expectStatus(await call(ok, b, 'POST', `/v1/jobs/${job}/retry`), 202);
    expectStatus(await call(ok, b, 'GET', '/v1/jobs/job_nope'), 404);
    expectStatus(await call(ok, b, 'DELETE', '/v1/okdesk/contacts/42'), 204);
    expectStatus(await call(ok, b, 'DELETE', '/v1/okdesk/contacts/42'), 404);
  });

  it("the dashboard's routes: portal links, the statistics series, the spaces list", async () => {
    const link = await call(s, a, 'POST', '/v1/portal-links', { body: { expiresIn: 600 } });
    expectStatus(link, 201);
    expectStatus(await call(s, a, 'GET', '/v1/portal-links'), 200);
    expectStatus(await call(s, a, 'DELETE', `/v1/portal-links/${link.body.data.id}`), 204);
    expectStatus(await call(s, a, 'DELETE', `/v1/portal-links/${link.body.data.id}`), 404);
    expectStatus(await call(s, a, 'GET', '/v1/stats/series?buckets=4'), 200);
    expectStatus(await call(s, a, 'GET', '/v1/spaces'), 200);
  });

  it('/ready answers 503 in its documented shape when the database is gone', async () => {
    await ok.repos.store.close();
    okStopped = true;
    expectStatus(await call(ok, b, 'GET', '/ready', { token: null }), 503);
  });

  it('every documented operation was checked with a success above', () => {
    const all = new Set([...a.operations(), ...b.operations()]);
    const missing = [...all].filter((op) => !succeeded.has(op));
    expect(missing).toEqual([]);
    expect(checked.size).toBeGreaterThan(all.size);
  });
});
