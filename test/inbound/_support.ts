/** Shared helpers for the inbound suites (not a test file itself). */
import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import type { InboundRequest } from '../../src/inbound/actions.js';
import { testApps } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

/** Creates a source through the API (admin token unless given) and returns its data. */
export async function createSource(s: TestServer, body: Record<string, unknown>, token?: string) {
  const path = `p${Math.random().toString(36).slice(2, 10)}`;
  const res = await s.api('POST', '/v1/sources', { token, body: { path, action: { type: 'probe' }, ...body } });
  expect(res.status, res.text).toBe(201);
  return res.body.data as { id: string; path: string; url: string; verification: Record<string, any>; [k: string]: any };
}

export interface Sent {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A request to an inbound URL as a third party sends it: raw bytes, no API token. */
export async function send(
  s: TestServer,
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const res = await fetch(s.url + url, {
    method: opts.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
    body: typeof opts.body === 'string' || opts.body === undefined ? opts.body : new Uint8Array(opts.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>` (docs.github.com, "Validating webhook deliveries"). */
export const githubSignature = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>` (docs.stripe.com, "Verify signatures manually"). */
export const stripeSignature = (secret: string, body: string, t = nowSec()) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

/**
 * The `probe` action: records every request that reaches it, so tests can prove that
 * refused requests never do. A test app: every test server of this process gets it.
 */
export const probeCalls: InboundRequest[] = [];
testApps.push({
  name: 'probe',
  config: () => ({}),
  create: () => ({
    actions: {
      probe: {
        async handle(_ctx, action, req) {
          probeCalls.push(req);
          if (action.fail === true) throw new Error('probe asked to fail');
          if (typeof action.answer === 'number') return { result: { probed: true }, answer: { status: action.answer, body: { probed: req.id } } };
          return { result: { probed: true } };
        },
      },
    },
  }),
});
export const probesFor = (sourceId: string) => probeCalls.filter((r) => r.sourceId === sourceId);
