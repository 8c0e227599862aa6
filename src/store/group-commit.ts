/**
 * Group commit: work that arrives while a transaction is running is stored together in
 * the next one — on PostgreSQL a handful of round trips for many items instead of a few
 * per item, on SQLite one commit instead of one per item (the commit is most of a small
 * write's cost). Each caller is answered only after its batch committed.
 *
 * Publishes use it (`events.publish`), and so do the meetings app's writes on SQLite.
 */

interface Queued<I, O> {
  item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 256;

/** `storeMany` commits its items in one transaction; when a batch fails, each item is tried alone. */
export function groupCommit<I, O>(storeMany: (items: I[]) => Promise<O[]>): (item: I) => Promise<O> {
  let queue: Queued<I, O>[] = [];
  let draining = false;

  async function drain() {
    try {
      while (queue.length) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(MAX_BATCH);
        try {
          const out = await storeMany(batch.map((q) => q.item));
          batch.forEach((q, i) => q.resolve(out[i]!));
        } catch {
          // One bad item must not fail the others: each gets its own transaction.
          for (const q of batch) storeMany([q.item]).then(([o]) => q.resolve(o!), q.reject);
        }
      }
    } finally {
      draining = false;
    }
  }

  return (item: I): Promise<O> =>
    new Promise((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!draining) {
        draining = true;
        // After this turn's I/O, so items arriving together share one commit.
        setImmediate(() => void drain());
      }
    });
}

/**
 * SQLite: synchronous steps on the raw handle, group-committed. Each step runs in its own
 * savepoint inside the batch's transaction, so a step that throws undoes only its own
 * writes and fails only its caller. `lend` runs a synchronous function while Kysely lends
 * its one connection (so steps never interleave with an open Kysely transaction).
 */
export function sqliteSteps(sqlite: { transaction<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R }, lend: <T>(fn: () => T) => Promise<T>) {
  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
  const step = sqlite.transaction((fn: () => unknown) => fn());
  const batch = sqlite.transaction((fns: Array<() => unknown>): Outcome[] =>
    fns.map((fn) => {
      try {
        return { ok: true, value: step(fn) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  const run = groupCommit<() => unknown, Outcome>((fns) => lend(() => batch(fns)));
  return async <T>(fn: () => T): Promise<T> => {
    const o = await run(fn);
    if (!o.ok) throw o.error;
    return o.value as T;
  };
}
