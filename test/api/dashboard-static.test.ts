/**
 * How the gateway serves the dashboard: hashed assets cached for a year, index.html never,
 * client routes answered with index.html only when a browser asks for a page and the path
 * is not one the gateway owns (an unknown API path keeps its JSON 404).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { registerDashboard } from '../../src/http/static.js';
import { registerErrorHandling } from '../../src/http/errors.js';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const JS = 'console.log("dashboard")';

async function appFor(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerErrorHandling(app);
  const ctx = { reservedPaths: new Map([['/okdesk-webhook', 'okdesk-rating']]) } as unknown as AppContext;
  await registerDashboard(app, ctx, root);
  app.get('/v1/webhooks', async () => ({ success: true, data: [] }));
  app.get('/okdesk-webhook', async () => ({ message: 'Webhook endpoint is ready' }));
  await app.ready();
  return app;
}

let dir: string;
let app: FastifyInstance;
let bare: FastifyInstance;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Hookbridge</title><div id="app"></div>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-AbC123.js'), JS);
  fs.writeFileSync(path.join(dir, 'assets', 'index-AbC123.js.gz'), zlib.gzipSync(JS));
  app = await appFor(dir);
  bare = await appFor(path.join(dir, 'missing'));
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard at /', () => {
  it('index.html at / and at client routes, never cached', async () => {
    for (const url of ['/', '/webhooks', '/webhooks/wh_1/deliveries/dlv_2', '/portal', '/errors?page=2']) {
      const res = await app.inject({ url, headers: HTML });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<div id="app">');
    }
  });

  it('hashed assets: a year, immutable; the precompressed copy to clients that accept gzip', async () => {
    const plain = await app.inject({ url: '/assets/index-AbC123.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.body).toBe(JS);
    const gz = await app.inject({ url: '/assets/index-AbC123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toMatch(/javascript/);
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(JS);
    // One URL, several encodings: caches are told to key on Accept-Encoding (a year-long br copy to a client without br otherwise).
    for (const r of [plain, gz]) expect(r.headers.vary).toMatch(/accept-encoding/i);
  });

  it('paths the gateway owns, other methods, non-page requests and missing files keep the JSON 404', async () => {
    const cases = [
      { url: '/v1/nothing-here', headers: HTML },
      { url: '/webhook/unknown-source', headers: HTML },
      { url: '/okdesk-webhook/sub', headers: HTML },
      { url: '/health', headers: HTML },
      { url: '/docsx/../v1/x', headers: HTML },
      { url: '/assets/gone-123.js', headers: HTML },
      { url: '/favicon.ico', headers: HTML },
      { url: '/webhooks', headers: { accept: 'application/json' } },
      { url: '/webhooks', method: 'POST' as const, headers: HTML },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: c.method ?? 'GET', url: c.url, headers: c.headers });
      expect({ url: c.url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url: c.url, status: 404, code: 'NOT_FOUND' });
    }
    // Real routes are untouched.
    expect((await app.inject({ url: '/v1/webhooks', headers: HTML })).json()).toEqual({ success: true, data: [] });
    expect((await app.inject({ url: '/okdesk-webhook', headers: HTML })).json().message).toMatch(/ready/);
  });

  it('without a build, / says how to build it (503) and the API is unaffected', async () => {
    const res = await bare.inject({ url: '/', headers: HTML });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    expect((await bare.inject({ url: '/v1/nope', headers: HTML })).statusCode).toBe(404);
  });
});
