/**
 * An attempt that throws instead of ending with a result (here: the database failing the
 * worker's re-read of the webhook just before the request). It used to escape the lane as
 * an unhandled rejection, which ended the whole process, and a restart met the same row.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { channel, receiverPool, waitForDelivery, withServer } from '../helpers/fixtures.js';
import { sleep } from '../helpers/wait.js';

let s: TestServer;
withServer((x) => (s = x));
const receiver = receiverPool();

describe('an attempt that breaks inside Hookbridge', () => {
  it('the database fails the webhook re-read: the attempt is logged with the error and retried; the server goes on and delivers once the database answers', async () => {
    // The first request holds the lane (one at a time) for 1.5 s; the second waits there,
    // and its turn comes after the webhook's cached read (1 s) has run out.
    const rcv = await receiver(() => ({ status: 200, delayMs: 1500 }));
    const ch = channel(s);
    await ch.webhook(rcv.url, { maxConcurrency: 1 });
    const first = await ch.publish({ i: 1 });
    const second = await ch.publish({ i: 2 });
    await rcv.waitFor(1);
    const db = s.repos.store.db;
    await sql`alter table webhooks rename to webhooks_away`.execute(db);
    try {
      await sleep(2500); // the second's turn came while the table was away
    } finally {
      await sql`alter table webhooks_away rename to webhooks`.execute(db);
    }
    const done = await waitForDelivery(s, second.deliveries[0].id, 'delivered', 20_000);
    if (s.db.file) {
      // SQLite: the second was handed to the lane at publish, so the break came in its attempt.
      // (PostgreSQL hands over only while the webhook has a free sending slot: the second waited
      // in the table, and the failed read was the claim's, which the loop already outlives.)
      expect(done.attemptLog.length).toBeGreaterThanOrEqual(2);
      expect(done.attemptLog[0].error).toMatch(/^no request was made: .*webhooks/);
    }
    expect(done.attemptLog.at(-1).response.statusCode).toBe(200);
    await waitForDelivery(s, first.deliveries[0].id, 'delivered');
    // Both events reached the receiver (the first possibly twice: its result could not be
    // written while the table was away, and a result that keeps failing is released to be
    // sent again — at least once), and the server still answers.
    expect([...new Set(rcv.requests.map((q) => JSON.parse(q.body).data.i))].sort()).toEqual([1, 2]);
    expect((await s.api('GET', '/v1/project')).status).toBe(200);
  });
});
