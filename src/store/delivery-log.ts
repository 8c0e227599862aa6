/**
 * Read side of deliveries and attempts (logs, stats, errors view) plus the manual
 * retry and replay operations. Scoped to a project everywhere.
 */
import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { AttemptsTable, DB, DeliveriesTable, DeliveryStatus } from './schema.js';
import { newDeliveryRow } from './queue.js';
import { webhookMatches } from '../core/matching.js';
import type { Webhook } from './webhooks.js';
import { listPage } from './query.js';

export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<AttemptsTable>;

export interface DeliveryFilter {
  status?: DeliveryStatus;
  webhookId?: string;
  eventType?: string;
  limit: number;
  offset: number;
}

export function deliveryLogRepo(db: Kysely<DB>) {
  /** Replays running in this process, per webhook. */
  const replaying = new Map<string, Promise<{ requeued: number; created: number }>>();

  /** The replay itself, on `q` (the database, or a transaction holding the webhook's replay lock). */
  async function replayOn(q: Kysely<DB>, w: Webhook, since: number, until: number, statuses: DeliveryStatus[], now: number) {
    const reset = await q
      .updateTable('deliveries')
      // Sent again: not delivered until it is (then at its new time).
      .set((eb) => ({ status: 'pending', attempt_base: eb.ref('attempts'), next_attempt_at: now, lease_until: null, delivered_at: null, updated_at: now }))
      .where('webhook_id', '=', w.id)
      .where('created_at', '>=', since)
      .where('created_at', '<', until)
      .where('status', 'in', statuses)
      // A test send is not an event of the project: it is never replayed.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('events')
              .select('events.id')
              .whereRef('events.project_id', '=', 'deliveries.project_id')
              .whereRef('events.id', '=', 'deliveries.event_id')
              .where('events.test', '=', 1),
          ),
        ),
      )
      .executeTakeFirst();
    let created = 0;
    let cursor = Math.max(since, w.createdAt) - 1;
    let lastId = '\uffff';
    for (let page = 0; page < 100; page++) {
      const events = await q
        .selectFrom('events')
        .select(['id', 'type', 'payload', 'space', 'channels', 'created_at'])
        .where('project_id', '=', w.projectId)
        .where('test', '=', 0)
        .where('created_at', '<', until)
        .where((eb) => eb.or([eb('created_at', '>', cursor), eb.and([eb('created_at', '=', cursor), eb('id', '>', lastId)])]))
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('deliveries')
                .select('deliveries.id')
                .whereRef('deliveries.event_id', '=', 'events.id')
                .where('deliveries.project_id', '=', w.projectId)
                .where('deliveries.webhook_id', '=', w.id),
            ),
          ),
        )
        .orderBy('created_at')
        .orderBy('id')
        .limit(1000)
        .execute();
      if (!events.length) break;
      const rows = events
        .filter((e) => webhookMatches(w, { type: e.type, space: e.space, channels: JSON.parse(e.channels), data: JSON.parse(e.payload).data }))
        .map((e) => newDeliveryRow(w.projectId, e.id, e.type, w.id, now, w.ordering === 'fifo'));
      for (let i = 0; i < rows.length; i += 200) await q.insertInto('deliveries').values(rows.slice(i, i + 200)).execute();
      created += rows.length;
      const last = events[events.length - 1];
      cursor = last.created_at;
      lastId = last.id;
      if (events.length < 1000) break;
    }
    return { requeued: Number(reset.numUpdatedRows), created };
  }

  return {
    async list(projectId: string, f: DeliveryFilter) {
      let q = db.selectFrom('deliveries').where('project_id', '=', projectId);
      if (f.status) q = q.where('status', '=', f.status);
      if (f.webhookId) q = q.where('webhook_id', '=', f.webhookId);
      if (f.eventType) q = q.where('event_type', '=', f.eventType);
      return listPage(q, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), f, (r) => r);
    },
    async get(projectId: string, id: string) {
      return db.selectFrom('deliveries').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    async attempts(deliveryId: string) {
      return db.selectFrom('attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt').execute();
    },
    async payload(projectId: string, eventId: string) {
      const r = await db.selectFrom('events').select('payload').where('project_id', '=', projectId).where('id', '=', eventId).executeTakeFirst();
      return r?.payload;
    },

    /** Deliveries of one webhook in [from, to): counts, per-type counts and response times. */
    async stats(webhookId: string, from: number, to: number) {
      const counts = await db
        .selectFrom('deliveries')
        .select(['status', 'event_type', (e) => e.fn.countAll<number>().as('n')])
        .where('webhook_id', '=', webhookId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .groupBy(['status', 'event_type'])
        .execute();
      const times = await db
        .selectFrom('attempts')
        .select('duration_ms')
        .where('webhook_id', '=', webhookId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .where('response_status', 'is not', null)
        .orderBy('created_at', 'desc')
        .limit(200_000)
        .execute();
      return { counts: counts.map((c) => ({ ...c, n: Number(c.n) })), durations: times.map((t) => Number(t.duration_ms ?? 0)) };
    },

    /** Makes one delivery due now with a fresh retry budget (manual retry). */
    async retry(projectId: string, id: string, now = Date.now()): Promise<boolean> {
      const r = await db
        .updateTable('deliveries')
        // Sent again: not delivered until it is (then at its new time).
        .set((eb) => ({ status: 'pending', attempt_base: eb.ref('attempts'), next_attempt_at: now, lease_until: null, delivered_at: null, updated_at: now }))
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where((eb) => eb.or([eb('status', '!=', 'pending'), eb('lease_until', 'is', null)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /**
     * Recovery after an outage: deliveries of `webhook` created in [since, until) in the
     * given statuses become due again, and matching events published in the window that
     * never got a delivery for it (it was inactive) get one now. Never events published
     * before the webhook existed, nor test sends (they are not events of the project).
     */
    async replay(w: Webhook, since: number, until: number, statuses: DeliveryStatus[], now = Date.now()) {
      // One replay of a webhook at a time: two at once would each find the same missed events
      // and give each its own delivery (sent twice, under two ids). In this process by a
      // queue per webhook; across PostgreSQL processes by a transaction lock per webhook.
      const before = replaying.get(w.id) ?? Promise.resolve();
      const mine = before
        .catch(() => undefined)
        .then(() =>
          db.getExecutor().adapter instanceof PostgresAdapter
            ? db.transaction().execute(async (tx) => {
                await sql`select pg_advisory_xact_lock(hashtext(${`hookbridge-replay:${w.id}`}))`.execute(tx);
                return replayOn(tx, w, since, until, statuses, now);
              })
            : replayOn(db, w, since, until, statuses, now),
        );
      replaying.set(w.id, mine);
      void mine.finally(() => replaying.get(w.id) === mine && replaying.delete(w.id)).catch(() => undefined);
      return mine;
    },
  };
}
export type DeliveryLogRepo = ReturnType<typeof deliveryLogRepo>;
