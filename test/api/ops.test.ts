/** SPEC §1 operations: /health, /ready, /metrics, /openapi.json, /docs — no token needed. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, expectError, expectOk } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

describe('operations endpoints', () => {
  it('GET /health answers ok without a token', async () => {
    const r = await s.api('GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
  });

  it('GET /ready reports the database reachable and migrations applied', async () => {
    const r = await s.api('GET', '/ready', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ready', database: 'ok', migrations: 'applied' });
  });

  it('GET /ready answers 503 when the database is gone (while /health stays up)', async () => {
    const other = await startTestServer({ ...API_ONLY });
    try {
      expect((await other.api('GET', '/ready', { token: null })).status).toBe(200);
      await other.repos.store.close();
      const r = await other.api('GET', '/ready', { token: null });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ status: 'not ready', database: 'unreachable' });
      expect((await other.api('GET', '/health', { token: null })).status).toBe(200);
    } finally {
      await other.app.close();
      await other.db.drop();
    }
  });

  it('GET /metrics is Prometheus text that counts requests and published events', async () => {
    await s.api('GET', '/v1/webhooks');
    await s.api('GET', '/v1/webhooks');
    expectOk(await s.api('POST', '/v1/events', { body: { type: 'message.created', data: {} } }), 202);
    const r = await s.api('GET', '/metrics', { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toContain('# TYPE hookbridge_http_requests_total counter');
    expect(r.text).toMatch(/hookbridge_http_requests_total\{method="GET",route="\/v1\/webhooks",status="200"\} 2\b/);
    expect(r.text).toMatch(/^hookbridge_events_published_total 1$/m);
    expect(r.text).toContain('# TYPE hookbridge_http_request_duration_seconds histogram');
    expect(r.text).toMatch(/^hookbridge_process_cpu_user_seconds_total /m);
    // Every non-comment line is `name{labels} value`.
    for (const line of r.text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+0-9.eE]+|NaN|[+-]Inf)$/);
    }
  });

  it('GET /metrics has per-project gauges of pending and failed deliveries and the age of the oldest due one', async () => {
    // API role: nothing is sent, so published deliveries wait.
    const p = expectOk(await s.api('POST', '/v1/projects', { body: { name: 'gauges' } }), 201);
    const token = p.token.token;
    expectOk(await s.api('POST', '/v1/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook', events: ['message.created'] } }), 201);
    for (let i = 0; i < 3; i++) expectOk(await s.api('POST', '/v1/events', { token, body: { type: 'message.created', data: { i } } }), 202);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await s.api('GET', '/metrics', { token: null });
    expect(r.text).toContain('# TYPE hookbridge_deliveries_pending gauge');
    expect(r.text).toMatch(new RegExp(`^hookbridge_deliveries_pending\\{project="${p.id}"\\} 3$`, 'm'));
    const age = Number(/^hookbridge_oldest_due_delivery_age_seconds ([0-9.e+-]+)$/m.exec(r.text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(1);
    expect(r.text).toContain('# TYPE hookbridge_deliveries_failed gauge');
  });

  it('GET /openapi.json is an OpenAPI 3 document listing the /v1 routes', async () => {
    const r = await s.api('GET', '/openapi.json', { token: null });
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBeTruthy();
    const expected: Record<string, string[]> = {
      '/v1/project': ['get', 'put'],
      '/v1/projects': ['get', 'post'],
      '/v1/projects/{id}/tokens': ['post'],
      '/v1/tokens/{id}': ['delete'],
      '/v1/event-types': ['get', 'post'],
      '/v1/event-types/{name}': ['get', 'put', 'delete'],
      '/v1/webhooks': ['get', 'post'],
      '/v1/webhooks/{id}': ['get', 'put', 'delete'],
      '/v1/webhooks/{id}/rotate-secret': ['post'],
      '/v1/events': ['get', 'post'],
      '/v1/events/{id}': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(doc.paths, path).toHaveProperty([path]);
      for (const m of methods) expect(doc.paths[path], `${m} ${path}`).toHaveProperty(m);
    }
    // The webhook body schema is documented once per route, with the seed fields.
    const create = doc.paths['/v1/webhooks'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['url', 'events']));
    expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(['name', 'url', 'events', 'secret', 'active', 'retryPolicy']));
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('GET /docs serves the HTML API explorer', async () => {
    const res = await fetch(`${s.url}/docs`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html.toLowerCase()).toContain('swagger');
  });

  it('a path that climbs out of the docs\' static folder is a 404 NOT_FOUND, like any file not served (it was 403 VALIDATION_ERROR)', async () => {
    // Sent as written: fetch() and a URL string would resolve the dot segments before sending.
    const { hostname, port } = new URL(s.url);
    const get = (path: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = http.get({ hostname, port, path, timeout: 10_000 }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode!, body: JSON.parse(text) });
            } catch {
              reject(new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`));
            }
          });
        });
        req.on('timeout', () => req.destroy(new Error(`${path}: no answer`)));
        req.on('error', reject);
      });
    const missing = await get('/docs/static/not-there.js');
    expect(missing.status).toBe(404);
    for (const path of ['/docs/static/../../package.json', '/docs/static/%2e%2e/%2e%2e/package.json', '/docs/static/..%5c..%5cpackage.json', '/docs/static/a/%2E%2E/%2e%2e/%2e%2e/package.json', '/docs/static/..']) {
      const r = await get(path);
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      expect(r.body.success).toBe(false);
      expect(r.body.error.message).toMatch(/not found/);
    }
    // The files it does serve are still there.
    expect((await fetch(`${s.url}/docs/static/logo.svg`)).status).toBe(200);
  });

  it('an unknown route is a 404 with the envelope', async () => {
    expectError(await s.api('GET', '/v1/nothing-here'), 404, 'NOT_FOUND');
    expectError(await s.api('GET', '/nope', { token: null }), 404, 'NOT_FOUND');
  });
});
