/**
 * Group commit: work that arrives while a transaction is running is stored together in
 * the next one — on PostgreSQL a handful of round trips for many items instead of a few
 * per item, on SQLite one commit instead of one per item (the commit is most of a small
 * write's cost). Each caller is answered only after its batch committed.
 *
 * PostgreSQL publishes use it directly; on SQLite it runs the store's one writer.
 */

interface Queued<I, O> {
  item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 256;

/**
 * `storeMany` commits its items in one transaction; when a batch fails, each item is tried alone.
 * With `lanes` > 1 (PostgreSQL, where each batch is one statement on its own connection), up
 * to that many batches are in flight at once: an item that arrives while one commits starts
 * in a batch of its own instead of waiting for that round trip. Batches of different lanes
 * may commit in any order.
 */
export function groupCommit<I, O>(storeMany: (items: I[]) => Promise<O[]>, lanes = 1): ((item: I) => Promise<O>) & { soon(): void } {
  let queue: Queued<I, O>[] = [];
  let running = 0;
  let scheduled = false;

  async function lane() {
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
      running--;
    }
  }

  function start() {
    scheduled = false;
    while (queue.length && running < lanes) {
      running++;
      void lane();
    }
  }

  /** A batch starts after this turn's I/O (and after the immediates queued before it), unless one is set to already. */
  const soon = () => {
    if (!scheduled && running < lanes) {
      scheduled = true;
      setImmediate(start);
    }
  };
  const enqueue = (item: I): Promise<O> =>
    new Promise((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // A running lane takes the item when its batch is done; otherwise one starts after
      // this turn's I/O, so items arriving together share one commit.
      soon();
    });
  return Object.assign(enqueue, { soon });
}

/** A synchronous step of the SQLite writer; `memo` lives for its transaction (reads worth sharing, e.g. a project's webhooks). */
export type SqliteStep<T> = (memo: Map<string, unknown>) => T;
/**
 * Runs a step in the next group commit; resolves once it committed. `soon()` books the next
 * commit ahead of time: work that will queue steps later in this turn (after an immediate
 * queued before it) still commits in this turn.
 */
export type SqliteWriter = (<T>(step: SqliteStep<T>) => Promise<T>) & { soon(): void };

/** A step's own error, told apart from the transaction's (BEGIN, COMMIT). */
class StepFailed {
  constructor(
    readonly at: number,
    readonly error: unknown,
  ) {}
}

/** One item's result in a batch whose items succeed or fail each on their own. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** An item's value, or its error thrown. */
export function unwrap<T>(o: Outcome): T {
  if (!o.ok) throw o.error;
  return o.value as T;
}

/**
 * The SQLite writer: synchronous steps on the raw handle, group-committed — the steps that
 * arrive together (publishes, delivery results, app writes) share one transaction.
 * A step that throws rolls its batch back; it alone gets the error and the others are run
 * again together at once. (Not a savepoint per step: while one is open SQLite copies every
 * page a statement first touches to a sub-journal, which tripled a publish's cost.) If the
 * transaction itself fails (BEGIN or COMMIT: another process kept the write lock past the
 * busy timeout), every step of the batch gets that error rather than waiting again one by
 * one. `lend` runs a synchronous function while Kysely lends its one connection (so steps
 * never interleave with an open Kysely transaction).
 */
export function sqliteWriter(sqlite: { transaction<A extends unknown[], R>(fn: (...a: A) => R): ((...a: A) => R) & { immediate(...a: A): R } }, lend: <T>(fn: () => T) => Promise<T>): SqliteWriter {
  const batch = sqlite.transaction((steps: SqliteStep<unknown>[]): unknown[] => {
    const memo = new Map<string, unknown>();
    return steps.map((step, at) => {
      try {
        return step(memo);
      } catch (error) {
        throw new StepFailed(at, error);
      }
    });
  });
  const commit = (steps: SqliteStep<unknown>[]): Outcome[] => {
    const out: Outcome[] = new Array(steps.length);
    let left = steps.map((step, i) => ({ step, i }));
    while (left.length) {
      try {
        const values = batch.immediate(left.map((l) => l.step));
        left.forEach((l, k) => (out[l.i] = { ok: true, value: values[k] }));
        return out;
      } catch (err) {
        if (!(err instanceof StepFailed)) {
          for (const l of left) out[l.i] = { ok: false, error: err };
          return out;
        }
        out[left[err.at]!.i] = { ok: false, error: err.error };
        left = left.filter((_, k) => k !== err.at);
      }
    }
    return out;
  };
  const run = groupCommit<SqliteStep<unknown>, Outcome>((steps) => lend(() => commit(steps)));
  const write = async <T>(step: SqliteStep<T>): Promise<T> => unwrap<T>(await run(step));
  return Object.assign(write, { soon: run.soon });
}
