/** verify.ts is pure: the edges of each scheme, checked without a server. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook as SvixWebhook } from 'svix';
import { naturalDedupe, verifyRequest, type VerifyInput } from '../../src/inbound/verify.js';
import { safeEqual } from '../../src/core/signing.js';
import { signHeaders } from '../../src/core/signing.js';

const NOW = 1_700_000_000;
const body = Buffer.from('{"id":"evt_1","n":1}');
const input = (headers: Record<string, string> = {}, query: Record<string, string> = {}): VerifyInput => ({ headers, query, body });

describe('verifyRequest', () => {
  it('hookbridge accepts exactly what Hookbridge signs, rotation included', () => {
    const secrets = ['whsec_new_secret', 'whsec_old_secret'];
    const signed = signHeaders({ scheme: 'hmac-sha256', secrets, body: body.toString(), msgId: 'dlv_1', timestampSec: NOW, prefix: 'Hookbridge' });
    const headers = Object.fromEntries(Object.entries({ ...signed, 'X-Hookbridge-Timestamp': String(NOW) }).map(([k, v]) => [k.toLowerCase(), v]));
    expect(headers['x-hookbridge-signature']).toContain(',');
    for (const secret of secrets) expect(verifyRequest({ type: 'hookbridge', secret }, input(headers), NOW)).toEqual({ ok: true, type: 'hookbridge' });
    expect(verifyRequest({ type: 'hookbridge', secret: 'whsec_other' }, input(headers), NOW)).toMatchObject({ ok: false, check: 'signature' });
    expect(verifyRequest({ type: 'hookbridge', secret: secrets[0] }, input(headers), NOW + 301)).toMatchObject({ ok: false, check: 'timestamp' });
    expect(verifyRequest({ type: 'hookbridge', secret: secrets[0], tolerance: 600 }, input(headers), NOW + 301)).toMatchObject({ ok: true });
  });

  it('standard accepts what Hookbridge and svix sign, including svix-* header names', () => {
    const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    const ours = signHeaders({ scheme: 'standard', secrets: [secret], body: body.toString(), msgId: 'dlv_9', timestampSec: NOW, prefix: 'Hookbridge' });
    expect(verifyRequest({ type: 'standard', secret }, input(ours), NOW)).toMatchObject({ ok: true });
    const svix = new SvixWebhook(secret).sign('msg_1', new Date(NOW * 1000), body.toString());
    expect(verifyRequest({ type: 'standard', secret }, input({ 'svix-id': 'msg_1', 'svix-timestamp': String(NOW), 'svix-signature': svix }), NOW)).toMatchObject({ ok: true });
    expect(verifyRequest({ type: 'standard', secret }, input({ ...ours, 'webhook-timestamp': String(NOW + 1) }), NOW)).toMatchObject({ ok: false, check: 'signature' });
    expect(verifyRequest({ type: 'standard', secret }, input({ ...ours, 'webhook-timestamp': 'soon' }), NOW)).toMatchObject({ ok: false, check: 'timestamp' });
  });

  it('hmac refuses malformed digests rather than decoding them partially', () => {
    const secret = 's3cret';
    const hex = createHmac('sha1', secret).update(body).digest('hex');
    const v = { type: 'hmac' as const, header: 'X-Sig', algorithm: 'sha1' as const, encoding: 'hex' as const, prefix: '', secret };
    expect(verifyRequest(v, input({ 'x-sig': hex }), NOW)).toMatchObject({ ok: true });
    expect(verifyRequest(v, input({ 'x-sig': hex.toUpperCase() }), NOW)).toMatchObject({ ok: true });
    // Buffer.from(…, 'hex') stops at the first non-hex character; a valid prefix must not pass.
    expect(verifyRequest(v, input({ 'x-sig': `${hex}zz` }), NOW)).toMatchObject({ ok: false });
    expect(verifyRequest(v, input({ 'x-sig': hex.slice(0, 20) }), NOW)).toMatchObject({ ok: false });
    expect(verifyRequest(v, input({ 'x-sig': '' }), NOW)).toMatchObject({ ok: false, message: expect.stringMatching(/Missing/) });
  });

  it('token and basic compare whole values', () => {
    expect(verifyRequest({ type: 'token', token: 'abcdefgh' }, input({}, { token: 'abcdefgh' }), NOW)).toMatchObject({ ok: true });
    expect(verifyRequest({ type: 'token', token: 'abcdefgh' }, input({}, { token: 'abcdefg' }), NOW)).toMatchObject({ ok: false });
    expect(verifyRequest({ type: 'token', token: 'abcdefgh', header: 'Authorization' }, input({ authorization: 'Bearer abcdefgh' }), NOW)).toMatchObject({ ok: true });
    const basic = (s: string) => input({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    expect(verifyRequest({ type: 'basic', username: 'u', password: '' }, basic('u:'), NOW)).toMatchObject({ ok: true });
    expect(verifyRequest({ type: 'basic', username: 'u', password: 'p' }, basic('u'), NOW)).toMatchObject({ ok: false });
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
  });

  it('presets dedupe by their natural delivery id', () => {
    expect(naturalDedupe({ type: 'github', secret: 'x' })).toEqual({ header: 'X-GitHub-Delivery' });
    expect(naturalDedupe({ type: 'stripe', secret: 'x' })).toEqual({ jsonPath: 'id' });
    expect(naturalDedupe({ type: 'standard', secret: 'x' })).toEqual({ header: 'webhook-id' });
    expect(naturalDedupe({ type: 'hookbridge', secret: 'x', prefix: 'Katya' })).toEqual({ header: 'X-Katya-Delivery' });
    expect(naturalDedupe({ type: 'none' })).toBeNull();
  });
});
