import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { channel, waitForDelivery, withReceiver, withServer } from '../helpers/fixtures.js';

let s: TestServer;
let rcv: Receiver;
// The default period is 5 days; one second keeps the test short.
withServer((x) => (s = x), { HOOKBRIDGE_DISABLE_AFTER_SECONDS: '1' });
withReceiver((x) => (rcv = x), () => ({ status: 500 }));

describe('auto-disable', () => {
  it('a webhook failing every attempt for the configured period is disabled and webhook.disabled recorded', async () => {
    const ch = channel(s);
    const w = await ch.webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const first = await ch.publish();
    await waitForDelivery(s, first.deliveries[0].id, 'failed');
    expect((await s.api('GET', `/v1/webhooks/${w.id}`)).body.data.active).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await ch.publish();
    await waitForDelivery(s, second.deliveries[0].id, 'failed');
    const after = await s.api('GET', `/v1/webhooks/${w.id}`);
    expect(after.body.data.active).toBe(false);
    expect(after.body.data.disabledReason).toMatch(/every attempt failed/);
    const evs = await s.api('GET', '/v1/events?type=webhook.disabled');
    expect(evs.body.data.find((e: any) => e.data.webhookId === w.id)?.data.reason).toMatch(/every attempt failed/);
    // Re-enabling clears the reason and the failing streak.
    const on = await s.api('PUT', `/v1/webhooks/${w.id}`, { body: { active: true } });
    expect(on.body.data).toMatchObject({ active: true, disabledReason: null });
  });

  it('a success in between resets the streak', async () => {
    let ok = false;
    const flaky = await startReceiver(() => (ok ? { status: 200 } : { status: 500 }));
    try {
      const ch = channel(s);
      const w = await ch.webhook(flaky.url, { retryPolicy: { maxRetries: 0 } });
      await waitForDelivery(s, (await ch.publish()).deliveries[0].id, 'failed');
      ok = true;
      await waitForDelivery(s, (await ch.publish()).deliveries[0].id, 'delivered');
      ok = false;
      await new Promise((r) => setTimeout(r, 1100));
      await waitForDelivery(s, (await ch.publish()).deliveries[0].id, 'failed');
      expect((await s.api('GET', `/v1/webhooks/${w.id}`)).body.data.active).toBe(true);
    } finally {
      await flaky.close();
    }
  });
});
