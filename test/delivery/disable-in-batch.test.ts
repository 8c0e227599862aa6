/**
 * SQLite: a webhook turned off by a result batch gets no delivery of an event stored after
 * that batch, even when both, and an earlier publish, are committed together (the writer
 * shares one transaction among the writes of a moment and reads each project's webhooks
 * once per transaction). On PostgreSQL the publishes of a moment are one statement, sent
 * alongside the result batch, so there is no "after" to test there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { newId } from '../../src/ids.js';
import type { PublishItem } from '../../src/store/queue.js';

if (PG_URL) console.log('[disable-in-batch test] skipped: it is about SQLite\'s writer (PostgreSQL sends a moment\'s publishes as one statement)');

let s: TestServer;
beforeAll(async () => {
  // The api role sends nothing: the test drives the queue itself.
  if (!PG_URL) s = await startTestServer({ HOOKBRIDGE_ROLE: 'api' });
});
afterAll(async () => {
  await s?.stop();
});

describe.skipIf(!!PG_URL)('a disable and the publishes around it, queued in one moment (SQLite)', () => {
  it('the publish queued before the disable goes to the webhook, the one after does not', async () => {
    const w = await s.api('POST', '/v1/webhooks', { body: { url: 'http://127.0.0.1:9/hook', events: ['*'] } });
    expect(w.status, w.text).toBe(201);
    const webhookId: string = w.body.data.id;
    const first = await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { n: 0 } } });
    expect(first.status, first.text).toBe(202);
    const delivery = first.body.data.deliveries.find((d: { webhookId: string }) => d.webhookId === webhookId);
    expect(delivery).toBeDefined();

    const { queue } = s.ctx.repos;
    const projectId = s.ctx.defaultProjectId();
    const now = Date.now();
    const item = (n: number): PublishItem => ({
      row: { project_id: projectId, id: newId('evt', now), type: 'message.created', payload: `{"n":${n}}`, space: null, channels: '[]', idempotency_key: null, created_at: now },
      matches: () => true,
    });
    // The endpoint answered 410 Gone to the first event's delivery: the webhook is turned off.
    const gone = {
      deliveryId: delivery.id,
      projectId,
      webhookId,
      status: 'failed' as const,
      nextAttemptAt: now,
      reason: 'gone',
      webhookOutcome: 'failure' as const,
      disableWebhook: 'endpoint answered 410 Gone',
      attempt: {
        id: newId('att', now), attempt: 1, status: 'failure' as const, request_url: 'http://127.0.0.1:9/hook', request_method: 'POST',
        request_headers: '{}', request_body: null, response_status: 410, response_headers: '{}', response_body: '', duration_ms: 1,
        error: 'HTTP 410', retry_reason: 'gone', notes: null, created_at: now,
      },
    };
    const [before, disabled, after] = await Promise.all([queue.store(item(1)), queue.record([gone], now, 5 * 86_400_000), queue.store(item(2))]);

    expect(disabled).toEqual([{ projectId, webhookId, reason: 'endpoint answered 410 Gone' }]);
    expect(before.refs.map((r) => r.webhookId)).toContain(webhookId);
    expect(after.refs.map((r) => r.webhookId)).not.toContain(webhookId);
    const read = await s.api('GET', `/v1/webhooks/${webhookId}`);
    expect(read.body.data.active).toBe(false);
  });
});
