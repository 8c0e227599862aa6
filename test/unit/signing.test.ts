import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import {
  bodySchemeWrap,
  generateSecret,
  isStandardSecret,
  signHeaders,
  type SignOptions,
} from '../../src/core/signing.js';

// Seed 001's sample verifier, copied verbatim (Node part of "Валидация подписи").
function verifyWebhookSignature(payload: string, signature: string, secret: string): boolean {
  const expectedSignature = crypto.createHmac('sha256', secret).update(payload).digest('hex');
  const providedSignature = signature.replace('sha256=', '');
  return crypto.timingSafeEqual(Buffer.from(expectedSignature, 'hex'), Buffer.from(providedSignature, 'hex'));
}

const envelope = {
  id: 'evt_123',
  type: 'message.created',
  createdAt: '2024-01-01T12:00:00Z',
  data: { id: 'msg_456', content: 'Привет, мир! 👋', metadata: { priority: 'normal', encrypted: true } },
};
const body = JSON.stringify(envelope);
const base = { body, msgId: 'dlv_abc', timestampSec: 1640995200, prefix: 'Katya' } satisfies Partial<SignOptions>;

describe('hmac-sha256 scheme', () => {
  it('is accepted by seed 001 verifyWebhookSignature over the re-serialised body', () => {
    const h = signHeaders({ ...base, scheme: 'hmac-sha256', secrets: ['my_webhook_secret'] });
    expect(Object.keys(h)).toEqual(['X-Katya-Signature']);
    const sig = h['X-Katya-Signature'];
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(verifyWebhookSignature(reserialised, sig, 'my_webhook_secret')).toBe(true);
    expect(verifyWebhookSignature(reserialised, sig, 'other_secret')).toBe(false);
    expect(verifyWebhookSignature(reserialised.replace('normal', 'high'), sig, 'my_webhook_secret')).toBe(false);
  });

  it('during rotation sends old first, so the seed verifier on the old secret still passes', () => {
    const h = signHeaders({ ...base, scheme: 'hmac-sha256', secrets: ['new_secret', 'old_secret'] });
    const sig = h['X-Katya-Signature'];
    const parts = sig.split(',');
    expect(parts).toHaveLength(2);
    const hex = (secret: string) => crypto.createHmac('sha256', secret).update(body).digest('hex');
    expect(parts[0]).toBe(`sha256=${hex('old_secret')}`);
    expect(parts[1]).toBe(`sha256=${hex('new_secret')}`);
    // The seed verifier, fed the whole header, reads only the first value.
    expect(verifyWebhookSignature(body, sig, 'old_secret')).toBe(true);
    expect(verifyWebhookSignature(body, sig, 'new_secret')).toBe(false);
    // A receiver that switched early splits on commas.
    expect(parts.some((p) => verifyWebhookSignature(body, p, 'new_secret'))).toBe(true);
  });

  it('uses the prefix and rejects bad input', () => {
    const h = signHeaders({ ...base, prefix: 'Hookbridge', scheme: 'hmac-sha256', secrets: ['s'] });
    expect(h).toHaveProperty('X-Hookbridge-Signature');
    expect(() => signHeaders({ ...base, scheme: 'hmac-sha256', secrets: [] })).toThrow(/secret/);
    expect(() => signHeaders({ ...base, prefix: 'Bad Prefix', scheme: 'hmac-sha256', secrets: ['s'] })).toThrow();
  });

  it('collapses a duplicate secret to one signature', () => {
    const h = signHeaders({ ...base, scheme: 'hmac-sha256', secrets: ['same', 'same'] });
    expect(h['X-Katya-Signature'].split(',')).toHaveLength(1);
  });
});

describe('standard scheme', () => {
  const now = () => Math.floor(Date.now() / 1000); // the verifiers check ±5 min against the real clock

  it('verifies with standardwebhooks and svix', () => {
    const secret = generateSecret();
    const h = signHeaders({ ...base, timestampSec: now(), scheme: 'standard', secrets: [secret] });
    expect(h['webhook-id']).toBe('dlv_abc');
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new StandardWebhook(secret).verify(body, h)).toEqual(envelope);
    expect(new SvixWebhook(secret).verify(body, h)).toEqual(envelope);
    expect(() => new StandardWebhook(generateSecret()).verify(body, h)).toThrow();
    expect(() => new SvixWebhook(secret).verify(body + ' ', h)).toThrow();
  });

  it('verifies with both current and old secret during rotation', () => {
    const current = generateSecret();
    const old = generateSecret();
    const h = signHeaders({ ...base, timestampSec: now(), scheme: 'standard', secrets: [current, old] });
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [current, old]) {
      expect(new StandardWebhook(s).verify(body, h)).toEqual(envelope);
      expect(new SvixWebhook(s).verify(body, h)).toEqual(envelope);
    }
    expect(() => new SvixWebhook(generateSecret()).verify(body, h)).toThrow();
  });

  it('signs the timestamp (a changed timestamp fails verification)', () => {
    const secret = generateSecret();
    const h = signHeaders({ ...base, timestampSec: now(), scheme: 'standard', secrets: [secret] });
    const tampered = { ...h, 'webhook-timestamp': String(now() - 1) };
    expect(() => new StandardWebhook(secret).verify(body, tampered)).toThrow();
  });

  it('matches the library signer byte for byte', () => {
    const secret = generateSecret();
    const ts = now();
    const h = signHeaders({ ...base, timestampSec: ts, scheme: 'standard', secrets: [secret] });
    expect(h['webhook-signature']).toBe(new StandardWebhook(secret).sign('dlv_abc', new Date(ts * 1000), body));
  });
});

describe('body and none schemes', () => {
  it('emit no signature headers', () => {
    expect(signHeaders({ ...base, scheme: 'body', secrets: ['s'] })).toEqual({});
    expect(signHeaders({ ...base, scheme: 'none', secrets: [] })).toEqual({});
  });

  it('bodySchemeWrap matches the seed 002 one-liner', () => {
    const secret = 'space-secret';
    const payload = { eventName: 'record_finished', roomId: 'r1', spaceId: 's1', recordId: 'rec-ё' };
    const wire = bodySchemeWrap(secret, payload);
    const expected = crypto.createHmac('sha256', secret).update(JSON.stringify(payload), 'utf8').digest('hex');
    expect(wire).toBe(JSON.stringify({ signature: expected, body: payload }));
    // What a receiver does: parse, re-stringify body, compare.
    const got = JSON.parse(wire) as { signature: string; body: unknown };
    const recomputed = crypto.createHmac('sha256', secret).update(JSON.stringify(got.body), 'utf8').digest('hex');
    expect(got.signature).toBe(recomputed);
    expect(() => bodySchemeWrap(secret, undefined)).toThrow();
  });
});

describe('secrets', () => {
  it('generateSecret produces distinct standard secrets of 32 bytes', () => {
    const a = generateSecret();
    expect(a).not.toBe(generateSecret());
    expect(isStandardSecret(a)).toBe(true);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
  });

  it('isStandardSecret rejects other shapes', () => {
    expect(isStandardSecret('whsec_' + Buffer.alloc(16, 7).toString('base64'))).toBe(true);
    expect(isStandardSecret('whsec_' + Buffer.alloc(15, 7).toString('base64'))).toBe(false);
    expect(isStandardSecret('my_webhook_secret')).toBe(false);
    expect(isStandardSecret('whsec_not base64!!')).toBe(false);
    expect(isStandardSecret('whsec_')).toBe(false);
    expect(isStandardSecret(Buffer.alloc(32).toString('base64'))).toBe(false);
  });
});
