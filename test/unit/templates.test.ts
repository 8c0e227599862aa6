import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import {
  renderTemplate,
  validateTemplate,
  type RequestTemplate,
  type TemplateContext,
  type TemplateParam,
} from '../../src/core/templates.js';

// Digests computed here independently of the module under test.
const md5 = (s: string) => crypto.createHash('md5').update(s, 'utf8').digest('hex');
const sha1 = (s: string) => crypto.createHash('sha1').update(s, 'utf8').digest('hex');
const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
const crc32 = (s: string) => zlib.crc32(Buffer.from(s, 'utf8')).toString(16).padStart(8, '0');

const ctx: TemplateContext = {
  event: { id: 'evt_1', type: 'call.ended', createdAt: '2024-03-05T07:08:09.123Z' },
  data: {
    call: {
      id: 'c-42',
      duration: 65,
      answered: true,
      note: null,
      from: '+380 44 123',
      startedAt: '2024-03-05T10:08:09+03:00',
      tags: ['vip', 'ua'],
      extra: { x: 1, y: 'z' },
    },
    client: { name: 'Іван & Co' },
  },
  webhook: { secret: 'whsec_s3cr3t' },
  deliveryId: 'dlv_9',
};

const BASE_URL = 'https://crm.example.test/hook';
// What a sender hands in: its own headers, including the envelope's Content-Type.
const BASE_HEADERS = { 'User-Agent': 'Hookbridge-Webhooks/1.0', 'X-Hookbridge-Event': 'call.ended', 'Content-Type': 'application/json' };

// One param list with every shape: typed text, string text, array, nested object, hash.
const PARAMS: TemplateParam[] = [
  { name: 'event', type: 'text', value: '{{event.type}}' },
  { name: 'duration', type: 'text', value: '{{data.call.duration}}' },
  { name: 'caller', type: 'text', value: 'tel:{{ data.call.from }}' },
  { name: 'tags', type: 'array', value: ['{{data.call.tags.0}}', 'b'] },
  {
    name: 'extra',
    type: 'object',
    value: [
      { name: 'duration', type: 'text', value: '{{data.call.duration}}' },
      { name: 'nested', type: 'object', value: [{ name: 'x', type: 'text', value: '1' }] },
    ],
  },
  { name: 'sign', type: 'md5', value: '{{event.id}}{{webhook.secret}}' },
];
const SIGN = md5('evt_1whsec_s3cr3t');
const JSON_PARAMS = `{"event":"call.ended","duration":65,"caller":"tel:+380 44 123","tags":["vip","b"],"extra":{"duration":65,"nested":{"x":"1"}},"sign":"${SIGN}"}`;
const FORM_PARAMS = `event=call.ended&duration=65&caller=tel%3A%2B380%2044%20123&tags[0]=vip&tags[1]=b&extra[duration]=65&extra[nested][x]=1&sign=${SIGN}`;

const render = (t: RequestTemplate, url = BASE_URL, headers: Record<string, string> = BASE_HEADERS, c = ctx) =>
  renderTemplate(t, url, headers, c);

function contentType(h: Record<string, string>): string | undefined {
  const keys = Object.keys(h).filter((k) => k.toLowerCase() === 'content-type');
  expect(keys.length).toBeLessThanOrEqual(1);
  return keys.length ? h[keys[0]] : undefined;
}

describe('GET: params in the query string (format is irrelevant)', () => {
  it('text params: typed and templated values stringified and encoded; no body, no Content-Type', () => {
    const r = render({ method: 'GET', format: 'json', params: PARAMS.slice(0, 3) });
    expect(r.method).toBe('GET');
    expect(r.url).toBe('https://crm.example.test/hook?event=call.ended&duration=65&caller=tel%3A%2B380%2044%20123');
    expect(r.body).toBeUndefined();
    expect(contentType(r.headers)).toBeUndefined();
    expect(r.headers).toEqual({ 'User-Agent': 'Hookbridge-Webhooks/1.0', 'X-Hookbridge-Event': 'call.ended' });
    expect(r.missing).toEqual([]);
  });

  it('array params: indexed brackets, appended to an existing query with &', () => {
    const r = render(
      { method: 'GET', params: [{ name: 'tags', type: 'array', value: ['{{data.call.tags.0}}', '{{data.call.tags.1}}', 'a b'] }] },
      'https://crm.example.test/hook?token=abc',
    );
    expect(r.url).toBe('https://crm.example.test/hook?token=abc&tags[0]=vip&tags[1]=ua&tags[2]=a%20b');
    expect(new URL(r.url).searchParams.getAll('tags[2]')).toEqual(['a b']);
    expect(r.body).toBeUndefined();
  });

  it('object params: nested brackets; a lone placeholder yielding an object expands too; URL ending in ?', () => {
    const r = render(
      {
        method: 'GET',
        format: 'form',
        params: [
          PARAMS[4],
          { name: 'raw', type: 'text', value: '{{data.call.extra}}' },
          { name: 'who', type: 'object', value: [{ name: 'name & role', type: 'text', value: '{{data.client.name}}' }] },
        ],
      },
      'https://crm.example.test/hook?',
    );
    expect(r.url).toBe(
      'https://crm.example.test/hook?extra[duration]=65&extra[nested][x]=1&raw[x]=1&raw[y]=z&who[name%20%26%20role]=%D0%86%D0%B2%D0%B0%D0%BD%20%26%20Co',
    );
    expect(new URL(r.url).searchParams.get('who[name & role]')).toBe('Іван & Co');
  });

  it('hash params: md5, sha1, sha256, crc32 hex digests; query goes before a #fragment', () => {
    const tpl = '{{event.id}}:{{data.client.name}}:{{webhook.secret}}';
    const input = 'evt_1:Іван & Co:whsec_s3cr3t';
    const r = render(
      {
        method: 'GET',
        params: (['md5', 'sha1', 'sha256', 'crc32'] as const).map((type) => ({ name: type, type, value: tpl })),
      },
      'https://crm.example.test/hook#top',
    );
    expect(r.url).toBe(
      `https://crm.example.test/hook?md5=${md5(input)}&sha1=${sha1(input)}&sha256=${sha256(input)}&crc32=${crc32(input)}#top`,
    );
    expect(crc32(input)).toMatch(/^[0-9a-f]{8}$/);
  });

  it('no params: the URL is left as it is', () => {
    expect(render({ method: 'GET' }, 'https://crm.example.test/hook?a=1').url).toBe('https://crm.example.test/hook?a=1');
  });
});

describe.each(['POST', 'PUT'] as const)('%s bodies', (method) => {
  it('json: the params as an object, application/json', () => {
    const r = render({ method, format: 'json', params: PARAMS });
    expect(r.method).toBe(method);
    expect(r.url).toBe(BASE_URL);
    expect(contentType(r.headers)).toBe('application/json');
    expect(r.body).toBe(JSON_PARAMS);
    expect(r.missing).toEqual([]);
  });

  it('form: url-encoded pairs, brackets literal, application/x-www-form-urlencoded', () => {
    const r = render({ method, format: 'form', params: PARAMS });
    expect(r.method).toBe(method);
    expect(r.url).toBe(BASE_URL);
    expect(contentType(r.headers)).toBe('application/x-www-form-urlencoded');
    expect(r.body).toBe(FORM_PARAMS);
    const parsed = new URLSearchParams(r.body);
    expect(parsed.get('caller')).toBe('tel:+380 44 123');
    expect(parsed.get('extra[nested][x]')).toBe('1');
  });

  it('json-rpc: jsonrpc 2.0 envelope with the delivery id, application/json', () => {
    const r = render({ method, format: 'json-rpc', rpcMethod: 'calls.{{event.type}}', params: PARAMS });
    expect(r.method).toBe(method);
    expect(r.url).toBe(BASE_URL);
    expect(contentType(r.headers)).toBe('application/json');
    expect(r.body).toBe(`{"jsonrpc":"2.0","method":"calls.call.ended","params":${JSON_PARAMS},"id":"dlv_9"}`);
    expect(JSON.parse(r.body!)).toMatchObject({ jsonrpc: '2.0', id: 'dlv_9', params: { duration: 65 } });
  });

  it('raw: the rendered rawBody as text/plain; Content-Type can be overridden', () => {
    const rawBody = '<call id="{{data.call.id}}" d="{{ data.call.duration }}" at="{{event.createdAt}}"/>';
    const r = render({ method, format: 'raw', rawBody, params: PARAMS });
    expect(r.method).toBe(method);
    expect(r.url).toBe(BASE_URL);
    expect(contentType(r.headers)).toBe('text/plain');
    expect(r.body).toBe('<call id="c-42" d="65" at="2024-03-05T07:08:09.123Z"/>');

    const xml = render({ method, format: 'raw', rawBody, headers: { 'content-type': 'application/xml' } });
    expect(xml.headers['content-type']).toBe('application/xml');
    expect(xml.headers['Content-Type']).toBeUndefined();
    expect(xml.body).toBe(r.body);
  });
});

describe('defaults and edge shapes', () => {
  it('no method/format means POST json; no params means {}', () => {
    const r = render({});
    expect(r).toEqual({ method: 'POST', url: BASE_URL, headers: BASE_HEADERS, body: '{}', missing: [] });
  });

  it('keeps param order in the body, even for integer-like names', () => {
    const r = render({
      params: [
        { name: 'b', type: 'text', value: '1' },
        { name: '2', type: 'text', value: '2' },
        { name: '1', type: 'text', value: '3' },
      ],
    });
    expect(r.body).toBe('{"b":"1","2":"2","1":"3"}');
  });

  it('a lone placeholder keeps its JSON type; with other text it is a string', () => {
    const r = render({
      params: [
        { name: 'n', type: 'text', value: '{{data.call.duration}}' },
        { name: 's', type: 'text', value: '{{data.call.duration}}s' },
        { name: 'b', type: 'text', value: '{{ data.call.answered }}' },
        { name: 'z', type: 'text', value: '{{data.call.note}}' },
        { name: 'o', type: 'text', value: '{{data.call.extra}}' },
        { name: 'os', type: 'text', value: 'x={{data.call.extra}}' },
        { name: 'a', type: 'array', value: ['{{data.call.duration}}', '{{data.call.tags}}'] },
        { name: 'sp', type: 'text', value: ' {{data.call.duration}}' },
      ],
    });
    expect(JSON.parse(r.body!)).toEqual({
      n: 65,
      s: '65s',
      b: true,
      z: null,
      o: { x: 1, y: 'z' },
      os: 'x={"x":1,"y":"z"}',
      a: [65, ['vip', 'ua']],
      sp: ' 65',
    });
    expect(r.missing).toEqual([]); // null is a value, not a missing path
  });

  it('form and query stringify everything: true, null → "", numbers', () => {
    const r = render({
      format: 'form',
      params: [
        { name: 'b', type: 'text', value: '{{data.call.answered}}' },
        { name: 'z', type: 'text', value: '{{data.call.note}}' },
      ],
    });
    expect(r.body).toBe('b=true&z=');
  });

  it('{{data}} is the whole payload; {{delivery.id}} and {{event.*}} resolve', () => {
    const r = render({
      params: [
        { name: 'all', type: 'text', value: '{{data}}' },
        { name: 'ids', type: 'text', value: '{{event.id}}/{{delivery.id}}/{{event.type}}' },
      ],
    });
    expect(JSON.parse(r.body!)).toEqual({ all: ctx.data, ids: 'evt_1/dlv_9/call.ended' });
  });
});

describe('hash params', () => {
  it('all four match digests computed with node:crypto / zlib, in a json body', () => {
    const tpl = '{{data.call.id}}|{{data.call.duration}}|{{webhook.secret}}';
    const input = 'c-42|65|whsec_s3cr3t';
    const r = render({ params: (['md5', 'crc32', 'sha1', 'sha256'] as const).map((type) => ({ name: type, type, value: tpl })) });
    expect(JSON.parse(r.body!)).toEqual({ md5: md5(input), crc32: crc32(input), sha1: sha1(input), sha256: sha256(input) });
  });

  it('crc32 is 8 lowercase hex digits, zero-padded (known vectors)', () => {
    const r = render({
      params: [
        { name: 'check', type: 'crc32', value: '123456789' },
        { name: 'padded', type: 'crc32', value: '{{event.id}}' },
      ],
    }, BASE_URL, {}, { ...ctx, event: { ...ctx.event, id: 'evt_422' } });
    // CRC-32/ISO-HDLC check value; crc32('evt_422') = 0x6043a6 needs two leading zeros.
    expect(JSON.parse(r.body!)).toEqual({ check: 'cbf43926', padded: '006043a6' });
  });

  it('crc32 without zlib.crc32 (Node < 20.15) falls back to the same CRC-32', async () => {
    vi.resetModules();
    vi.doMock('node:zlib', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:zlib')>();
      return { ...real, crc32: undefined, default: { ...real, crc32: undefined } };
    });
    try {
      const mod = await import('../../src/core/templates.js');
      const inputs = ['123456789', 'evt_422', 'Іван & Co 👋', '', 'x'.repeat(1000)];
      const r = mod.renderTemplate(
        { params: inputs.map((value, i) => ({ name: `p${i}`, type: 'crc32', value: value || '{{data.none}}' })) },
        BASE_URL,
        {},
        ctx,
      );
      expect(Object.values(JSON.parse(r.body!))).toEqual(inputs.map(crc32));
    } finally {
      vi.doUnmock('node:zlib');
      vi.resetModules();
    }
  });

  it('a hash with a missing placeholder hashes what rendered and reports it', () => {
    const r = render({ params: [{ name: 'h', type: 'sha1', value: 'a{{data.nope}}b' }] });
    expect(JSON.parse(r.body!)).toEqual({ h: sha1('ab') });
    expect(r.missing).toEqual(['data.nope']);
  });
});

describe('headers', () => {
  it('start from base headers, override case-insensitively, null removes, values are templates', () => {
    const r = render(
      {
        params: [],
        headers: {
          'x-hookbridge-event': 'evt:{{event.type}}',
          'User-Agent': null,
          'X-Sign': '{{webhook.secret}}',
          'X-Absent': null,
        },
      },
      BASE_URL,
      BASE_HEADERS,
    );
    expect(r.headers).toEqual({ 'Content-Type': 'application/json', 'x-hookbridge-event': 'evt:call.ended', 'X-Sign': 'whsec_s3cr3t' });
  });

  it('null removes the default Content-Type', () => {
    const r = render({ format: 'form', params: PARAMS, headers: { 'content-TYPE': null } });
    expect(contentType(r.headers)).toBeUndefined();
    expect(r.body).toBe(FORM_PARAMS);
  });

  it('the format default replaces a Content-Type in the base headers; a GET may still set one explicitly', () => {
    expect(render({ format: 'raw', rawBody: 'x' }, BASE_URL, { 'content-type': 'application/json' }).headers).toEqual({
      'Content-Type': 'text/plain',
    });
    expect(render({ method: 'GET', headers: { Accept: 'application/json', 'Content-Type': 'text/csv' } }).headers['Content-Type']).toBe(
      'text/csv',
    );
  });

  it('line breaks from data cannot split a header', () => {
    const r = render({ headers: { 'X-Name': '{{data.s}}' } }, BASE_URL, {}, { ...ctx, data: { s: 'a\r\nX-Evil: 1' } });
    expect(r.headers['X-Name']).toBe('a X-Evil: 1');
  });
});

describe('missing placeholders', () => {
  it('render as empty, are reported once each in order, never throw', () => {
    const r = render({
      params: [
        { name: 'a', type: 'text', value: '{{data.nope}}' },
        { name: 'b', type: 'text', value: 'x{{data.call.tags.5}}y{{data.nope}}' },
        { name: 'c', type: 'array', value: ['{{data.call.id.deeper}}'] },
        { name: 'd', type: 'text', value: '{{data.constructor}}' },
      ],
      headers: { 'X-H': '{{data.header.value}}' },
    });
    expect(JSON.parse(r.body!)).toEqual({ a: '', b: 'xy', c: [''], d: '' });
    expect(r.headers['X-H']).toBe('');
    expect(r.missing).toEqual(['data.nope', 'data.call.tags.5', 'data.call.id.deeper', 'data.constructor', 'data.header.value']);
  });

  it('an unknown root reaching the renderer (unvalidated template) is missing, not a crash', () => {
    const r = render({ format: 'raw', rawBody: '[{{foo.bar}}]' });
    expect(r.body).toBe('[]');
    expect(r.missing).toEqual(['foo.bar']);
  });

  it('{{data.x}} with data not an object is missing', () => {
    const r = render({ params: [{ name: 'a', type: 'text', value: '{{data.x}}' }] }, BASE_URL, {}, { ...ctx, data: 'scalar' });
    expect(r.missing).toEqual(['data.x']);
  });
});

describe('dateFormat', () => {
  const dateParams: TemplateParam[] = [
    { name: 'created', type: 'text', value: '{{event.createdAt}}' },
    { name: 'started', type: 'text', value: '{{data.call.startedAt}}' },
    { name: 'label', type: 'text', value: 'at {{event.createdAt}}' },
  ];

  it('iso (default) leaves date strings exactly as they are', () => {
    for (const dateFormat of [undefined, 'iso']) {
      const r = render({ dateFormat, params: dateParams });
      expect(JSON.parse(r.body!)).toEqual({
        created: '2024-03-05T07:08:09.123Z',
        started: '2024-03-05T10:08:09+03:00',
        label: 'at 2024-03-05T07:08:09.123Z',
      });
    }
  });

  it('unix: seconds, a JSON number for a lone placeholder; offsets honoured', () => {
    const r = render({ dateFormat: 'unix', params: dateParams });
    expect(r.body).toBe('{"created":1709622489,"started":1709622489,"label":"at 1709622489"}');
  });

  it('unix_ms: milliseconds', () => {
    const r = render({ dateFormat: 'unix_ms', params: dateParams });
    expect(JSON.parse(r.body!)).toEqual({ created: 1709622489123, started: 1709622489000, label: 'at 1709622489123' });
  });

  it('pattern in UTC, also in the query string of a GET', () => {
    const r = render({ method: 'GET', dateFormat: 'YYYY-MM-DD HH:mm:ss', params: dateParams });
    expect(new URL(r.url).searchParams.get('created')).toBe('2024-03-05 07:08:09');
    expect(new URL(r.url).searchParams.get('started')).toBe('2024-03-05 07:08:09');
    const ms = render({ dateFormat: 'DD.MM.YYYY/SSS', params: dateParams.slice(0, 1) });
    expect(ms.body).toBe('{"created":"05.03.2024/123"}');
  });

  it('formats date-times inside objects and arrays a placeholder yields, without touching the data', () => {
    const data = { call: { at: '2024-01-02T03:04:05Z', list: ['2024-01-02T03:04:05.5+01:00', 'plain'], n: 1 } };
    const before = JSON.stringify(data);
    const r = render({ dateFormat: 'unix', params: [{ name: 'call', type: 'text', value: '{{data.call}}' }] }, BASE_URL, {}, { ...ctx, data });
    expect(JSON.parse(r.body!)).toEqual({ call: { at: 1704164645, list: [1704161045, 'plain'], n: 1 } });
    expect(JSON.stringify(data)).toBe(before);
  });

  it('only ISO-8601 date-times are dates: date-only, impossible dates and other text stay', () => {
    const data = {
      d: '2024-03-05',
      bad: '2024-02-30T10:00:00Z',
      notLeap: '2023-02-29T10:00:00Z',
      leap: '2024-02-29T00:00:00Z',
      txt: 'call at 2024-03-05T10:00:00Z',
      local: '2024-03-05T10:00',
    };
    const r = render(
      {
        dateFormat: 'unix',
        params: Object.keys(data).map((k) => ({ name: k, type: 'text' as const, value: `{{data.${k}}}` })),
      },
      BASE_URL,
      {},
      { ...ctx, data },
    );
    // No offset → read as UTC (deterministic whatever the server's zone).
    expect(JSON.parse(r.body!)).toEqual({
      d: '2024-03-05',
      bad: '2024-02-30T10:00:00Z',
      notLeap: '2023-02-29T10:00:00Z',
      leap: 1709164800,
      txt: 'call at 2024-03-05T10:00:00Z',
      local: 1709632800,
    });
  });

  it('hashes see the formatted date', () => {
    const r = render({ dateFormat: 'unix', params: [{ name: 'h', type: 'sha256', value: '{{event.createdAt}}' }] });
    expect(JSON.parse(r.body!)).toEqual({ h: sha256('1709622489') });
  });
});

describe('object params carry their children in params (SPEC §4.4); value is an alias', () => {
  const SPEC_PARAMS: TemplateParam[] = [
    {
      name: 'extra',
      type: 'object',
      params: [
        { name: 'duration', type: 'text', value: '{{data.call.duration}}' },
        { name: 'nested', type: 'object', params: [{ name: 'x', type: 'text', value: '1' }] },
      ],
    },
  ];

  it('a template written from the spec is valid and renders the nested object (json, form, GET)', () => {
    expect(validateTemplate({ params: SPEC_PARAMS })).toEqual([]);
    expect(JSON.parse(render({ format: 'json', params: SPEC_PARAMS }).body!)).toEqual({ extra: { duration: 65, nested: { x: '1' } } });
    expect(render({ format: 'form', params: SPEC_PARAMS }).body).toBe('extra[duration]=65&extra[nested][x]=1');
    expect(render({ method: 'GET', params: SPEC_PARAMS }).url).toBe(`${BASE_URL}?extra[duration]=65&extra[nested][x]=1`);
  });

  it('the value alias renders exactly the same request', () => {
    const alias = [PARAMS[4]];
    expect(validateTemplate({ params: alias })).toEqual([]);
    expect(render({ format: 'form', params: alias })).toEqual(render({ format: 'form', params: SPEC_PARAMS }));
  });

  it('problems inside params are named by their path under params', () => {
    const issues = validateTemplate({
      params: [{ name: 'o', type: 'object', params: [{ name: 'a', type: 'text', value: '{{nope}}' }, { name: 'a', type: 'blob', value: '' }] }],
    });
    expect(issues.map((i) => i.field)).toEqual(['request.params[0].params[0].value', 'request.params[0].params[1].name', 'request.params[0].params[1].type']);
  });

  it('an object with neither, with both, or with params that are not a list is refused; params on other types too', () => {
    const fields = (t: unknown) => validateTemplate(t).map((i) => i.field);
    const none = validateTemplate({ params: [{ name: 'o', type: 'object' }] });
    expect(none).toEqual([{ field: 'request.params[0].params', message: expect.stringMatching(/object param needs .*params/) }]);
    const both = validateTemplate({ params: [{ name: 'o', type: 'object', params: [], value: [] }] });
    expect(both).toEqual([{ field: 'request.params[0]', message: expect.stringMatching(/params or value, not both/) }]);
    expect(fields({ params: [{ name: 'o', type: 'object', params: 'x' }] })).toEqual(['request.params[0].params']);
    const onText = validateTemplate({ params: [{ name: 't', type: 'text', value: 'x', params: [] }] });
    expect(onText).toEqual([{ field: 'request.params[0].params', message: expect.stringMatching(/only an object param has params/) }]);
  });

  it('nesting through params counts levels the same way: 10 pass, 11 do not', () => {
    const nest = (levels: number): TemplateParam[] =>
      levels === 1 ? [{ name: 'leaf', type: 'text', value: 'x' }] : [{ name: `l${levels}`, type: 'object', params: nest(levels - 1) }];
    expect(validateTemplate({ params: nest(10) })).toEqual([]);
    expect(validateTemplate({ params: nest(11) }).map((i) => i.field)).toEqual([`request.params${'[0].params'.repeat(10)}`]);
    expect(render({ params: nest(10) }).body).toContain('{"leaf":"x"}');
  });
});

describe('validateTemplate', () => {
  const fields = (t: unknown) => validateTemplate(t).map((i) => i.field);

  it('accepts complete valid templates', () => {
    expect(validateTemplate({})).toEqual([]);
    expect(validateTemplate({ method: 'POST', format: 'json', params: PARAMS, headers: { 'X-A': '{{event.id}}', 'Content-Type': null }, dateFormat: 'unix' })).toEqual([]);
    expect(validateTemplate({ method: 'PUT', format: 'json-rpc', rpcMethod: 'calls.add', params: PARAMS })).toEqual([]);
    expect(validateTemplate({ format: 'raw', rawBody: '{{data}}' })).toEqual([]);
    expect(validateTemplate({ method: 'GET', format: 'form', params: PARAMS, dateFormat: 'YYYY-MM-DD' })).toEqual([]);
    // For a GET the format is irrelevant, so its body fields are not required.
    expect(validateTemplate({ method: 'GET', format: 'json-rpc' })).toEqual([]);
    expect(validateTemplate({ method: 'GET', format: 'raw' })).toEqual([]);
  });

  it('anything that is not an object is one issue', () => {
    for (const t of [null, undefined, 'GET', 42, [], [{ method: 'GET' }]]) {
      const issues = validateTemplate(t);
      expect(issues).toHaveLength(1);
      expect(issues[0].field).toBe('request');
      expect(issues[0].message).toMatch(/must be an object/);
    }
  });

  it('unknown method, format and param type', () => {
    const issues = validateTemplate({
      method: 'PATCH',
      format: 'xml',
      params: [
        { name: 'a', type: 'text', value: 'x' },
        { name: 'b', type: 'text', value: 'y' },
        { name: 'c', type: 'hash', value: 'z' },
      ],
    });
    expect(issues.map((i) => i.field)).toEqual(['request.method', 'request.format', 'request.params[2].type']);
    expect(issues[0].message).toMatch(/"PATCH".*GET, POST or PUT/);
    expect(issues[1].message).toMatch(/"xml".*json, raw, json-rpc or form/);
    expect(issues[2].message).toMatch(/"hash"/);
    expect(fields({ method: 'get' })).toEqual(['request.method']);
    expect(fields({ method: null })).toEqual(['request.method']);
    expect(fields({ params: [{ name: 'a', value: 'x' }] })).toEqual(['request.params[0].type']);
  });

  it('missing, empty and duplicate names (per level)', () => {
    expect(fields({ params: [{ type: 'text', value: 'x' }] })).toEqual(['request.params[0].name']);
    expect(fields({ params: [{ name: '  ', type: 'text', value: 'x' }] })).toEqual(['request.params[0].name']);
    expect(fields({ params: [{ name: 5, type: 'text', value: 'x' }] })).toEqual(['request.params[0].name']);
    const dup = validateTemplate({
      params: [
        { name: 'a', type: 'text', value: 'x' },
        { name: 'o', type: 'object', value: [{ name: 'a', type: 'text', value: '1' }, { name: 'a', type: 'text', value: '2' }] },
        { name: 'a', type: 'text', value: 'y' },
      ],
    });
    expect(dup.map((i) => i.field)).toEqual(['request.params[1].value[1].name', 'request.params[2].name']);
    expect(dup[1].message).toMatch(/duplicate name "a".*request\.params\[0\]/);
  });

  it('wrong value shape for the type', () => {
    expect(
      fields({
        params: [
          { name: 't', type: 'text', value: ['x'] },
          { name: 'a', type: 'array', value: 'x' },
          { name: 'a2', type: 'array', value: ['ok', 5] },
          { name: 'o', type: 'object', value: 'x' },
          { name: 'o2', type: 'object', value: [{ name: 'n', type: 'text', value: 7 }] },
          { name: 'h', type: 'md5', value: 12 },
          { name: 'h2', type: 'sha1' },
          'not a param',
        ],
      }),
    ).toEqual([
      'request.params[0].value',
      'request.params[1].value',
      'request.params[2].value[1]',
      'request.params[3].value',
      'request.params[4].value[0].value',
      'request.params[5].value',
      'request.params[6].value',
      'request.params[7]',
    ]);
    expect(fields({ params: { a: 'x' } })).toEqual(['request.params']);
  });

  it('nesting: 10 levels of params pass, 11 do not', () => {
    const nest = (levels: number): TemplateParam[] =>
      levels === 1 ? [{ name: 'leaf', type: 'text', value: 'x' }] : [{ name: `l${levels}`, type: 'object', value: nest(levels - 1) }];
    expect(validateTemplate({ params: nest(10) })).toEqual([]);
    const issues = validateTemplate({ params: nest(11) });
    expect(issues).toEqual([{ field: `request.params${'[0].value'.repeat(10)}`, message: expect.stringMatching(/deeper than 10 levels/) }]);
    // The renderer keeps the 10 levels it is allowed.
    const body = render({ params: nest(10) }).body!;
    expect(body).toBe(`${'{"l10":{"l9":{"l8":{"l7":{"l6":{"l5":{"l4":{"l3":{"l2":'}{"leaf":"x"}${'}'.repeat(9)}`);
  });

  it('json-rpc needs rpcMethod; raw needs rawBody', () => {
    expect(validateTemplate({ format: 'json-rpc' })).toEqual([{ field: 'request.rpcMethod', message: expect.stringMatching(/json-rpc needs rpcMethod/) }]);
    expect(fields({ method: 'PUT', format: 'json-rpc', rpcMethod: ' ' })).toEqual(['request.rpcMethod']);
    expect(validateTemplate({ method: 'POST', format: 'raw' })).toEqual([{ field: 'request.rawBody', message: expect.stringMatching(/raw needs rawBody/) }]);
    expect(fields({ format: 'raw', rawBody: { a: 1 } })).toEqual(['request.rawBody']);
    expect(fields({ format: 'raw', rawBody: '' })).toEqual([]); // an empty body is a choice, not an omission
  });

  it('unknown placeholder roots, wherever the template is', () => {
    const issues = validateTemplate({
      format: 'raw',
      rawBody: 'x {{ foo.bar }}',
      rpcMethod: '{{rpc}}',
      headers: { 'X-A': '{{secret}}' },
      params: [
        { name: 'a', type: 'text', value: '{{event.foo}} {{event.id}}' },
        { name: 'b', type: 'array', value: ['ok', '{{webhook.url}}'] },
        { name: 'c', type: 'object', value: [{ name: 'd', type: 'sha1', value: '{{}}' }] },
        { name: 'e', type: 'text', value: '{{data..x}}{{Data.x}}' },
      ],
    });
    expect(issues.map((i) => i.field)).toEqual([
      'request.headers.X-A',
      'request.params[0].value',
      'request.params[1].value[1]',
      'request.params[2].value[0].value',
      'request.params[3].value',
      'request.params[3].value',
      'request.rawBody',
      'request.rpcMethod',
    ]);
    expect(issues[0].message).toMatch(/unknown placeholder \{\{secret\}\}/);
    expect(issues[3].message).toMatch(/empty placeholder/);
    expect(issues[6].message).toMatch(/\{\{ foo\.bar \}\}/);
  });

  it('known roots, with blanks inside braces, are fine', () => {
    expect(
      validateTemplate({
        params: [
          { name: 'a', type: 'text', value: '{{ event.id }}{{event.type}}{{event.createdAt}}{{webhook.secret}}{{delivery.id}}' },
          { name: 'b', type: 'text', value: '{{data}}{{data.a.0.b-c}}{{ data.Имя }}' },
        ],
      }),
    ).toEqual([]);
  });

  it('a hash of nothing', () => {
    const issues = validateTemplate({
      params: [
        { name: 'a', type: 'md5', value: '' },
        { name: 'b', type: 'object', value: [{ name: 'c', type: 'crc32', value: '   ' }] },
        { name: 'd', type: 'sha256', value: '{{event.id}}' },
        { name: 'e', type: 'text', value: '' }, // an empty text is fine
      ],
    });
    expect(issues.map((i) => i.field)).toEqual(['request.params[0].value', 'request.params[1].value[0].value']);
    expect(issues[0].message).toMatch(/md5 param needs something to hash/);
    expect(issues[1].message).toMatch(/crc32/);
  });

  it('a template over 64 KiB of JSON (65536 bytes exactly is allowed)', () => {
    const shell = Buffer.byteLength(JSON.stringify({ format: 'raw', rawBody: '' }));
    const at = { format: 'raw', rawBody: 'x'.repeat(65536 - shell) };
    expect(Buffer.byteLength(JSON.stringify(at))).toBe(65536);
    expect(validateTemplate(at)).toEqual([]);
    const over = { format: 'raw', rawBody: 'x'.repeat(65537 - shell) };
    expect(validateTemplate(over)).toEqual([{ field: 'request', message: expect.stringMatching(/65537 bytes.*65536/) }]);
    // Bytes, not characters: 2-byte Cyrillic letters count double.
    expect(fields({ format: 'raw', rawBody: 'я'.repeat(33000) })).toEqual(['request']);
  });

  it('headers: shape, names, values, case-insensitive duplicates', () => {
    expect(fields({ headers: ['X-A'] })).toEqual(['request.headers']);
    expect(fields({ headers: { 'Bad Name': 'x', 'X-N': 5, 'X-Dup': 'a', 'x-dup': null } })).toEqual([
      'request.headers.Bad Name',
      'request.headers.X-N',
      'request.headers.x-dup',
    ]);
  });

  it('dateFormat must be iso, unix, unix_ms or a pattern with a token', () => {
    expect(fields({ dateFormat: 'foo' })).toEqual(['request.dateFormat']);
    expect(fields({ dateFormat: '' })).toEqual(['request.dateFormat']);
    expect(fields({ dateFormat: 1 })).toEqual(['request.dateFormat']);
    expect(fields({ dateFormat: 'HH:mm' })).toEqual([]);
  });

  it('unknown fields are named (typos do not pass silently)', () => {
    expect(fields({ metod: 'GET', params: [{ name: 'a', type: 'text', value: 'x', vaule: 'y' }] })).toEqual([
      'request.metod',
      'request.params[0].vaule',
    ]);
  });

  it('reports every problem at once', () => {
    expect(fields({ method: 'DELETE', format: 'json-rpc', params: [{ name: '', type: 'sha1', value: '' }] })).toEqual([
      'request.method',
      'request.params[0].name',
      'request.params[0].value',
      'request.rpcMethod',
    ]);
  });
});
