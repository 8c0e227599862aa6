/**
 * A webhook without headers of its own sends Hookbridge's headers with the signature's added
 * as they are, not merged by case (request.ts): that holds only while no signature header
 * shares a name, in any case, with one Hookbridge sets. A new scheme or header that did would
 * go out twice under two spellings; this test says so first.
 */
import { describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/delivery/request.js';
import { unsavedWebhook, type Webhook } from '../../src/store/webhooks.js';

const webhook = (over: Partial<Webhook>): Webhook => unsavedWebhook({ url: 'http://127.0.0.1:9/hook', secret: 'whsec_aG9va2JyaWRnZS11bml0LXRlc3Q=', ...over });
const attempt = { deliveryId: 'dlv_1', eventType: 'order.paid', payload: '{"id":"evt_1"}', attemptNumber: 3, retryReason: 'http_5xx', retryAfterSec: 4, nowMs: 1_764_800_000_000 };
const lowerNames = (h: Record<string, string>) => Object.keys(h).map((k) => k.toLowerCase());

describe('outbound request headers', () => {
  for (const signature of ['hmac-sha256', 'standard'] as const) {
    it(`${signature}: every header once, whatever its case, the signature's included (a retry: all of Hookbridge's own)`, () => {
      const plain = buildRequest(webhook({ signature }), { headerPrefix: 'Hookbridge', userAgent: 'Hookbridge/1' }, attempt);
      const names = lowerNames(plain.headers);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(expect.arrayContaining(signature === 'standard' ? ['webhook-id', 'webhook-timestamp', 'webhook-signature'] : ['x-hookbridge-signature']));
      expect(names).toEqual(expect.arrayContaining(['content-type', 'user-agent', 'x-hookbridge-retry-count', 'x-hookbridge-retry-after']));
      // The same request from a webhook with headers of its own (merged by case) has the same names.
      const merged = buildRequest(webhook({ signature, headers: { 'X-Custom': 'yes' } }), { headerPrefix: 'Hookbridge', userAgent: 'Hookbridge/1' }, attempt);
      expect(lowerNames(merged.headers).filter((n) => n !== 'x-custom').sort()).toEqual([...names].sort());
    });
  }
});
