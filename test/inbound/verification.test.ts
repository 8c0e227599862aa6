/**
 * SPEC §5b verification over real HTTP: every mode and preset accepts a request signed
 * the way its sender signs, and answers 401 (with the envelope and the failed check)
 * to a bad one — which never reaches the action.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createSource, githubSignature, nowSec, probesFor, send, stripeSignature } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ HOOKBRIDGE_ROLE: 'api' });
});
afterAll(async () => s?.stop());

const body = JSON.stringify({ id: 'evt_1', action: 'opened', text: 'привет' });

function expect401(r: { status: number; body: any; text: string }, mentions: RegExp) {
  expect(r.status, r.text).toBe(401);
  expect(r.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
  expect(r.body.error.message).toMatch(mentions);
}

function expectAccepted(r: { status: number; body: any; text: string }) {
  expect(r.status, r.text).toBe(202);
  expect(r.body).toMatchObject({ success: true, data: { received: true } });
  expect(r.body.data.id).toMatch(/^req_/);
}

describe('verification modes', () => {
  it('none: anything is accepted', async () => {
    const src = await createSource(s, {});
    expectAccepted(await send(s, src.url, { body }));
    expect(probesFor(src.id)).toHaveLength(1);
  });

  it('token in ?token= (default) and in a named header, compared whole', async () => {
    const q = await createSource(s, { verification: { type: 'token', token: 'tok_query_secret_1' } });
    expect(q.verification.token).toBe('tok_query_secret_1'); // create answers it once
    expectAccepted(await send(s, `${q.url}?token=tok_query_secret_1`, { body }));
    expect401(await send(s, `${q.url}?token=tok_query_secret_2`, { body }), /token.*does not match/i);
    expect401(await send(s, `${q.url}?token=tok_query_secret_`, { body }), /does not match/);
    expect401(await send(s, q.url, { body }), /Missing token.*\?token=/);
    expect(probesFor(q.id)).toHaveLength(1);

    const h = await createSource(s, { verification: { type: 'token', token: 'tok_header_secret', header: 'X-Api-Key' } });
    expectAccepted(await send(s, h.url, { body, headers: { 'x-api-key': 'tok_header_secret' } }));
    expect401(await send(s, `${h.url}?token=tok_header_secret`, { body }), /X-Api-Key/);

    const gen = await createSource(s, { verification: { type: 'token' } });
    expect(gen.verification.token).toMatch(/^[A-Za-z0-9]{32}$/);
    expectAccepted(await send(s, `${gen.url}?token=${gen.verification.token}`, { body }));
  });

  it('basic: right user and password only, with a WWW-Authenticate challenge', async () => {
    const src = await createSource(s, { verification: { type: 'basic', username: 'okdesk', password: 'p@ss:word' } });
    const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expectAccepted(await send(s, src.url, { body, headers: auth('okdesk', 'p@ss:word') }));
    const bad = await send(s, src.url, { body, headers: auth('okdesk', 'p@ss') });
    expect401(bad, /credentials do not match/);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect401(await send(s, src.url, { body, headers: auth('other', 'p@ss:word') }), /credentials/);
    expect401(await send(s, src.url, { body }), /Missing credentials/);
    expect(probesFor(src.id)).toHaveLength(1);
  });

  it('hmac: configurable header, algorithm, encoding and prefix; optional signed timestamp', async () => {
    const secret = 'generic_hmac_secret';
    const src = await createSource(s, {
      verification: { type: 'hmac', header: 'X-Signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sha512=', secret },
    });
    const sig = createHmac('sha512', secret).update(body).digest('base64');
    expectAccepted(await send(s, src.url, { body, headers: { 'x-signature': `sha512=${sig}` } }));
    expect401(await send(s, src.url, { body: body + ' ', headers: { 'x-signature': `sha512=${sig}` } }), /X-Signature does not match/);
    expect401(await send(s, src.url, { body, headers: { 'x-signature': sig } }), /does not match/); // prefix missing
    expect401(await send(s, src.url, { body }), /Missing signature.*X-Signature/);

    // Slack-style: sha256 hex over "v0:{timestamp}:{body}" with a freshness window.
    const slack = await createSource(s, {
      verification: { type: 'hmac', header: 'X-Slack-Signature', prefix: 'v0=', secret, timestampHeader: 'X-Slack-Request-Timestamp', payload: 'v0:{timestamp}:{body}', tolerance: 60 },
    });
    const ts = nowSec();
    const slackSig = (t: number) => `v0=${createHmac('sha256', secret).update(`v0:${t}:${body}`).digest('hex')}`;
    expectAccepted(await send(s, slack.url, { body, headers: { 'x-slack-signature': slackSig(ts), 'x-slack-request-timestamp': String(ts) } }));
    expect401(
      await send(s, slack.url, { body, headers: { 'x-slack-signature': slackSig(ts - 120), 'x-slack-request-timestamp': String(ts - 120) } }),
      /timestamp.*outside the 60 s tolerance/,
    );
    expect401(await send(s, slack.url, { body, headers: { 'x-slack-signature': slackSig(ts), 'x-slack-request-timestamp': String(ts + 1) } }), /does not match/);
  });

  it('github preset: X-Hub-Signature-256 as GitHub computes it', async () => {
    const secret = "It's a Secret to Everybody";
    const src = await createSource(s, { verification: { type: 'github', secret } });
    // GitHub's documented example: this secret and body give this exact header.
    expect(githubSignature(secret, 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    const headers = { 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID() };
    expectAccepted(await send(s, src.url, { body, headers: { ...headers, 'x-hub-signature-256': githubSignature(secret, body) } }));
    expect401(
      await send(s, src.url, { body, headers: { 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': githubSignature('wrong', body) } }),
      /Verification failed \(github, signature\).*X-Hub-Signature-256 does not match/,
    );
    expect401(await send(s, src.url, { body, headers: { 'x-github-delivery': crypto.randomUUID() } }), /Missing signature.*X-Hub-Signature-256/);
    expect(probesFor(src.id)).toHaveLength(1);
  });

  it('stripe preset: t=,v1= over "t.body" with a tolerance, several v1 values allowed', async () => {
    const secret = 'whsec_stripe_test_secret_123';
    const src = await createSource(s, { verification: { type: 'stripe', secret } });
    expectAccepted(await send(s, src.url, { body, headers: { 'stripe-signature': stripeSignature(secret, body) } }));
    // Stripe sends one v1 per active secret during a roll; any match is enough.
    const rolled = stripeSignature(secret, JSON.stringify({ id: 'evt_2' })).replace(/v1=/, `v1=${'0'.repeat(64)},v1=`);
    expectAccepted(await send(s, src.url, { body: JSON.stringify({ id: 'evt_2' }), headers: { 'stripe-signature': rolled } }));
    const stale = nowSec() - 3600;
    expect401(await send(s, src.url, { body: JSON.stringify({ id: 'evt_3' }), headers: { 'stripe-signature': stripeSignature(secret, JSON.stringify({ id: 'evt_3' }), stale) } }), /timestamp.*tolerance/);
    expect401(await send(s, src.url, { body, headers: { 'stripe-signature': stripeSignature('whsec_other', body) } }), /No v1 signature/);
    expect401(await send(s, src.url, { body, headers: { 'stripe-signature': `t=${nowSec()}` } }), /no v1=/);
    expect(probesFor(src.id)).toHaveLength(2);
  });

  it('standard preset: a signature made by the standardwebhooks package', async () => {
    const secret = 'whsec_' + Buffer.from('standard-webhooks-test-key-32byte').toString('base64');
    const src = await createSource(s, { verification: { type: 'standard', secret } });
    const wh = new StandardWebhook(secret);
    const msgId = `msg_${Date.now()}`;
    const now = new Date();
    const headers = { 'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign(msgId, now, body) };
    expectAccepted(await send(s, src.url, { body, headers }));

    const other = new StandardWebhook('whsec_' + Buffer.from('a-different-key-of-32-bytes-long').toString('base64'));
    const id2 = `msg_${Date.now()}_2`;
    expect401(
      await send(s, src.url, { body, headers: { ...headers, 'webhook-id': id2, 'webhook-signature': other.sign(id2, now, body) } }),
      /webhook-signature/,
    );
    const old = new Date(Date.now() - 600_000);
    const id3 = `msg_${Date.now()}_3`;
    expect401(
      await send(s, src.url, {
        body,
        headers: { 'webhook-id': id3, 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': wh.sign(id3, old, body) },
      }),
      /webhook-timestamp.*outside the 300 s tolerance/,
    );
    expect(probesFor(src.id)).toHaveLength(1);
  });

  it('a standard source refuses a secret that is not whsec_<base64> (422)', async () => {
    const res = await s.api('POST', '/v1/sources', { body: { path: 'std-bad', action: { type: 'probe' }, verification: { type: 'standard', secret: 'plain' } } });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].field).toBe('verification.secret');
  });

  it('hookbridge preset: sha256= list (rotation) and X-{prefix}-Timestamp freshness', async () => {
    const secret = 'whsec_hookbridge_peer';
    const src = await createSource(s, { verification: { type: 'hookbridge', secret, prefix: 'Katya' } });
    const sig = (k: string) => `sha256=${createHmac('sha256', k).update(body).digest('hex')}`;
    const h = (signature: string, ts = nowSec(), delivery = `dlv_${Math.random()}`) => ({
      'x-katya-signature': signature,
      'x-katya-timestamp': String(ts),
      'x-katya-delivery': delivery,
    });
    expectAccepted(await send(s, src.url, { body, headers: h(sig(secret)) }));
    // During a rotation the sender lists the old secret's signature first.
    expectAccepted(await send(s, src.url, { body, headers: h(`${sig('whsec_old_secret')},${sig(secret)}`) }));
    expect401(await send(s, src.url, { body, headers: h(sig('whsec_old_secret')) }), /X-Katya-Signature does not match/);
    expect401(await send(s, src.url, { body, headers: h(sig(secret), nowSec() - 301) }), /X-Katya-Timestamp.*tolerance/);
    expect(probesFor(src.id)).toHaveLength(2);
  });
});
