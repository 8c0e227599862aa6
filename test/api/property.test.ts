/**
 * Hostile input, generated (issue 12 "Done when"): fast-check sends random and malformed
 * requests to every route the server lists in GET /openapi.json, plus the inbound mounts
 * (/webhook/{path}, the meetings path /webhook/kontur-create, /okdesk-webhook — off by
 * default) and the ops routes:
 * - bodies: near-valid JSON generated from each route's own request schema (known fields
 *   with right, wrong and edge values, unknown fields), arbitrary JSON values, invalid
 *   JSON, empty bodies, deeply nested and huge ones;
 * - headers: content-type variations, junk or foreign Authorization, X-Hookbridge-Project,
 *   Idempotency-Key, Origin;
 * - query strings and path ids: real ids, random unicode, broken percent-encodings, very
 *   long values, repeated keys.
 * The properties: never a 5xx (and a /v1 error always carries the envelope); the server
 * process stays up and /health answers afterwards; nothing accepted is lost — every
 * event answered 202 is then readable with the same credentials, and so is every
 * webhook, source, event type and space webhook answered 201/200 on create, every
 * inbound request answered 202, and every meeting answered 200.
 *
 * The server is a child process (`node dist/cli.js serve`), so a crash is seen as one.
 * The seed is printed; HOOKBRIDGE_FC_SEED=<seed> replays a run, HOOKBRIDGE_FC_RUNS
 * changes its size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, PG_URL, freshDatabase, type TestDb } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { spawnServer, waitReady, type ChildServer, tearDownRig } from '../helpers/child-server.js';
import { freePort } from '../helpers/wait.js';

const SEED = Number(process.env.HOOKBRIDGE_FC_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.HOOKBRIDGE_FC_RUNS ?? 360);
const EVENT_RUNS = Math.ceil(RUNS / 3);

let db: TestDb;
let dataDir: string;
let child: ChildServer;
let client: Pool;
let rcv: Receiver;

interface Route {
  path: string;
  methods: string[];
  body?: any;
  query: Array<{ name: string; schema: any }>;
}
let routes: Route[] = [];

/** Real ids of the fixtures, by the kind of thing a path parameter names. */
const ids: Record<string, string[]> = {};
let projectB: { id: string; token: string };
let sourcePath: string;
let sourceId: string;

/** What was accepted, to read back at the end: the read request and what it must show. */
const accepted: Array<{ what: string; path: string; headers: Record<string, string>; check?: (body: any) => boolean }> = [];
const seen = { requests: 0, byStatus: {} as Record<string, number> };

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}
interface Res {
  status: number;
  text: string;
  json: any;
}

async function send(r: Req, timeoutMs = 30_000): Promise<Res> {
  const res = await client.request({ method: r.method as never, path: r.path, headers: r.headers, body: r.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, text, json };
}

const admin = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${ADMIN_TOKEN}`, ...extra });
async function call(method: string, p: string, body?: unknown, headers = admin()): Promise<Res> {
  return send({ method, path: p, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
}
async function made(method: string, p: string, body: unknown, headers = admin()): Promise<any> {
  const r = await call(method, p, body, headers);
  expect(r.status, `${method} ${p}: ${r.text}`).toBeLessThan(300);
  return r.json?.data ?? r.json;
}

// ---------------------------------------------------------------- generators

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD instead of throwing as encodeURIComponent does). */
const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Characters a raw (unencoded) request target may carry: undici refuses the rest. */
const rawSafe = (s: string) => s.replace(/[^\x21-\x7e]/g, '');
/** Characters a header value may carry. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

const someString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'message.created',
      'room.*',
      '*',
      'https://example.com/hook',
      'http://127.0.0.1:1/x',
      'javascript:alert(1)',
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      'not-a-date',
      'null',
      '0',
      '-1',
      '1e309',
      '\u0000',
      'a\u0000b',
      '\uD800',
      '%00',
      '../../etc/passwd',
      "'; DROP TABLE events; --",
      '{{data.x}}',
      '<script>',
      'whsec_',
      'whsk_AAAA',
      'Ω≈ç√',
      '🙂'.repeat(50),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 5000 }).map((n) => 'x'.repeat(n)) },
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Plausible values for fields by name, so that generated bodies often get past the first check and reach deeper ones. */
const EVENT_TYPES = ['message.created', 'room.created', 'call_started', 'fuzz.custom', 'message.*', '*'];
const HINTS: Record<string, fc.Arbitrary<unknown>> = {
  type: fc.constantFrom(...EVENT_TYPES, 'publish', 'none', 'token', 'hmac'),
  eventType: fc.constantFrom(...EVENT_TYPES),
  events: fc.array(fc.constantFrom(...EVENT_TYPES), { minLength: 1, maxLength: 3 }),
  url: fc.constantFrom('https://example.com/hook', 'http://127.0.0.1:9/x', 'http://[::1]:9/x', 'ftp://example.com', 'https://user:pw@example.com:99999/', 'https://ex ample.com'),
  data: fc.jsonValue({ maxDepth: 4 }),
  id: fc.string({ minLength: 1, maxLength: 60 }).map((x) => x.replace(/[^\x21-\x7e]/g, '') || 'evt_x'),
  since: fc.constantFrom('2020-01-01', '2026-01-01T00:00:00Z', 'yesterday', '', '2020-02-30', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z'),
  until: fc.constantFrom('2030-01-01', '1970-01-01', 'now', '9999-12-31T23:59:59Z'),
  path: fc.string({ maxLength: 30 }),
  channels: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
};

/** A value for a JSON schema: mostly of the right shape, sometimes the wrong type, sometimes at and past its bounds. */
function fromSchema(s: any, depth = 0): fc.Arbitrary<unknown> {
  if (!s || typeof s !== 'object' || depth > 4) return anyJson;
  const wrong = fc.oneof(anyJson, someString, fc.constant(null));
  const mix = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: wrong });
  const withNull = (a: fc.Arbitrary<unknown>) => (s.nullable ? fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: fc.constant(null) }) : a);
  const branches = s.anyOf ?? s.oneOf;
  if (Array.isArray(branches)) return mix(fc.oneof(...branches.map((b: any) => fromSchema(b, depth + 1))));
  if (Array.isArray(s.enum)) return mix(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: someString }));
  if (s.const !== undefined) return mix(fc.constant(s.const));
  switch (s.type) {
    case 'object': {
      const props: Record<string, any> = s.properties ?? {};
      const known = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, HINTS[k] ? fc.oneof({ weight: 3, arbitrary: HINTS[k] }, { weight: 2, arbitrary: fromSchema(v, depth + 1) }) : fromSchema(v, depth + 1)]),
      );
      const required: string[] = Array.isArray(s.required) ? s.required : [];
      const rec = fc.record(known, { requiredKeys: required.filter((k) => k in known) });
      const extra = fc.dictionary(fc.oneof(someString, fc.constantFrom('retry_policy', 'id', 'createdAt', '__proto__', 'constructor')), anyJson, { maxKeys: 2 });
      const open = s.additionalProperties && typeof s.additionalProperties === 'object' ? fc.dictionary(someString, fromSchema(s.additionalProperties, depth + 1), { maxKeys: 3 }) : fc.constant({});
      // Drop a required key now and then; add an unknown one now and then.
      const obj = fc
        .tuple(rec, fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extra }), open, fc.option(fc.constantFrom(...(required.length ? required : ['-'])), { freq: 8 }))
        .map(([r, x, o, drop]) => {
          const out: Record<string, unknown> = { ...o, ...x, ...(r as object) };
          if (drop) delete out[drop];
          return out;
        });
      return withNull(mix(obj));
    }
    case 'array':
      return withNull(mix(fc.array(fromSchema(s.items, depth + 1), { maxLength: s.maxItems && s.maxItems < 6 ? s.maxItems + 1 : 6 })));
    case 'string': {
      const edges: fc.Arbitrary<string>[] = [];
      if (typeof s.maxLength === 'number' && s.maxLength <= 5000) edges.push(fc.constantFrom('y'.repeat(s.maxLength), 'y'.repeat(s.maxLength + 1)));
      if (typeof s.minLength === 'number' && s.minLength > 0) edges.push(fc.constant('y'.repeat(s.minLength - 1)));
      return withNull(mix(fc.oneof({ weight: 6, arbitrary: someString }, ...edges.map((e) => ({ weight: 1, arbitrary: e })))));
    }
    case 'integer':
    case 'number': {
      const lo = typeof s.minimum === 'number' ? s.minimum : -1e6;
      const hi = typeof s.maximum === 'number' ? s.maximum : 1e6;
      const inRange = s.type === 'integer' ? fc.integer({ min: Math.max(lo, -(2 ** 31)), max: Math.min(hi, 2 ** 31 - 1) }) : fc.double({ min: lo, max: hi, noNaN: true });
      return withNull(mix(fc.oneof({ weight: 5, arbitrary: inRange }, { weight: 2, arbitrary: fc.constantFrom(lo - 1, hi + 1, 0, -1, 0.5, 2 ** 53, -9.2e18, 1e308) })));
    }
    case 'boolean':
      return withNull(mix(fc.boolean()));
    default:
      return anyJson;
  }
}

const contentTypes = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/vnd.api+json',
      'application/merge-patch+json',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'application/octet-stream',
      '',
      'application/',
      '*/*',
      'application/json, text/plain',
    ),
  },
  { weight: 1, arbitrary: someString.map(headerSafe) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

type BodyKind = { kind: string; value: string | Buffer | undefined };
function bodies(schema: any): fc.Arbitrary<BodyKind> {
  const options: Array<{ weight: number; arbitrary: fc.Arbitrary<BodyKind> }> = [
    { weight: 3, arbitrary: anyJson.map((v) => ({ kind: 'json', value: JSON.stringify(v) })) },
    { weight: 2, arbitrary: someString.map((v) => ({ kind: 'text', value: v })) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('{', '{"a":', '{"type": "message.created", "data": {}', '[1,2', 'nul', "{'a':1}", '{"a":1}}', '\uFEFF{}', '{"a":"\\ud800"}', '{"a":1e99999}', '{"__proto__": {"x": 1}}', '  ')
        .map((v) => ({ kind: 'broken', value: v })),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'none', value: undefined }) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => ({ kind: 'deep', value: '['.repeat(n) + ']'.repeat(n) })) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => ({ kind: 'deep', value: '{"type":"message.created","data":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + '}' })) },
    { weight: 1, arbitrary: fc.constantFrom(300_000, 1_100_000).map((n) => ({ kind: 'huge', value: JSON.stringify({ type: 'message.created', data: { s: 'z'.repeat(n) } }) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: 'binary', value: Buffer.from(b) })) },
  ];
  if (schema) options.push({ weight: 10, arbitrary: fromSchema(schema).map((v) => ({ kind: 'schema', value: JSON.stringify(v) })) });
  return fc.oneof(...options);
}

const authorizations = fc.oneof(
  { weight: 12, arbitrary: fc.constant('admin') },
  { weight: 3, arbitrary: fc.constant('projectB') },
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `bearer  ${ADMIN_TOKEN}  x`, `Bearer ${ADMIN_TOKEN}x`, `Token ${ADMIN_TOKEN}`, 'Bearer hbp_' + 'A'.repeat(4000)),
      someString.map((s) => `Bearer ${headerSafe(s)}`),
      someString.map(headerSafe),
    ),
  },
);

/** A path parameter: a real id of any kind (most often the right kind), or hostile text. */
function paramValue(kind: string): fc.Arbitrary<string> {
  const real = ids[kind] ?? [];
  const all = Object.values(ids).flat();
  return fc.oneof(
    { weight: real.length ? 6 : 0, arbitrary: real.length ? fc.constantFrom(...real).map(pct) : fc.constant('x') },
    { weight: 2, arbitrary: fc.constantFrom(...all).map(pct) },
    { weight: 4, arbitrary: someString.map(pct) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('%', '%zz', '%00', '%E0%A4%A', '%C0%AF', '%2F', '..', '.', '%2e%2e', '%252F', 'a%20b', '+', '%FF%FE', '%uD800', ';a=b', 'a?b', '%23'),
    },
    { weight: 1, arbitrary: fc.constantFrom(900, 1001, 3000, 20_000).map((n) => 'i'.repeat(n)) },
    { weight: 1, arbitrary: someString.map(rawSafe).filter((s) => s.length > 0 && !s.includes('/') && !s.includes('?') && !s.includes('#')) },
  );
}

function queryString(params: Route['query']): fc.Arbitrary<string> {
  const known = params.length
    ? fc.array(
        fc.constantFrom(...params).chain((p) => fromSchema(p.schema).map((v) => `${pct(p.name)}=${pct(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`)),
        { maxLength: 4 },
      )
    : fc.constant([] as string[]);
  const junk = fc.array(
    fc.oneof(
      fc.tuple(someString, someString).map(([k, v]) => `${pct(k)}=${pct(v)}`),
      fc.constantFrom('limit=0', 'limit=-1', 'limit=1001', 'limit=1e3', 'limit=abc', 'offset=99999999999999999999', 'limit=1&limit=2', 'status=', '=', '&&', 'a', '%zz=1', 'limit=%zz', 'webhookId[]=1', 'limit[a]=1', '__proto__[x]=1', 'offset=1.5'),
    ),
    { maxLength: 3 },
  );
  return fc.tuple(known, junk, fc.boolean()).map(([k, j, mark]) => {
    const parts = [...k, ...j];
    return parts.length || mark ? `?${parts.join('&')}` : '';
  });
}

/** Which fixture ids fit a path parameter of this route. */
function paramKind(route: string, name: string): string {
  if (name === 'logId') return 'delivery';
  if (name === 'reqId') return 'inbound';
  if (name === 'spaceId') return 'space';
  if (name === 'name') return 'eventType';
  if (name === 'contactId') return 'contact';
  if (name === 'any') return 'any';
  const m = /^\/v1\/([a-z-]+)\//.exec(route);
  return { webhooks: 'webhook', events: 'event', deliveries: 'delivery', projects: 'project', tokens: 'token', sources: 'source', jobs: 'job', meetings: 'meeting' }[m?.[1] ?? ''] ?? 'webhook';
}

function requestFor(route: Route): fc.Arbitrary<Req & { route: string }> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const filled = fc.tuple(...names.map((n) => paramValue(paramKind(route.path, n)))).map((vals) => {
    let p = route.path;
    names.forEach((n, i) => (p = p.replace(`{${n}}`, vals[i])));
    return p;
  });
  const method = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });
  return fc
    .record({
      method,
      path: filled,
      query: queryString(route.query),
      body: bodies(route.body),
      contentType: contentTypes,
      auth: authorizations,
      project: fc.option(fc.oneof(fc.constant('B'), someString.map(headerSafe)), { freq: 6 }),
      idem: fc.option(someString.map(headerSafe), { freq: 6 }),
      origin: fc.option(fc.constantFrom('https://mm.example.com', 'null', '*', 'http://evil.example'), { freq: 6 }),
    })
    .map((g) => {
      const headers: Record<string, string> = {};
      if (g.auth === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
      else if (g.auth === 'projectB') headers.authorization = `Bearer ${projectB.token}`;
      else if (g.auth !== undefined) headers.authorization = g.auth;
      if (g.project !== null) headers['x-hookbridge-project'] = g.project === 'B' ? projectB.id : g.project;
      if (g.idem !== null) headers['idempotency-key'] = g.idem;
      if (g.origin !== null) headers.origin = g.origin;
      const hasBody = g.body.value !== undefined && !['GET', 'HEAD'].includes(g.method);
      if (hasBody && g.contentType !== undefined) headers['content-type'] = g.contentType;
      return { route: route.path, method: g.method, path: g.path + g.query, headers, body: hasBody ? g.body.value : undefined };
    });
}

// ---------------------------------------------------------------- checks

/** The property for one request: no 5xx, a /v1 error has the envelope, and what was accepted is remembered for the read-back. */
async function check(r: Req & { route: string }): Promise<void> {
  let res: Res;
  try {
    // POST …/test waits for its attempt (the webhook's timeout + 5 s): allow for that.
    res = await send(r, 60_000);
  } catch (err) {
    // A body over the server's limit (1 MiB) is answered 413 with "Connection: close" as soon
    // as its Content-Length is read; a client still writing the rest may then see the socket
    // closed under it (EPIPE/ECONNRESET) instead of the answer. That is a refusal, not a
    // crash: counted as such once the server is seen answering again.
    const code = String((err as { code?: string }).code ?? '');
    const oversized = typeof r.body === 'string' && Buffer.byteLength(r.body) > 1024 * 1024;
    if (oversized && /EPIPE|ECONNRESET|UND_ERR_SOCKET/.test(code + (err as Error).message)) {
      const health = await send({ method: 'GET', path: '/health', headers: {} });
      expect(health.status, 'the server answers after closing on an oversized body').toBe(200);
      seen.requests++;
      seen.byStatus['closed on an oversized body'] = (seen.byStatus['closed on an oversized body'] ?? 0) + 1;
      return;
    }
    throw new Error(`${r.method} ${r.path.slice(0, 300)}: no answer (${(err as Error).message})\n${child.output.join('').slice(-3000)}`);
  }
  seen.requests++;
  const bucket = `${Math.floor(res.status / 100)}xx`;
  seen.byStatus[bucket] = (seen.byStatus[bucket] ?? 0) + 1;
  const what = `${r.method} ${r.path.slice(0, 300)} [${r.headers['content-type'] ?? '-'}] body ${typeof r.body === 'string' ? JSON.stringify(r.body.slice(0, 300)) : r.body ? `<${r.body.length} bytes>` : '-'} → ${res.status} ${res.text.slice(0, 500)}`;
  if (res.status >= 500) throw new Error(`5xx: ${what}\n${child.output.join('').slice(-3000)}`);
  if (res.status >= 400 && r.path.startsWith('/v1/') && r.method !== 'HEAD') {
    if (!(res.json?.success === false && typeof res.json.error?.code === 'string' && typeof res.json.error.message === 'string')) throw new Error(`no error envelope: ${what}`);
  }
  remember(r, res);
}

function remember(r: Req & { route: string }, res: Res): void {
  const auth: Record<string, string> = {};
  for (const k of ['authorization', 'x-hookbridge-project']) if (r.headers[k] !== undefined) auth[k] = r.headers[k];
  const d = res.json?.data;
  const route = r.route;
  if (r.method === 'POST' && route === '/v1/events' && res.status === 202) {
    accepted.push({ what: `event ${d.id}`, path: `/v1/events/${pct(d.id)}`, headers: auth, check: (b) => b.data.id === d.id && b.data.type === d.type });
  } else if (r.method === 'POST' && res.status === 201 && route === '/v1/webhooks') {
    accepted.push({ what: `webhook ${d.id}`, path: `/v1/webhooks/${d.id}`, headers: auth });
  } else if (r.method === 'POST' && res.status === 201 && route === '/v1/sources') {
    accepted.push({ what: `source ${d.id}`, path: `/v1/sources/${d.id}`, headers: auth });
  } else if (r.method === 'POST' && res.status === 201 && route === '/v1/event-types') {
    accepted.push({ what: `event type ${d.name}`, path: `/v1/event-types/${pct(d.name)}`, headers: auth });
  } else if (r.method === 'POST' && res.status < 300 && route === '/v1/spaces/{spaceId}/webhook') {
    accepted.push({ what: `space webhook ${r.path}`, path: r.path.split('?')[0], headers: auth });
  } else if (route === '/webhook/{source}' && res.status === 202) {
    accepted.push({ what: `inbound request ${d.id}`, path: `/v1/sources/${sourceId}/requests/${d.id}`, headers: admin() });
  } else if (route === '/webhook/kontur-create' && res.status === 200) {
    const room = res.json.room_id;
    accepted.push({ what: `meeting ${room}`, path: `/v1/meetings?limit=1000`, headers: admin(), check: (b) => b.data.some((m: any) => m.roomId === room) });
  }
}

// ---------------------------------------------------------------- set-up

beforeAll(async () => {
  db = freshDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-prop-'));
  rcv = await startReceiver(() => ({ status: 200, body: 'OK' }));
  const port = await freePort();
  // LOG_LEVEL error: a 5xx logs "request failed" with the error, which the failure message shows.
  child = spawnServer({ port, db, dataDir, env: { LOG_LEVEL: 'error' } });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(child, base, 30_000);
  client = new Pool(base, { connections: 8 });

  // Fixtures, so that generated ids are sometimes real ones.
  const pb = await made('POST', '/v1/projects', { name: 'fuzz B' });
  projectB = { id: pb.id, token: pb.token.token };
  const hook = await made('POST', '/v1/webhooks', { name: 'fuzz', url: `${rcv.url}/hook`, events: ['*'], timeout: 2000 });
  const ev = await made('POST', '/v1/events', { id: 'evt_fuzz_1', type: 'message.created', data: { a: 1 } }, admin({ 'content-type': 'application/json' }));
  const spare = await made('POST', `/v1/projects/${pb.id}/tokens`, { name: 'spare' });
  await made('POST', '/v1/event-types', { name: 'fuzz.custom', description: 'x' });
  sourcePath = `fuzz-${Date.now().toString(36)}`;
  const src = await made('POST', '/v1/sources', { name: 'fuzz', path: sourcePath, action: { type: 'publish', eventType: 'message.created' } });
  sourceId = src.id;
  // A second source the generated DELETEs may take (the first one's requests are read back at the end).
  const victim = await made('POST', '/v1/sources', { name: 'victim', path: `${sourcePath}-v`, action: { type: 'publish', eventType: 'message.created' } });
  const inbound = await send({ method: 'POST', path: `/webhook/${sourcePath}`, headers: { 'content-type': 'application/json' }, body: '{"hello":1}' });
  expect(inbound.status, inbound.text).toBe(202);
  await made('POST', '/v1/spaces/fuzzspace/webhook', { url: `${rcv.url}/space` });
  const meeting = await send({ method: 'POST', path: '/webhook/kontur-create', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel_id: 'c1', user_id: 'u1', channel_name: 'Fuzz' }) });
  expect(meeting.status, meeting.text).toBe(200);
  const meetings = (await call('GET', '/v1/meetings')).json.data;
  await rcv.waitFor(1, 10_000);
  const deliveries = (await call('GET', '/v1/deliveries')).json.data;
  Object.assign(ids, {
    webhook: [hook.id],
    event: [ev.id],
    delivery: deliveries.map((x: any) => x.id),
    project: [pb.id],
    token: [spare.id],
    source: [victim.id], // not the fixture source: its requests are read back at the end
    inbound: [inbound.json.data.id],
    space: ['fuzzspace'],
    eventType: ['fuzz.custom', 'message.created'],
    meeting: meetings.map((m: any) => m.id),
  });

  const doc = (await call('GET', '/openapi.json')).json;
  routes = Object.entries(doc.paths as Record<string, Record<string, any>>).map(([p, ops]) => ({
    path: p,
    methods: Object.keys(ops).map((m) => m.toUpperCase()),
    body: Object.values(ops).find((o) => o.requestBody)?.requestBody.content['application/json']?.schema,
    query: Object.values(ops).flatMap((o) => (o.parameters ?? []).filter((x: any) => x.in === 'query').map((x: any) => ({ name: x.name, schema: x.schema }))),
  }));
  expect(routes.length).toBeGreaterThan(30);
  // Routes not in the document: the inbound mount (the fixture source and unknown paths), the rating app's path (off by default), ops.
  routes.push(
    { path: '/webhook/{source}', methods: ['POST', 'PUT', 'GET', 'OPTIONS'], query: [{ name: 'token', schema: { type: 'string' } }] },
    { path: '/webhook/{any}', methods: ['POST', 'GET'], query: [] },
    { path: '/okdesk-webhook', methods: ['POST', 'GET'], query: [{ name: 'token', schema: { type: 'string' } }] },
    { path: '/health', methods: ['GET'], query: [] },
    { path: '/ready', methods: ['GET'], query: [] },
    { path: '/metrics', methods: ['GET'], query: [] },
    { path: '/openapi.json', methods: ['GET'], query: [] },
  );
  ids.any = ['nothing-here', sourcePath];
  console.log(`[property test] seed ${SEED} (HOOKBRIDGE_FC_SEED=${SEED} replays it), ${RUNS} + ${EVENT_RUNS} requests over ${routes.length} routes, ${PG_URL ? 'PostgreSQL' : 'SQLite'}`);
}, 60_000);

afterAll(() => tearDownRig({ client, rcv, db, dataDir }));

/** `/webhook/{source}` is the fixture source's own path; `{any}` an arbitrary one. */
function mounted(r: Route): Route {
  if (r.path === '/webhook/{source}') return { ...r, path: `/webhook/${sourcePath}`, body: { type: 'object', properties: { hello: { type: 'integer' } } } };
  return r;
}

describe('cases generation found, kept as plain regressions', () => {
  it('JSON nested 20,000 deep: a 4xx on the API, the meetings path and an inbound relay (was a 500: JSON.stringify overflowed storing the event)', async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const api = await call('POST', '/v1/events', undefined, admin({ 'content-type': 'application/json' }));
    expect(api.status).toBe(422); // no body at all: the baseline
    for (const [p, body, headers] of [
      ['/v1/events', `{"type":"message.created","data":${deep(20_000)}}`, admin({ 'content-type': 'application/json' })],
      ['/webhook/kontur-create', `{"channel_id":"c","user_id":"u-deep","x":${deep(20_000)}}`, { 'content-type': 'application/json' }],
      [`/webhook/${sourcePath}`, deep(20_000), { 'content-type': 'application/json' }],
      [`/webhook/${sourcePath}`, deep(20_000), {}],
    ] as const) {
      const r = await send({ method: 'POST', path: p, headers: { ...headers }, body });
      expect(r.status, `${p}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${p}: ${r.text}`).toBeLessThan(500);
      expect(r.text).toMatch(/512 levels/);
    }
    // 512 levels are still fine.
    const ok = await send({ method: 'POST', path: '/v1/events', headers: admin({ 'content-type': 'application/json' }), body: `{"type":"message.created","data":${deep(511)}}` });
    expect(ok.status, ok.text).toBe(202);
    expect((await send({ method: 'GET', path: `/v1/events/${ok.json.data.id}`, headers: admin() })).status).toBe(200);
  });

  it('a request line over 16 KiB is a 431 with the error envelope (was Fastify\'s own shape)', async () => {
    const r = await send({ method: 'GET', path: `/v1/webhooks/${'i'.repeat(20_000)}`, headers: admin() });
    expect(r.status).toBe(431);
    expect(r.json).toEqual({ success: false, error: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/16 KiB/), details: [] } });
    expect((await send({ method: 'GET', path: '/health', headers: {} })).status).toBe(200);
  });
});

describe(`generated hostile requests (${PG_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('every route: never a 5xx, always the envelope on /v1 errors', async () => {
    const arb = fc.constantFrom(...routes).chain((r) => requestFor(mounted(r)).map((req) => (r.path === '/webhook/{source}' ? { ...req, route: r.path } : req)));
    await fc.assert(fc.asyncProperty(arb, check), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    expect(seen.requests).toBeGreaterThanOrEqual(RUNS);
  }, 120_000);

  it('POST /v1/events in particular: never a 5xx, and each 202 is stored', async () => {
    const events = routes.find((r) => r.path === '/v1/events')!;
    // Mostly well-formed publishes with hostile contents (odd ids, unicode, NUL, lone
    // surrogates, big and deep data), so that many are accepted and must then be readable.
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 200 });
    const wellFormed = fc
      .record(
        {
          type: fc.constantFrom('message.created', 'room.created', 'call_started', 'fuzz.custom'),
          data: fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.string({ unit: 'binary' }), fc.constantFrom('\u0000', 'a\u0000b', '\uD800', '\u2028', { '': { '\u0000': [null] } }, 2 ** 53 + 1, -0, 1e308)),
          id: fc.oneof(printable, fc.constantFrom('%', '%2F', 'a/b', '..', 'a?b#c', '+', 'x'.repeat(200))),
          space: fc.oneof(someString, fc.constant(null)),
          channels: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 3 }),
        },
        { requiredKeys: ['type', 'data'] },
      )
      .chain((body) =>
        fc.record({
          auth: fc.constantFrom(`Bearer ${ADMIN_TOKEN}`, `Bearer ${projectB.token}`),
          ct: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/cloudevents+json'),
          idem: fc.option(printable, { freq: 4 }),
        }).map(({ auth, ct, idem }) => ({
          route: '/v1/events',
          method: 'POST',
          path: '/v1/events',
          headers: { authorization: auth, 'content-type': ct, ...(idem !== null && { 'idempotency-key': idem }) },
          body: JSON.stringify(body),
        })),
      );
    const arb = fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 1, arbitrary: requestFor(events).map((r) => ({ ...r, method: 'POST' })) });
    const before = accepted.length;
    await fc.assert(fc.asyncProperty(arb, check), { numRuns: EVENT_RUNS, seed: SEED + 1, endOnFailure: true });
    console.log(`[property test] POST /v1/events: ${accepted.length - before} of ${EVENT_RUNS} accepted`);
  }, 120_000);

  it('afterwards the process is up, /health answers, and everything accepted is readable', async () => {
    expect(child.proc.exitCode, child.output.join('').slice(-3000)).toBeNull();
    const health = await send({ method: 'GET', path: '/health', headers: {} });
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    expect((await send({ method: 'GET', path: '/ready', headers: {} })).status).toBe(200);
    const lost: string[] = [];
    for (const a of accepted) {
      const r = await send({ method: 'GET', path: a.path, headers: a.headers });
      if (r.status !== 200 || (a.check && !a.check(r.json))) lost.push(`${a.what}: GET ${a.path} → ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(lost, 'accepted, then not readable').toEqual([]);
    expect(accepted.filter((a) => a.what.startsWith('event ')).length, 'some generated events were accepted').toBeGreaterThan(0);
    console.log(`[property test] ${seen.requests} requests: ${JSON.stringify(seen.byStatus)}; ${accepted.length} accepted things read back`);
  }, 60_000);
});
