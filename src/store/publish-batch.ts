/**
 * Group commit for publishes: events without an id or idempotency key that arrive while a
 * transaction is running are stored together in the next one — on PostgreSQL a handful of
 * round trips for many events instead of five per event, on SQLite one commit instead of
 * one per event (the commit was most of a publish's cost). Each caller is answered only
 * after its batch committed.
 */
import type { PublishItem, Stored } from './queue.js';

interface Queued {
  item: PublishItem;
  resolve(s: Stored): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 256;

/** `store` commits its items in one transaction; when a batch fails, each item is tried alone. */
export function publishBatcher(store: (items: PublishItem[]) => Promise<Stored[]>) {
  let queue: Queued[] = [];
  let draining = false;

  async function drain() {
    try {
      while (queue.length) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(MAX_BATCH);
        try {
          const out = await store(batch.map((q) => q.item));
          batch.forEach((q, i) => q.resolve(out[i]));
        } catch {
          // One bad event must not fail the others: each gets its own transaction.
          for (const q of batch) store([q.item]).then(([s]) => q.resolve(s), q.reject);
        }
      }
    } finally {
      draining = false;
    }
  }

  return (item: PublishItem): Promise<Stored> =>
    new Promise((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!draining) {
        draining = true;
        // After this turn's I/O, so publishes arriving together share one commit.
        setImmediate(() => void drain());
      }
    });
}
