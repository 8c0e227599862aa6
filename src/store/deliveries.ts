/**
 * The worker's side of the deliveries table: claim with a lease, extend, release,
 * and group-commit attempt results. A claim moves `next_attempt_at` to the lease's
 * end, so the due-index scan never walks rows that are in flight, and a crashed
 * worker's rows simply become due again when the lease runs out.
 */
import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { newId } from '../ids.js';
import { FIFO_HEAD, type SqliteHotPaths } from './sqlite-hot.js';
import type { Capabilities } from './db.js';
import type { AttemptsTable, DB, DeliveriesTable, DeliveryStatus } from './schema.js';

/** A new pending delivery of one event to one webhook, due now. */
export function newDeliveryRow(projectId: string, eventId: string, eventType: string, webhookId: string, now: number, fifo = false): Insertable<DeliveriesTable> {
  return {
    fifo: fifo ? 1 : 0,
    id: newId('dlv', now),
    project_id: projectId,
    event_id: eventId,
    event_type: eventType,
    webhook_id: webhookId,
    status: 'pending',
    attempts: 0,
    attempt_base: 0,
    next_attempt_at: now,
    lease_until: null,
    last_status_code: null,
    last_error: null,
    last_reason: null,
    last_response_ms: null,
    last_response_body: null,
    delivered_at: null,
    created_at: now,
    updated_at: now,
  };
}

export type ClaimedDelivery = Selectable<DeliveriesTable> & { payload: string; space: string | null };

export interface AttemptRecord {
  deliveryId: string;
  projectId: string;
  webhookId: string;
  attempt: Omit<AttemptsTable, 'delivery_id' | 'project_id' | 'webhook_id'>;
  /** The delivery after this attempt. */
  status: DeliveryStatus;
  nextAttemptAt: number;
  reason: string | null;
  /** Webhook bookkeeping: success resets the failing streak; `disable` turns it off; null: no request was made. */
  webhookOutcome: 'success' | 'failure' | null;
  disableWebhook?: string;
}

export interface WebhookDisabled {
  projectId: string;
  webhookId: string;
  reason: string;
}

/** `hot`: SQLite's prepared-statement paths (see sqlite-hot.ts); absent on PostgreSQL. */
export function deliveriesWorkerRepo(db: Kysely<DB>, caps: Capabilities, hot?: SqliteHotPaths) {
  return {
    /** Up to `limit` due deliveries, leased until `now + leaseMs`, skipping saturated webhooks. */
    async claim(limit: number, now: number, leaseMs: number, skipWebhooks: string[] = []): Promise<ClaimedDelivery[]> {
      if (hot) {
        const rows = await db.connection().execute(async () => hot.claim(limit, now, now + leaseMs, skipWebhooks));
        return rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
      }
      let due = db
        .selectFrom('deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where(sql<boolean>`true ${sql.raw(FIFO_HEAD)}`);
      if (skipWebhooks.length) due = due.where('webhook_id', 'not in', skipWebhooks);
      due = due.orderBy('next_attempt_at').limit(limit);
      if (caps.skipLocked) due = due.forUpdate().skipLocked();
      const leased = now + leaseMs;
      const rows = await db
        .updateTable('deliveries')
        .set({ next_attempt_at: leased, lease_until: leased, updated_at: now })
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
      const payloads = [];
      for (const [projectId, ids] of byProject) {
        payloads.push(
          ...(await db.selectFrom('events').select(['project_id', 'id', 'payload', 'space']).where('project_id', '=', projectId).where('id', 'in', [...ids]).execute()),
        );
      }
      const byKey = new Map(payloads.map((p) => [`${p.project_id}\u0000${p.id}`, p]));
      return rows
        .sort((a, b) => (a.created_at - b.created_at) || (a.id < b.id ? -1 : 1))
        .map((r) => {
          const ev = byKey.get(`${r.project_id}\u0000${r.event_id}`);
          return { ...r, payload: ev?.payload ?? '', space: ev?.space ?? null };
        });
    },

    /** Keeps leases of rows this worker still holds from running out. */
    async extend(ids: string[], until: number): Promise<void> {
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        // PostgreSQL: never wait on a row lock here. A locked row is being finished by
        // record() (whose transaction updates rows one by one); waiting while holding this
        // statement's other row locks deadlocked with it, and a lost extend let leases of
        // queued rows run out, so they were claimed and sent again. Skipped rows are retried
        // on the next extend, well inside the lease.
        const target = caps.skipLocked
          ? db.selectFrom('deliveries').select('id').where('id', 'in', chunk).where('status', '=', 'pending').forUpdate().skipLocked()
          : chunk;
        await db
          .updateTable('deliveries')
          .set({ next_attempt_at: until, lease_until: until })
          .where('id', 'in', target)
          .where('status', '=', 'pending')
          .execute();
      }
    },

    /** Gives rows back (shutdown): due again at once. */
    async release(ids: string[], now: number): Promise<void> {
      for (let i = 0; i < ids.length; i += 500) {
        await db
          .updateTable('deliveries')
          .set({ next_attempt_at: now, lease_until: null, updated_at: now })
          .where('id', 'in', ids.slice(i, i + 500))
          .where('status', '=', 'pending')
          .execute();
      }
    },

    /**
     * SQLite runs one worker per file, so at start-up every lease belongs to a dead
     * process: make those rows due now instead of waiting for the lease to end.
     */
    async releaseAllLeases(now: number): Promise<number> {
      const r = await db
        .updateTable('deliveries')
        .set({ next_attempt_at: now, lease_until: null })
        .where('status', '=', 'pending')
        .where('lease_until', 'is not', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    /**
     * For the queue gauges: pending and failed deliveries per project, and the oldest
     * due time of a pending row that no worker holds (in-flight rows are due at their lease's end).
     */
    async queueStats(now: number): Promise<{ counts: { project_id: string; status: string; n: number }[]; oldestDue: number | undefined }> {
      const counts = await db
        .selectFrom('deliveries')
        .select(['project_id', 'status', (e) => e.fn.countAll<number>().as('n')])
        .where('status', 'in', ['pending', 'failed'])
        .groupBy(['project_id', 'status'])
        .execute();
      const r = await db
        .selectFrom('deliveries')
        .select((e) => e.fn.min('next_attempt_at').as('t'))
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .executeTakeFirst();
      return { counts: counts.map((c) => ({ ...c, n: Number(c.n) })), oldestDue: r?.t == null ? undefined : Number(r.t) };
    },

    /** The nearest due time among pending rows (for the wake-up timer). */
    async nextDue(): Promise<number | undefined> {
      const r = await db
        .selectFrom('deliveries')
        .select((e) => e.fn.min('next_attempt_at').as('t'))
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return r?.t == null ? undefined : Number(r.t);
    },

    /**
     * One transaction for a whole batch of finished attempts: attempt rows, delivery
     * state, webhook bookkeeping. Returns the webhooks this batch disabled.
     */
    async record(results: AttemptRecord[], now: number, disableAfterMs: number): Promise<WebhookDisabled[]> {
      if (!results.length) return [];
      // SQLite: one synchronous transaction, so the connection is held for as short as possible.
      if (hot) return db.connection().execute(async () => hot.record(results, now, disableAfterMs));
      return db.transaction().execute(async (tx) => {
        for (let i = 0; i < results.length; i += 200) {
          const chunk = results.slice(i, i + 200);
          await tx
            .insertInto('attempts')
            .values(chunk.map((r) => ({ ...r.attempt, delivery_id: r.deliveryId, project_id: r.projectId, webhook_id: r.webhookId })))
            .execute();
        }
        await updateDeliveriesPg(tx, results, now);
        return updateWebhooks(tx, results, now, disableAfterMs);
      });
    },
  };
}

/** PostgreSQL: the state of a whole batch of deliveries in one round trip. */
async function updateDeliveriesPg(tx: Kysely<DB>, results: AttemptRecord[], now: number) {
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

/** Per webhook, what a batch of results means for it: the last result decides its streak. */
export function webhookOutcomes(results: AttemptRecord[]) {
  const byWebhook = new Map<string, { projectId: string; ok: boolean; disable?: string }>();
  for (const r of results) {
    if (r.webhookOutcome === null) continue;
    const cur = byWebhook.get(r.webhookId) ?? { projectId: r.projectId, ok: false };
    cur.ok = r.webhookOutcome === 'success';
    if (r.disableWebhook) cur.disable = r.disableWebhook;
    byWebhook.set(r.webhookId, cur);
  }
  return byWebhook;
}

/** Why a still-active, failing webhook must be disabled now, if it must. */
export function disableReason(explicit: string | undefined, failingSince: number | null, now: number, disableAfterMs: number) {
  if (explicit) return explicit;
  if (failingSince != null && now - failingSince >= disableAfterMs) return `every attempt failed for ${Math.round((now - failingSince) / 3600_000)} h`;
  return undefined;
}

async function updateWebhooks(tx: Kysely<DB>, results: AttemptRecord[], now: number, disableAfterMs: number) {
  const disabled: WebhookDisabled[] = [];
  // Webhook rows in id order, so two workers' batches lock them in the same order (no deadlock).
  for (const [id, w] of [...webhookOutcomes(results)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (w.ok && !w.disable) {
      await tx.updateTable('webhooks').set({ last_delivery_at: now, failing_since: null }).where('id', '=', id).execute();
      continue;
    }
    await tx
      .updateTable('webhooks')
      .set({ last_delivery_at: now, failing_since: sql`coalesce(failing_since, ${now})` })
      .where('id', '=', id)
      .execute();
    const row = await tx.selectFrom('webhooks').select(['active', 'failing_since']).where('id', '=', id).executeTakeFirst();
    if (!row || row.active !== 1) continue;
    const reason = disableReason(w.disable, row.failing_since, now, disableAfterMs);
    if (reason) {
      await tx.updateTable('webhooks').set({ active: 0, disabled_reason: reason, updated_at: now }).where('id', '=', id).execute();
      disabled.push({ projectId: w.projectId, webhookId: id, reason });
    }
  }
  return disabled;
}
export type DeliveriesWorkerRepo = ReturnType<typeof deliveriesWorkerRepo>;
