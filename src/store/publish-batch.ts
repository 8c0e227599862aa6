/**
 * Group commit for publishes: events without an id or idempotency key that arrive while a
 * transaction is running are stored together in the next one — on PostgreSQL a handful of
 * round trips for many events instead of five per event, on SQLite one commit instead of
 * one per event (the commit was most of a publish's cost). Each caller is answered only
 * after its batch committed.
 */
import type { Insertable, Kysely } from 'kysely';
import type { DB, EventsTable } from './schema.js';
import type { WebhooksRepo } from './webhooks.js';
import type { MatchTarget } from '../core/matching.js';
import { newDeliveryRow } from './deliveries.js';

export interface BatchItem {
  row: Insertable<EventsTable>;
  matches: (w: MatchTarget) => boolean;
}
export type Ref = { id: string; webhookId: string; status: string };

interface Queued extends BatchItem {
  resolve(refs: Ref[]): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 256;

/** One transaction for the batch, through Kysely (PostgreSQL). */
export function kyselyBatchStore(db: Kysely<DB>, webhooks: WebhooksRepo) {
  return async function storeBatch(batch: BatchItem[]): Promise<Ref[][]> {
    return db.transaction().execute(async (tx) => {
      const targets = new Map<string, Awaited<ReturnType<WebhooksRepo['matchTargets']>>>();
      for (const projectId of new Set(batch.map((q) => q.row.project_id))) targets.set(projectId, await webhooks.matchTargets(projectId, tx));
      const deliveries = [];
      const out: Ref[][] = [];
      for (const q of batch) {
        const rows = targets.get(q.row.project_id)!.filter(q.matches).map((w) => newDeliveryRow(q.row.project_id, q.row.id, q.row.type, w.id, q.row.created_at, w.fifo));
        deliveries.push(...rows);
        out.push(rows.map((r) => ({ id: r.id as string, webhookId: r.webhook_id, status: 'pending' })));
      }
      for (let i = 0; i < batch.length; i += 100) await tx.insertInto('events').values(batch.slice(i, i + 100).map((q) => q.row)).execute();
      for (let i = 0; i < deliveries.length; i += 200) await tx.insertInto('deliveries').values(deliveries.slice(i, i + 200)).execute();
      return out;
    });
  };
}

/** `storeBatch` commits a batch in one transaction; `single` stores one item alone (after a batch failed). */
export function publishBatcher(storeBatch: (batch: BatchItem[]) => Promise<Ref[][]>, single: (item: BatchItem) => Promise<Ref[]>) {
  let queue: Queued[] = [];
  let draining = false;

  async function drain() {
    try {
      while (queue.length) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(MAX_BATCH);
        try {
          const out = await storeBatch(batch);
          batch.forEach((q, i) => q.resolve(out[i]));
        } catch {
          // One bad event must not fail the others: each gets its own transaction.
          for (const q of batch) single(q).then(q.resolve, q.reject);
        }
      }
    } finally {
      draining = false;
    }
  }

  return (item: BatchItem): Promise<Ref[]> =>
    new Promise((resolve, reject) => {
      queue.push({ ...item, resolve, reject });
      if (!draining) {
        draining = true;
        // After this turn's I/O, so publishes arriving together share one commit.
        setImmediate(() => void drain());
      }
    });
}
