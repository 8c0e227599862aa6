import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import type { Receiver } from '../helpers/receiver.js';
import { channel, waitForDelivery, withReceiver, withServer } from '../helpers/fixtures.js';

let s: TestServer;
let rcv: Receiver;
withServer((x) => (s = x));
withReceiver((x) => (rcv = x));

const data = { call: { id: 'c-77', duration: 65, tags: ['a', 'b'] }, caller: '+380441234567' };
const md5 = (v: string) => crypto.createHash('md5').update(v).digest('hex');
const crc32 = (v: string) => zlib.crc32(v).toString(16).padStart(8, '0');
const params = [
  { name: 'call_id', type: 'text', value: '{{data.call.id}}' },
  { name: 'duration', type: 'text', value: '{{data.call.duration}}' },
  { name: 'tags', type: 'array', value: ['{{data.call.tags.0}}', '{{data.call.tags.1}}'] },
  { name: 'extra', type: 'object', value: [{ name: 'caller', type: 'text', value: '{{data.caller}}' }] },
  { name: 'sign', type: 'md5', value: '{{data.call.id}}{{webhook.secret}}' },
  { name: 'crc', type: 'crc32', value: '{{data.call.id}}' },
];
const SECRET = 'ringostat_secret';
const expectedObject = {
  call_id: 'c-77',
  duration: 65,
  tags: ['a', 'b'],
  extra: { caller: '+380441234567' },
  sign: md5(`c-77${SECRET}`),
  crc: crc32('c-77'),
};
const bracketForm =
  `call_id=c-77&duration=65&tags[0]=a&tags[1]=b&extra[caller]=${encodeURIComponent('+380441234567')}` +
  `&sign=${md5(`c-77${SECRET}`)}&crc=${crc32('c-77')}`;

async function roundTrip(request: Record<string, unknown>) {
  const ch = channel(s);
  const path = `/${ch.name}`;
  await ch.webhook(`${rcv.url}${path}?fixed=1`, { request, secret: SECRET, retryPolicy: { maxRetries: 0 } });
  const ev = await ch.publish(data);
  await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
  const got = rcv.requests.find((r) => r.url.startsWith(path))!;
  return { got, ev };
}

describe('request templates (seed 003) through the real pipeline', () => {
  it('GET puts params in the query string in bracket form, with no body', async () => {
    const { got, ev } = await roundTrip({ method: 'GET', params });
    expect(got.method).toBe('GET');
    expect(got.url.split('?')[1]).toBe(`fixed=1&${bracketForm}`);
    expect(got.body).toBe('');
    expect(got.headers['content-type']).toBeUndefined();
    // The attempt log shows what was sent: no body, not the event's payload.
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
    expect(d.attemptLog[0].request.method).toBe('GET');
    expect(d.attemptLog[0].request.body).toBe('');
  });

  for (const method of ['POST', 'PUT'] as const) {
    it(`${method} json sends the params as an object`, async () => {
      const { got } = await roundTrip({ method, format: 'json', params });
      expect(got.method).toBe(method);
      expect(got.headers['content-type']).toBe('application/json');
      expect(JSON.parse(got.body)).toEqual(expectedObject);
    });

    it(`${method} form sends urlencoded bracket form`, async () => {
      const { got } = await roundTrip({ method, format: 'form', params });
      expect(got.method).toBe(method);
      expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(got.body).toBe(bracketForm);
    });

    it(`${method} json-rpc wraps the params with the delivery id`, async () => {
      const { got, ev } = await roundTrip({ method, format: 'json-rpc', rpcMethod: 'call.finished', params });
      expect(got.headers['content-type']).toBe('application/json');
      expect(JSON.parse(got.body)).toEqual({ jsonrpc: '2.0', method: 'call.finished', params: expectedObject, id: ev.deliveries[0].id });
    });

    it(`${method} raw sends the rendered rawBody; Content-Type can be overridden`, async () => {
      const { got } = await roundTrip({
        method,
        format: 'raw',
        rawBody: 'call {{data.call.id}} lasted {{data.call.duration}}s at {{event.createdAt}}',
        dateFormat: 'YYYY-MM-DD',
        headers: { 'Content-Type': 'text/csv' },
      });
      expect(got.headers['content-type']).toBe('text/csv');
      expect(got.body).toBe(`call c-77 lasted 65s at ${new Date().toISOString().slice(0, 10)}`);
    });
  }

  it('a raw body holding a lone surrogate from event data is sent and logged with one U+FFFD in its place on both databases (SQLite logged three: it keeps the surrogate as three bytes)', async () => {
    const ch = channel(s);
    await ch.webhook(`${rcv.url}/${ch.name}`, { request: { method: 'POST', format: 'raw', rawBody: 'who={{data.who}}' }, secret: SECRET, retryPolicy: { maxRetries: 0 } });
    const ev = await ch.publish({ who: 'a\ud800b\udc00' });
    const delivery = await waitForDelivery(s, ev.deliveries[0].id, 'delivered', 5000);
    const got = rcv.requests.find((r) => r.url.startsWith(`/${ch.name}`))!;
    expect(got.body).toBe('who=a\ufffdb\ufffd');
    expect(delivery.attemptLog.map((a: { request: { body: string } }) => a.request.body)).toEqual(['who=a\ufffdb\ufffd']);
  });

  it('an object param written as in SPEC §4.4 (children in params) is accepted and delivered; value stays an alias', async () => {
    const nested = [{ name: 'caller', type: 'text', value: '{{data.caller}}' }, { name: 'inner', type: 'object', params: [{ name: 'id', type: 'text', value: '{{data.call.id}}' }] }];
    const specForm = { method: 'POST', format: 'json', params: [{ name: 'extra', type: 'object', params: nested }] };
    const { got } = await roundTrip(specForm);
    expect(JSON.parse(got.body)).toEqual({ extra: { caller: '+380441234567', inner: { id: 'c-77' } } });
    const form = await roundTrip({ method: 'POST', format: 'form', params: [{ name: 'extra', type: 'object', params: nested }] });
    expect(form.got.body).toBe(`extra[caller]=${encodeURIComponent('+380441234567')}&extra[inner][id]=c-77`);
    const alias = await roundTrip({ method: 'POST', format: 'form', params: [{ name: 'extra', type: 'object', value: nested }] });
    expect(alias.got.body).toBe(form.got.body);
  });

  it('GET with an object and hashes of every kind; the signature covers what is sent', async () => {
    const hashes = ['md5', 'sha1', 'sha256', 'crc32'].map((type) => ({ name: type, type, value: '{{event.id}}' }));
    const { got, ev } = await roundTrip({ method: 'GET', params: hashes });
    const q = new URLSearchParams(got.url.split('?')[1]);
    expect(q.get('md5')).toBe(md5(ev.id));
    expect(q.get('sha1')).toBe(crypto.createHash('sha1').update(ev.id).digest('hex'));
    expect(q.get('sha256')).toBe(crypto.createHash('sha256').update(ev.id).digest('hex'));
    expect(q.get('crc32')).toBe(crc32(ev.id));
    expect(got.headers['x-hookbridge-signature']).toBe(`sha256=${crypto.createHmac('sha256', SECRET).update('').digest('hex')}`);
  });

  it('a secret rendered by {{webhook.secret}} is sent, but the attempt log shows **** in its place', async () => {
    const { got, ev } = await roundTrip({ method: 'GET', params: [{ name: 'key', type: 'text', value: '{{webhook.secret}}' }] });
    expect(got.url).toContain(`key=${SECRET}`);
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
    expect(d.attemptLog[0].request.url).toContain('key=****');
    expect(JSON.stringify(d.attemptLog)).not.toContain(SECRET);
  });

  it('the secret is masked in the attempt log in every spelling it is sent in: percent-encoded in a query or form (a generated whsec_ secret has + / =), JSON-escaped in a body (it was stored readable)', async () => {
    const param = [{ name: 'key', type: 'text', value: '{{webhook.secret}}' }];
    const cases: Array<[Record<string, unknown>, string | undefined]> = [
      [{ method: 'GET', params: param }, undefined],
      [{ method: 'POST', format: 'form', params: param }, undefined],
      [{ method: 'POST', format: 'form', params: param }, 'a secret+with/odd=chars'],
      [{ method: 'POST', format: 'json', params: param, headers: { 'X-Key': '{{webhook.secret}}' } }, 'a "quoted" \\ secret'],
    ];
    for (const [request, secret] of cases) {
      const ch = channel(s);
      const hook = await ch.webhook(`${rcv.url}/${ch.name}`, { request, retryPolicy: { maxRetries: 0 }, ...(secret && { secret }) });
      const ev = await ch.publish({ n: 1 });
      const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
      const got = rcv.requests.find((r) => r.url.startsWith(`/${ch.name}`))!;
      const sent = request.method === 'GET' ? new URLSearchParams(got.url.split('?')[1]).get('key') : request.format === 'form' ? new URLSearchParams(got.body).get('key') : JSON.parse(got.body).key;
      expect(sent).toBe(hook.secret);
      const logged = JSON.stringify(d.attemptLog[0].request);
      expect(logged).toContain('****');
      for (const spelling of [hook.secret, encodeURIComponent(hook.secret), JSON.stringify(hook.secret).slice(1, -1)]) expect(logged).not.toContain(spelling);
    }
  });

  it('a webhook header spelt in another case than one Hookbridge sets (content-type, x-hookbridge-event, x-hookbridge-signature) is one header, Hookbridge\'s, with or without a template (both went out, twice the same header)', async () => {
    const own = { 'content-type': 'text/x', 'x-hookbridge-event': 'spoofed', 'x-hookbridge-signature': 'sha256=00', 'X-Extra': 'kept' };
    for (const request of [undefined, { format: 'json', params: [{ name: 'n', type: 'text', value: '{{data.n}}' }] }]) {
      const ch = channel(s);
      await ch.webhook(`${rcv.url}/${ch.name}`, { headers: own, secret: SECRET, retryPolicy: { maxRetries: 0 }, ...(request && { request }) });
      const ev = await ch.publish({ n: 1 });
      const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
      const got = rcv.requests.find((r) => r.url.startsWith(`/${ch.name}`))!;
      expect(got.headers['x-hookbridge-event']).toBe('message.created');
      expect(got.headers['x-hookbridge-signature']).toBe(`sha256=${crypto.createHmac('sha256', SECRET).update(got.body).digest('hex')}`);
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers['x-extra']).toBe('kept');
      const names = Object.keys(d.attemptLog[0].request.headers).map((n) => n.toLowerCase());
      expect(names.length).toBe(new Set(names).size);
      const preview = await s.api('POST', '/v1/webhooks/preview', { body: { url: `${rcv.url}/x`, headers: own, ...(request && { request }), event: { type: 'message.created', data: { n: 1 } } } });
      const previewed = Object.keys(preview.body.data.headers).map((n) => n.toLowerCase());
      expect(previewed.length).toBe(new Set(previewed).size);
    }
  });

  it('removes Content-Type when asked, and reports missing placeholders in the attempt log', async () => {
    const { got, ev } = await roundTrip({
      format: 'json',
      headers: { 'Content-Type': null },
      params: [{ name: 'who', type: 'text', value: '{{data.nobody.here}}' }],
    });
    expect(got.headers['content-type']).toBeUndefined();
    expect(JSON.parse(got.body)).toEqual({ who: '' });
    const d = await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
    expect(d.attemptLog[0].notes).toMatch(/data\.nobody\.here/);
  });

  it('event data beyond Latin-1 in a header arrives percent-encoded (it could not be sent as it is: every attempt failed)', async () => {
    const ch = channel(s);
    await ch.webhook(`${rcv.url}/${ch.name}`, { request: { format: 'json', headers: { 'X-Who': 'from {{data.who}}' } }, retryPolicy: { maxRetries: 0 } });
    const ev = await ch.publish({ who: 'Иван 🙂 café' });
    await waitForDelivery(s, ev.deliveries[0].id, 'delivered');
    const got = rcv.requests.find((r) => r.url.startsWith(`/${ch.name}`))!;
    // Runs beyond Latin-1 are encoded; ASCII and Latin-1 (é) go as they are.
    expect(got.headers['x-who']).toBe(`from ${encodeURIComponent('Иван')} ${encodeURIComponent('🙂')} caf\u00e9`);
    expect(decodeURIComponent(String(got.headers['x-who']).slice(5, -5))).toBe('Иван 🙂');
  });

  it('event data holding a lone surrogate ("\\ud800" is valid JSON) goes out as U+FFFD in a query and a form, and previews alike (it threw URIError: the preview answered 500 and the worker process crashed)', async () => {
    const lone = { who: 'a\ud800b', tags: { 'k\udc00': 'v' } };
    const tpl = [
      { name: 'who', type: 'text', value: '{{data.who}}' },
      { name: 'tags', type: 'text', value: '{{data.tags}}' },
    ];
    const expected = 'who=a%EF%BF%BDb&tags[k%EF%BF%BD]=v';
    for (const request of [{ method: 'GET', params: tpl }, { method: 'POST', format: 'form', params: tpl }]) {
      const ch = channel(s);
      const preview = await s.api('POST', '/v1/webhooks/preview', {
        body: { url: `${rcv.url}/${ch.name}`, request, secret: SECRET, event: { type: 'message.created', data: lone } },
      });
      expect(preview.status, preview.text).toBe(200);
      await ch.webhook(`${rcv.url}/${ch.name}`, { request, secret: SECRET, retryPolicy: { maxRetries: 0 } });
      const ev = await ch.publish(lone);
      await waitForDelivery(s, ev.deliveries[0].id, 'delivered', 5000);
      const got = rcv.requests.find((r) => r.url.startsWith(`/${ch.name}`))!;
      if (request.method === 'GET') {
        expect(got.url).toBe(`/${ch.name}?${expected}`);
        expect(preview.body.data.url).toBe(`${rcv.url}/${ch.name}?${expected}`);
      } else {
        expect(got.body).toBe(expected);
        expect(preview.body.data.body).toBe(expected);
      }
    }
  });
});

describe('template validation and preview', () => {
  const create = (request: unknown) =>
    s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/h', events: ['message.created'], request } });

  it('rejects bad templates with a 422 naming the bad param', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ format: 'xml' }, /format/],
      [{ method: 'DELETE' }, /method/],
      [{ params: [{ name: 'x', type: 'blob', value: '' }] }, /params\[0\]/],
      [{ params: [{ name: 'h', type: 'md5', value: '' }] }, /params\[0\]/],
      [{ params: [{ name: 'big', type: 'text', value: 'x'.repeat(70_000) }] }, /request/],
      [{ params: [{ name: 'o', type: 'object', params: [{ name: 'x', type: 'blob', value: '' }] }] }, /^request\.params\[0\]\.params\[0\]\.type$/],
      // A literal no request can carry (what data fills in is encoded when sent).
      [{ headers: { 'X-T': 'ключ {{data.k}}' } }, /^request\.headers\.X-T$/],
    ];
    for (const [request, field] of cases) {
      const r = await create(request);
      expect(r.status, JSON.stringify(request).slice(0, 80)).toBe(422);
      expect(r.body.error.details.some((d: any) => field.test(d.field))).toBe(true);
    }
    const ok = await create({ method: 'GET', params });
    expect(ok.status).toBe(201);
  });

  it('a header the HTTP client sets or cannot send (Transfer-Encoding, Content-Length, Upgrade, Expect, …) is a 422 in a template, as in a webhook\'s headers (templates took them, then every attempt failed)', async () => {
    for (const [name, value] of [['Transfer-Encoding', 'chunked'], ['content-length', '3'], ['Upgrade', 'websocket'], ['Keep-Alive', 'timeout=5'], ['Connection', 'close'], ['Host', 'example.org'], ['Expect', '100-continue']]) {
      const r = await create({ headers: { [name]: value } });
      expect(r.status, name).toBe(422);
      expect(r.body.error.details).toContainEqual({ field: `request.headers.${name}`, message: `${name} is set by Hookbridge and cannot be overridden` });
      const preview = await s.api('POST', '/v1/webhooks/preview', { body: { url: 'https://example.com/h', request: { headers: { [name]: value } }, event: { type: 'message.created' } } });
      expect(preview.status, name).toBe(422);
    }
    const plain = await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/h', events: ['message.created'], headers: { Expect: '100-continue' } } });
    expect(plain.status).toBe(422);
    expect(plain.body.error.details).toContainEqual({ field: 'headers.Expect', message: 'Expect is set by Hookbridge and cannot be overridden' });
  });

  it('preview refuses the webhook headers a webhook cannot be saved with (a reserved name, text beyond Latin-1), with the same 422 (it rendered a request no webhook could send)', async () => {
    for (const headers of [{ Host: 'example.org' }, { 'X-Name': 'Иван' }, { 'X-Line': 'a\r\nb' }]) {
      const saved = await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/h', events: ['message.created'], headers } });
      const preview = await s.api('POST', '/v1/webhooks/preview', { body: { url: 'https://example.com/h', headers, event: { type: 'message.created' } } });
      expect(saved.status, JSON.stringify(headers)).toBe(422);
      expect(preview.status, JSON.stringify(headers)).toBe(422);
      expect(preview.body.error.details).toEqual(saved.body.error.details);
    }
  });

  it('preview renders the exact request without sending it', async () => {
    const before = rcv.requests.length;
    const r = await s.api('POST', '/v1/webhooks/preview', {
      body: { url: `${rcv.url}/preview`, request: { method: 'POST', format: 'form', params }, secret: SECRET, event: { type: 'message.created', data } },
    });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ method: 'POST', url: `${rcv.url}/preview`, body: bracketForm });
    expect(r.body.data.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(r.body.data.headers['X-Hookbridge-Signature']).toBe(`sha256=${crypto.createHmac('sha256', SECRET).update(bracketForm).digest('hex')}`);
    await new Promise((res) => setTimeout(res, 200));
    expect(rcv.requests.length).toBe(before);
    const bad = await s.api('POST', '/v1/webhooks/preview', { body: { url: 'x', request: { format: 'xml' }, event: { type: 'a' } } });
    expect(bad.status).toBe(422);
  });
});

describe('event → actions (seed 003)', () => {
  it('GET /v1/event-types/{name}/webhooks lists the webhooks of one event in the order they were added', async () => {
    await s.api('POST', '/v1/event-types', { body: { name: 'call.after', description: 'After a call' } });
    const names = ['GA', 'CRM', 'Slack'];
    for (const name of names) {
      const r = await s.api('POST', '/v1/webhooks', { body: { name, url: `${rcv.url}/${name}`, events: name === 'Slack' ? ['call.*'] : ['call.after'] } });
      expect(r.status).toBe(201);
    }
    await s.api('POST', '/v1/webhooks', { body: { name: 'Other', url: `${rcv.url}/o`, events: ['message.created'] } });
    const r = await s.api('GET', '/v1/event-types/call.after/webhooks');
    expect(r.status).toBe(200);
    expect(r.body.data.map((w: any) => w.name)).toEqual(names);
    // A list like every other: paged, in the same order.
    expect(r.body.pagination).toEqual({ total: 3, limit: 50, offset: 0, hasMore: false });
    const second = await s.api('GET', '/v1/event-types/call.after/webhooks?limit=2&offset=1');
    expect(second.body.data.map((w: any) => w.name)).toEqual(['CRM', 'Slack']);
    expect(second.body.pagination).toEqual({ total: 3, limit: 2, offset: 1, hasMore: false });
    const first = await s.api('GET', '/v1/event-types/call.after/webhooks?limit=2');
    expect(first.body.pagination.hasMore).toBe(true);
    expect((await s.api('GET', '/v1/event-types/call.after/webhooks?limit=0')).status).toBe(400);
    expect((await s.api('GET', '/v1/event-types/no.such/webhooks')).status).toBe(404);
  });
});
