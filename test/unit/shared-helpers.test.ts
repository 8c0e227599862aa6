/**
 * Issue 9 item 15: helpers that each had two or more copies, now one each. These pin the
 * behaviour every caller relies on (filters, templates and dedupe read paths alike; the
 * inbound sources and the meetings webhook answer CORS alike).
 */
import { describe, expect, it } from 'vitest';
import { getPath, readPath, webhookMatches } from '../../src/core/matching.js';
import { flattenHeaders, isHeaderName } from '../../src/core/headers.js';
import { safeEqual } from '../../src/core/signing.js';
import { corsFor, preflightHeaders } from '../../src/inbound/limits.js';

describe('readPath (filters, templates, dedupe)', () => {
  const data = { order: { id: 7, items: [{ sku: 'a' }, { sku: 'b' }] }, 'no.dots': 1 };

  it('walks own properties and array indexes', () => {
    expect(readPath(data, ['order', 'id'])).toBe(7);
    expect(readPath(data, ['order', 'items', '1', 'sku'])).toBe('b');
    expect(readPath(data, [])).toBe(data);
  });

  it('is undefined for anything missing, and never reads a prototype or an array length', () => {
    expect(readPath(data, ['order', 'nope'])).toBeUndefined();
    expect(readPath(data, ['order', 'items', '5', 'sku'])).toBeUndefined();
    expect(readPath(data, ['order', 'items', 'length'])).toBeUndefined();
    expect(readPath(data, ['order', 'constructor'])).toBeUndefined();
    expect(readPath(data, ['__proto__'])).toBeUndefined();
    expect(readPath(null, ['a'])).toBeUndefined();
    expect(readPath('text', ['length'])).toBeUndefined();
  });

  it('a webhook filter reads data through it (`$.` and `data.` prefixes allowed)', () => {
    expect(getPath(data, '$.order.items.0.sku')).toBe('a');
    expect(getPath(data, 'data.order.id')).toBe(7);
    const hook = { events: ['*'], spaces: [], channels: [], filter: { 'order.items.1.sku': 'b' } };
    expect(webhookMatches(hook, { type: 't', data })).toBe(true);
    expect(webhookMatches({ ...hook, filter: { 'order.constructor': null } }, { type: 't', data })).toBe(false);
  });
});

describe('headers', () => {
  it('flattens repeated headers as Node joins them and drops absent ones', () => {
    expect(flattenHeaders({ a: '1', 'set-cookie': ['x=1', 'y=2'], gone: undefined })).toEqual({ a: '1', 'set-cookie': 'x=1, y=2' });
  });

  it('header names are RFC 9110 tokens', () => {
    for (const ok of ['X-Api-Key', 'authorization', "x!#$%&'*+.^_`|~-1"]) expect(isHeaderName(ok), ok).toBe(true);
    for (const bad of ['', 'bad header', 'x:y', 'é', 'a\r\nb']) expect(isHeaderName(bad), bad).toBe(false);
  });
});

describe('safeEqual', () => {
  it('compares strings and bytes of any length', () => {
    expect(safeEqual('token', 'token')).toBe(true);
    expect(safeEqual('token', 'token2')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(safeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
  });
});

describe('corsFor (inbound sources and the meetings webhook)', () => {
  const site = 'https://chat.example.org';

  it('an allowed origin is echoed with Vary, whatever its case or a trailing slash in the list', () => {
    for (const list of [[site], [`${site}/`], ['HTTPS://CHAT.EXAMPLE.ORG']]) {
      expect(corsFor(list, site)).toEqual({
        kind: 'allowed',
        headers: { 'Access-Control-Allow-Origin': site, Vary: 'Origin', 'Access-Control-Expose-Headers': 'Retry-After' },
      });
    }
  });

  it('another origin is refused (with Vary, so caches keep the answers apart)', () => {
    expect(corsFor([site], 'https://evil.example')).toEqual({ kind: 'refused', origin: 'https://evil.example', headers: { Vary: 'Origin' } });
  });

  it('* answers * to everyone; no list or no Origin adds nothing', () => {
    expect(corsFor(['*'], 'https://any.example').headers['Access-Control-Allow-Origin']).toBe('*');
    expect(corsFor(['*'], undefined).kind).toBe('allowed');
    expect(corsFor([], site)).toEqual({ kind: 'none', headers: {} });
    expect(corsFor([site], undefined)).toEqual({ kind: 'none', headers: {} });
  });

  it('preflight: POST and OPTIONS, Content-Type plus the valid header names asked for', () => {
    expect(preflightHeaders({}, undefined)).toEqual({
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '600',
    });
    expect(preflightHeaders({}, 'content-type, X-Hub-Signature-256, bad header')['Access-Control-Allow-Headers']).toBe('Content-Type, X-Hub-Signature-256');
  });
});
