/**
 * The delivery queue on PostgreSQL: few round trips per batch, never per row. Claims take
 * `FOR UPDATE SKIP LOCKED`, so many workers share one table; a batch's results go in
 * with one multi-row insert and one `UPDATE … FROM unnest(…)`.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';
import {
  FIFO_HEAD,
  byCreation,
  deliveriesFor,
  disableReason,
  webhookOutcomes,
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliveryQueue,
  type MatchRow,
  type PublishItem,
  type Stored,
  type WebhookDisabled,
} from './queue.js';

const CHUNK = 500;

export function postgresQueue(db: Kysely<DB>): DeliveryQueue {
  async function activeWebhooks(tx: Kysely<DB>, projectId: string): Promise<MatchRow[]> {
    const rows = await tx
      .selectFrom('webhooks')
      .select(['id', 'events', 'spaces', 'channels', 'filter', 'ordering'])
      .where('project_id', '=', projectId)
      .where('active', '=', 1)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      fifo: r.ordering === 'fifo',
      events: JSON.parse(r.events),
      spaces: JSON.parse(r.spaces),
      channels: JSON.parse(r.channels),
      filter: r.filter ? JSON.parse(r.filter) : null,
    }));
  }

  return {
    /**
     * Two round trips for a whole batch: the projects' webhooks, then one statement that
     * inserts every event and delivery (data-modifying CTEs: atomic, and committed as one
     * statement, so no BEGIN/COMMIT round trips).
     */
    async store(items) {
      const byProject = new Map<string, MatchRow[]>();
      for (const projectId of new Set(items.filter((i) => !i.onlyWebhookId).map((i) => i.row.project_id))) {
        byProject.set(projectId, await activeWebhooks(db, projectId));
      }
      const deliveries: ReturnType<typeof deliveriesFor>['rows'] = [];
      const out: Stored[] = [];
      for (const item of items) {
        const ev = item.row;
        let targets: Array<{ id: string; fifo: boolean }>;
        if (item.onlyWebhookId) {
          const w = await db.selectFrom('webhooks').select(['id', 'ordering']).where('project_id', '=', ev.project_id).where('id', '=', item.onlyWebhookId).executeTakeFirst();
          targets = w ? [{ id: w.id, fifo: w.ordering === 'fifo' }] : [];
        } else {
          targets = byProject.get(ev.project_id)!.filter(item.matches);
        }
        const { rows, refs, handed } = deliveriesFor(item, targets);
        deliveries.push(...rows);
        out.push({ refs, handed });
      }
      const ev = <T>(f: (r: PublishItem['row']) => T) => items.map((i) => f(i.row));
      const dl = <T>(f: (r: ReturnType<typeof deliveriesFor>['rows'][number]) => T) => deliveries.map(f);
      await sql`with e as (
          insert into events (project_id, id, type, payload, space, channels, idempotency_key, created_at, test)
          select * from unnest(${ev((r) => r.project_id)}::text[], ${ev((r) => r.id)}::text[], ${ev((r) => r.type)}::text[],
            ${ev((r) => r.payload)}::text[], ${ev((r) => r.space ?? null)}::text[], ${ev((r) => r.channels)}::text[],
            ${ev((r) => r.idempotency_key ?? null)}::text[], ${ev((r) => r.created_at)}::bigint[], ${ev((r) => r.test ?? 0)}::int[])
        ), d as (
          insert into deliveries (id, project_id, event_id, event_type, webhook_id, fifo, status, attempts, attempt_base, next_attempt_at, lease_until, created_at, updated_at)
          select v.id, v.project_id, v.event_id, v.event_type, v.webhook_id, v.fifo, 'pending', 0, 0, v.next_attempt_at, v.lease_until, v.created_at, v.created_at
          from unnest(${dl((d) => d.id)}::text[], ${dl((d) => d.project_id)}::text[], ${dl((d) => d.event_id)}::text[], ${dl((d) => d.event_type)}::text[],
            ${dl((d) => d.webhook_id)}::text[], ${dl((d) => d.fifo)}::int[], ${dl((d) => d.next_attempt_at)}::bigint[], ${dl((d) => d.lease_until)}::bigint[],
            ${dl((d) => d.created_at)}::bigint[]) as v(id, project_id, event_id, event_type, webhook_id, fifo, next_attempt_at, lease_until, created_at)
        )
        select 1`.execute(db);
      return out;
    },

    async claim(limit, now, leaseUntil, skipWebhooks) {
      let due = db
        .selectFrom('deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where(sql<boolean>`true ${sql.raw(FIFO_HEAD)}`);
      if (skipWebhooks.length) due = due.where('webhook_id', 'not in', skipWebhooks);
      due = due.orderBy('next_attempt_at').limit(limit).forUpdate().skipLocked();
      const rows = await db
        .updateTable('deliveries')
        .set({ next_attempt_at: leaseUntil, lease_until: leaseUntil, updated_at: now })
        .where('id', 'in', due)
        .returningAll()
        .execute();
      if (!rows.length) return [];
      // The events key is (project_id, id): without project_id the lookup would scan the table.
      const byProject = new Map<string, Set<string>>();
      for (const r of rows) {
        if (!byProject.has(r.project_id)) byProject.set(r.project_id, new Set());
        byProject.get(r.project_id)!.add(r.event_id);
      }
      const payloads = new Map<string, { payload: string; space: string | null }>();
      for (const [projectId, ids] of byProject) {
        const evs = await db.selectFrom('events').select(['id', 'payload', 'space']).where('project_id', '=', projectId).where('id', 'in', [...ids]).execute();
        for (const e of evs) payloads.set(`${projectId}\u0000${e.id}`, e);
      }
      return rows
        .map((r): ClaimedDelivery => {
          const ev = payloads.get(`${r.project_id}\u0000${r.event_id}`);
          return { ...r, payload: ev?.payload ?? '', space: ev?.space ?? null };
        })
        .sort(byCreation);
    },

    async extend(ids, until) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        // Never wait on a row lock here. A locked row is being finished by record() (whose
        // transaction updates rows one by one); waiting while holding this statement's other
        // row locks deadlocked with it, and a lost extend let leases of queued rows run out,
        // so they were claimed and sent again. Skipped rows are retried on the next extend,
        // well inside the lease.
        const target = db.selectFrom('deliveries').select('id').where('id', 'in', ids.slice(i, i + CHUNK)).where('status', '=', 'pending').forUpdate().skipLocked();
        await db.updateTable('deliveries').set({ next_attempt_at: until, lease_until: until }).where('id', 'in', target).where('status', '=', 'pending').execute();
      }
    },

    async release(ids, now) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await db
          .updateTable('deliveries')
          .set({ next_attempt_at: now, lease_until: null, updated_at: now })
          .where('id', 'in', ids.slice(i, i + CHUNK))
          .where('status', '=', 'pending')
          .execute();
      }
    },

    async releaseAllLeases(now) {
      const r = await db
        .updateTable('deliveries')
        .set({ next_attempt_at: now, lease_until: null })
        .where('status', '=', 'pending')
        .where('lease_until', 'is not', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async record(results, now, disableAfterMs) {
      if (!results.length) return [];
      return db.transaction().execute(async (tx) => {
        for (let i = 0; i < results.length; i += 200) {
          await tx
            .insertInto('attempts')
            .values(results.slice(i, i + 200).map((r) => ({ ...r.attempt, delivery_id: r.deliveryId, project_id: r.projectId, webhook_id: r.webhookId })))
            .execute();
        }
        await updateDeliveries(tx, results, now);
        return updateWebhooks(tx, results, now, disableAfterMs);
      });
    },

    async nextDue() {
      const r = await db.selectFrom('deliveries').select((e) => e.fn.min('next_attempt_at').as('t')).where('status', '=', 'pending').executeTakeFirst();
      return r?.t == null ? undefined : Number(r.t);
    },
  };
}

/** The state of a whole batch of deliveries in one round trip. */
async function updateDeliveries(tx: Kysely<DB>, results: AttemptRecord[], now: number) {
  const col = <T>(f: (r: AttemptRecord) => T) => results.map(f);
  await sql`update deliveries d set status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at, lease_until = null,
      last_status_code = v.code, last_error = v.error, last_reason = v.reason, last_response_ms = v.ms, last_response_body = v.body,
      delivered_at = v.delivered_at, updated_at = ${now}
    from unnest(${col((r) => r.deliveryId)}::text[], ${col((r) => r.status)}::text[], ${col((r) => r.attempt.attempt)}::int[],
      ${col((r) => r.nextAttemptAt)}::bigint[], ${col((r) => r.attempt.response_status)}::int[], ${col((r) => r.attempt.error)}::text[],
      ${col((r) => r.reason)}::text[], ${col((r) => r.attempt.duration_ms)}::int[], ${col((r) => r.attempt.response_body)}::text[],
      ${col((r) => (r.status === 'delivered' ? r.attempt.created_at : null))}::bigint[])
      as v(id, status, attempts, next_attempt_at, code, error, reason, ms, body, delivered_at)
    where d.id = v.id and d.status = 'pending'`.execute(tx); // a late result never overwrites a finished delivery
}

async function updateWebhooks(tx: Kysely<DB>, results: AttemptRecord[], now: number, disableAfterMs: number) {
  const disabled: WebhookDisabled[] = [];
  // Webhook rows in id order, so two workers' batches lock them in the same order (no deadlock).
  for (const [id, w] of [...webhookOutcomes(results)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (w.ok && !w.disable) {
      await tx.updateTable('webhooks').set({ last_delivery_at: now, failing_since: null }).where('id', '=', id).execute();
      continue;
    }
    const row = await tx
      .updateTable('webhooks')
      .set({ last_delivery_at: now, failing_since: sql`coalesce(failing_since, ${now})` })
      .where('id', '=', id)
      .returning(['active', 'failing_since'])
      .executeTakeFirst();
    if (!row || row.active !== 1) continue;
    const reason = disableReason(w.disable, row.failing_since, now, disableAfterMs);
    if (reason) {
      await tx.updateTable('webhooks').set({ active: 0, disabled_reason: reason, updated_at: now }).where('id', '=', id).execute();
      disabled.push({ projectId: w.projectId, webhookId: id, reason });
    }
  }
  return disabled;
}
