import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, startTestServer } from '../helpers/server.js';
import { startReceiver } from '../helpers/receiver.js';
import { channel, waitForDelivery } from '../helpers/fixtures.js';

const db = freshDatabase();
afterAll(async () => db.drop());

describe('graceful shutdown', () => {
  it('finishes in-flight sends, gives queued ones back, and the next start delivers them', async () => {
    const rcv = await startReceiver(() => ({ status: 200, delayMs: 400 }));
    try {
      const first = await startTestServer({}, db);
      const ch = channel(first);
      await ch.webhook(rcv.url, { maxConcurrency: 1 });
      const evs = [];
      for (let i = 0; i < 3; i++) evs.push(await ch.publish({ i }));
      await rcv.waitFor(1, 5000);
      await first.close(); // what SIGTERM does: stop claiming, finish in flight, release the rest
      expect(rcv.requests).toHaveLength(1);

      const second = await startTestServer({}, db);
      try {
        const d0 = await second.api('GET', `/v1/deliveries/${evs[0].deliveries[0].id}`);
        expect(d0.body.data.status).toBe('delivered');
        for (const e of evs.slice(1)) await waitForDelivery(second, e.deliveries[0].id, 'delivered', 5000);
        const ids = rcv.requests.map((r) => JSON.parse(r.body).id);
        expect(ids.sort()).toEqual(evs.map((e) => e.id).sort());
      } finally {
        await second.close();
      }
    } finally {
      await rcv.close();
    }
  });
});
