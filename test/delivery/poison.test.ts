import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import type { Receiver } from '../helpers/receiver.js';
import { channel, waitForDelivery, withReceiver, withServer } from '../helpers/fixtures.js';

let s: TestServer;
let rcv: Receiver;
// A binary answer with NUL bytes: PostgreSQL refuses NUL in text columns.
withServer((x) => (s = x));
withReceiver((x) => (rcv = x), (r) => (JSON.parse(r.body).data.binary ? { status: 500, body: 'bad\u0000bytes' } : { status: 200, body: 'OK' }));

describe('results the database might refuse', () => {
  it('a response body with NUL bytes is recorded, and deliveries after it keep flowing', async () => {
    const ch = channel(s);
    await ch.webhook(rcv.url, { retryPolicy: { maxRetries: 0 } });
    const bad = await ch.publish({ binary: true });
    const d = await waitForDelivery(s, bad.deliveries[0].id, 'failed');
    expect(d.attemptLog[0].response.body).toBe('bad\uFFFDbytes');
    const good = await ch.publish({ binary: false });
    await waitForDelivery(s, good.deliveries[0].id, 'delivered');
  });
});
