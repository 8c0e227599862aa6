/**
 * Standard Webhooks with an ed25519 key pair: the webhook holds a `whsk_` key, receivers
 * get the `whpk_` public key and verify `v1a,` signatures. Verified here by an
 * independent implementation (node:crypto's ed25519), across a rotation.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { receiverPool, withServer } from '../helpers/fixtures.js';
import type { Received } from '../helpers/receiver.js';

let s: TestServer;
withServer((srv) => (s = srv));
const receiver = receiverPool();

const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
/** `whpk_` + base64 raw public key → a node:crypto key. */
const publicKeyOf = (whpk: string) => createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(whpk.slice(5), 'base64')]), format: 'der', type: 'spki' });

/** Standard Webhooks verification of `v1a` entries: true when one of them verifies with `whpk`. */
function verifies(req: Received, whpk: string): boolean {
  const id = String(req.headers['webhook-id']);
  const ts = String(req.headers['webhook-timestamp']);
  const content = Buffer.from(`${id}.${ts}.${req.body}`);
  return String(req.headers['webhook-signature'])
    .split(' ')
    .filter((e) => e.startsWith('v1a,'))
    .some((e) => verify(null, content, publicKeyOf(whpk), Buffer.from(e.slice(4), 'base64')));
}

describe('ed25519 under signature: "standard"', () => {
  it('a generated key pair: the secret is whsk_, reads show the whpk_ public key, deliveries carry v1a signatures that verify', async () => {
    const rcv = await receiver();
    const created = await s.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], keyType: 'ed25519' } });
    expect(created.status, created.text).toBe(201);
    const w = created.body.data;
    expect(w).toMatchObject({ signature: 'standard', keyType: 'ed25519' });
    expect(w.secret).toMatch(/^whsk_[A-Za-z0-9+/]+={0,2}$/);
    expect(w.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const read = (await s.api('GET', `/v1/webhooks/${w.id}`)).body.data;
    expect(read.publicKey).toBe(w.publicKey);
    expect(read.secret).not.toContain(w.secret.slice(10, 30));

    await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { text: 'привет' } } });
    const [req] = await rcv.waitFor(1);
    expect(String(req.headers['webhook-signature'])).toMatch(/^v1a,[A-Za-z0-9+/]+={0,2}$/);
    expect(verifies(req, w.publicKey)).toBe(true);
    // Another key does not verify it.
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI.length);
    expect(verifies(req, `whpk_${other.toString('base64')}`)).toBe(false);
  });

  it('a key of your own (32-byte seed) is accepted, and its public key is the one node:crypto derives', async () => {
    const rcv = await receiver();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16);
    const expected = `whpk_${publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI.length).toString('base64')}`;
    const w = (await s.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], signature: 'standard', secret: `whsk_${seed.toString('base64')}` } })).body.data;
    expect(w.publicKey).toBe(expected);
    await s.api('POST', `/v1/webhooks/${w.id}/test`, { body: { eventType: 'message.created', data: {} } });
    const [req] = await rcv.waitFor(1);
    expect(verifies(req, expected)).toBe(true);
  });

  it('across a rotation both keys sign (v1a, space-separated) and each verifies with its own public key', async () => {
    const rcv = await receiver();
    const w = (await s.api('POST', '/v1/webhooks', { body: { url: rcv.url, events: ['message.created'], keyType: 'ed25519', channels: ['rot'] } })).body.data;
    const rotated = (await s.api('POST', `/v1/webhooks/${w.id}/rotate-secret`, { body: {} })).body.data;
    expect(rotated.secret).toMatch(/^whsk_/);
    expect(rotated.publicKey).not.toBe(w.publicKey);
    await s.api('POST', '/v1/events', { body: { type: 'message.created', data: {}, channels: ['rot'] } });
    const [req] = await rcv.waitFor(1);
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(req, w.publicKey)).toBe(true);
    expect(verifies(req, rotated.publicKey)).toBe(true);
  });

  it('an ed25519 key with another scheme, or a malformed whsk_, is a 422', async () => {
    const bad = await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/h', events: ['message.created'], keyType: 'ed25519', signature: 'hmac-sha256' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]).toMatchObject({ field: 'secret' });
    const junk = await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/h', events: ['message.created'], signature: 'standard', secret: 'whsk_notbase64!!' } });
    expect(junk.status).toBe(422);
  });
});
