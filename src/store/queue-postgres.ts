/**
 * The delivery queue on PostgreSQL: few round trips per batch, never per row. Claims take
 * `FOR UPDATE SKIP LOCKED`, so many workers share one table; a batch's results go in
 * with one multi-row insert and one `UPDATE … FROM unnest(…)`.
 */
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { DB } from './schema.js';
import { ASYNC_COMMIT, leaseRows } from './leases.js';
import { groupCommit } from './group-commit.js';
import { AppError } from '../errors.js';
import { preparedStatements } from './pg-prepared.js';
import { int4Array, int8Array, textArray } from './pg-arrays.js';
import {
  fifoHead,
  byCreation,
  deliveriesFor,
  disableReason,
  toMatchRow,
  webhookOutcomes,
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliveryQueue,
  type MatchRow,
  type PublishItem,
  type Stored,
  type WebhookDisabled,
} from './queue.js';

/**
 * What a project's active webhooks match on, as one string: it changes whenever a publish
 * could match differently (a webhook added, removed, turned off or on, or its filters
 * edited). `p` is the SQL for the project id.
 */
const fingerprint = (p: ReturnType<typeof sql>) => sql`(select md5(coalesce(string_agg(
    w.id || '|' || w.events || '|' || w.spaces || '|' || w.channels || '|' || coalesce(w.filter, '') || '|' || w.ordering, '#' order by w.created_at, w.id), ''))
  from webhooks w where w.project_id = ${p} and w.active = 1)`;
/** The fingerprint of a project without active webhooks. */
const EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';
/** Publish batches one process keeps in flight at once (each holds a pool connection while it commits). */
const PUBLISH_LANES = 3;

/** `statements`: the pool the hot prepared statements run on (the store's hot pool, else its main pool). */
export function postgresQueue(db: Kysely<DB>, statements: pg.Pool): DeliveryQueue {
  const prepared = preparedStatements(db, statements);
  const leases = leaseRows(db, 'deliveries', { skipLocked: true });
  /**
   * Each project's active webhooks as last read, with their fingerprint. A publish uses
   * them without reading again, and its insert checks the fingerprint in the same
   * statement: if the webhooks changed meanwhile, nothing is inserted, they are read
   * again and the batch is stored with them. One round trip per publish batch instead of two.
   */
  const targets = new Map<string, { fp: string; rows: MatchRow[]; fifo: boolean }>();

  async function readTargets(projectId: string) {
    const rows = await sql<Parameters<typeof toMatchRow>[0] & { fp: string }>`
      select id, events, spaces, channels, filter, ordering, ${fingerprint(sql`${projectId}`)} as fp
      from webhooks where project_id = ${projectId} and active = 1 order by created_at, id`.execute(db);
    const matchRows = rows.rows.map(toMatchRow);
    const t = { fp: rows.rows[0]?.fp ?? EMPTY, rows: matchRows, fifo: matchRows.some((w) => w.fifo) };
    if (targets.size >= 1000 && !targets.has(projectId)) targets.delete(targets.keys().next().value!);
    targets.set(projectId, t);
    return t;
  }

  /** One statement: the batch's events and deliveries, if every project's webhooks are still as read. */
  async function insertIfCurrent(items: PublishItem[], checked: Map<string, string>): Promise<Stored[] | undefined> {
    const deliveries: ReturnType<typeof deliveriesFor>['rows'] = [];
    const out: Stored[] = [];
    for (const item of items) {
      const ev = item.row;
      let to: Array<{ id: string; fifo: boolean }>;
      if (item.onlyWebhookId) {
        const w = await db.selectFrom('webhooks').select(['id', 'ordering']).where('project_id', '=', ev.project_id).where('id', '=', item.onlyWebhookId).executeTakeFirst();
        to = w ? [{ id: w.id, fifo: w.ordering === 'fifo' }] : [];
      } else {
        to = targets.get(ev.project_id)!.rows.filter(item.matches);
      }
      const { rows, refs, handed } = deliveriesFor(item, to);
      deliveries.push(...rows);
      out.push({ refs, handed });
    }
    const ev = <T>(f: (r: PublishItem['row']) => T) => items.map((i) => f(i.row));
    const dl = <T>(f: (r: ReturnType<typeof deliveriesFor>['rows'][number]) => T) => deliveries.map(f);
    const r = await prepared(sql<{ ok: boolean }>`with g as (
        select coalesce(bool_and(p.fp = ${fingerprint(sql`p.pid`)}), true) as ok from unnest(${textArray([...checked.keys()])}::text[], ${textArray([...checked.values()])}::text[]) as p(pid, fp)
      ), e as (
        insert into events (project_id, id, type, payload, space, channels, idempotency_key, created_at, test)
        select * from unnest(${textArray(ev((r) => r.project_id))}::text[], ${textArray(ev((r) => r.id))}::text[], ${textArray(ev((r) => r.type))}::text[],
          ${textArray(ev((r) => r.payload))}::text[], ${textArray(ev((r) => r.space ?? null))}::text[], ${textArray(ev((r) => r.channels))}::text[],
          ${textArray(ev((r) => r.idempotency_key ?? null))}::text[], ${int8Array(ev((r) => r.created_at))}::bigint[], ${int4Array(ev((r) => r.test ?? 0))}::int[])
        where (select ok from g)
      ), d as (
        insert into deliveries (id, project_id, event_id, event_type, webhook_id, fifo, status, attempts, attempt_base, next_attempt_at, lease_until, created_at, updated_at)
        select v.id, v.project_id, v.event_id, v.event_type, v.webhook_id, v.fifo, 'pending', 0, 0, v.next_attempt_at, v.lease_until, v.created_at, v.created_at
        from unnest(${textArray(dl((d) => d.id))}::text[], ${textArray(dl((d) => d.project_id))}::text[], ${textArray(dl((d) => d.event_id))}::text[], ${textArray(dl((d) => d.event_type))}::text[],
          ${textArray(dl((d) => d.webhook_id))}::text[], ${int4Array(dl((d) => d.fifo))}::int[], ${int8Array(dl((d) => d.next_attempt_at))}::bigint[], ${int8Array(dl((d) => d.lease_until))}::bigint[],
          ${int8Array(dl((d) => d.created_at))}::bigint[]) as v(id, project_id, event_id, event_type, webhook_id, fifo, next_attempt_at, lease_until, created_at)
        where (select ok from g)
      )
      select ok from g`);
    return r[0]!.ok ? out : undefined;
  }

  /**
   * Usually one round trip for a whole batch: one statement that inserts every event and
   * delivery (data-modifying CTEs: atomic, committed as one statement, so no BEGIN/COMMIT
   * round trips), matched against the projects' webhooks as last read.
   */
  const storeBatch = async (items: PublishItem[]): Promise<Stored[]> => {
    const projects = [...new Set(items.filter((i) => !i.onlyWebhookId).map((i) => i.row.project_id))];
    for (const p of projects) if (!targets.has(p)) await readTargets(p);
    for (let tries = 1; ; tries++) {
      const checked = new Map(projects.map((p) => [p, targets.get(p)!.fp]));
      const out = await insertIfCurrent(items, checked);
      if (out) return out;
      // Some project's webhooks changed since they were read: read them again (a
      // statement sees a committed snapshot, so this settles unless they keep changing).
      if (tries >= 5) {
        throw new AppError('SERVICE_UNAVAILABLE', 'The webhooks kept changing while these events were stored; nothing was stored: publish again', [], { retryable: true });
      }
      for (const p of projects) await readTargets(p);
    }
  };
  /**
   * Publishes are stored in up to PUBLISH_LANES batches at once, so one that arrives while a
   * batch commits does not wait for that round trip. Batches of a project with a FIFO
   * webhook (or not yet read) keep to one lane: their events commit in the order they were
   * accepted, which is the order a FIFO line is sent in. So do test sends.
   */
  const serial = groupCommit(storeBatch);
  const lanes = groupCommit(storeBatch, PUBLISH_LANES);
  const inLanes = (item: PublishItem) => !item.onlyWebhookId && targets.get(item.row.project_id)?.fifo === false;

  return {
    findsExisting: false,
    store: (item) => (inLanes(item) ? lanes : serial)(item),

    /**
     * One round trip: lease the due rows and read their events' payloads with them.
     * A lease is bookkeeping, not data: its commit does not wait for the WAL flush (see ASYNC_COMMIT).
     */
    async claim(limit, now, leaseUntil, skipWebhooks) {
      const skip = skipWebhooks.length ? sql`and not (webhook_id = any(${skipWebhooks}::text[]))` : sql``;
      const r = await sql<ClaimedDelivery>`with ${ASYNC_COMMIT}, c as (
          update deliveries set next_attempt_at = ${leaseUntil}, lease_until = ${leaseUntil}, updated_at = ${now}
          where id in (select id from deliveries where status = 'pending' and next_attempt_at <= ${now} ${sql.raw(fifoHead(integerLiteral(now)))} ${skip}
            order by next_attempt_at limit ${limit} for update skip locked) and exists (select 1 from async)
          returning *
        )
        select c.*, coalesce(e.payload, '') as payload, e.space from c left join events e on e.project_id = c.project_id and e.id = c.event_id`.execute(db);
      return r.rows.sort(byCreation);
    },

    extend: leases.extend,
    release: leases.release,
    releaseAllLeases: leases.releaseAll,

    async record(results, now, disableAfterMs) {
      if (!results.length) return [];
      const outcomes = webhookOutcomes(results);
      if ([...outcomes.values()].every((w) => w.ok && !w.disable)) {
        // The usual batch, every request answered well: one statement, no transaction round trips.
        await prepared(sql`with a as (${insertAttempts(results)}), d as (${updateDeliveries(results, now)})
          update webhooks set last_delivery_at = ${now}, failing_since = null
          where id in (select id from webhooks where id = any(${[...outcomes.keys()]}::text[]) order by id for update)`);
        // (Rows locked in id order, as updateWebhooks does: two workers' batches cannot deadlock on them.)
        return [];
      }
      return db.transaction().execute(async (tx) => {
        await insertAttempts(results).execute(tx);
        await updateDeliveries(results, now).execute(tx);
        return updateWebhooks(tx, outcomes, now, disableAfterMs);
      });
    },

    async nextDue() {
      const r = await db.selectFrom('deliveries').select((e) => e.fn.min('next_attempt_at').as('t')).where('status', '=', 'pending').executeTakeFirst();
      return r?.t == null ? undefined : Number(r.t);
    },
  };
}

/** A batch's attempt rows, as one statement. */
function insertAttempts(results: AttemptRecord[]) {
  const col = <T>(f: (r: AttemptRecord) => T) => results.map(f);
  const a = <T>(f: (a: AttemptRecord['attempt']) => T) => results.map((r) => f(r.attempt));
  return sql`insert into attempts (id, delivery_id, project_id, webhook_id, attempt, status, request_url, request_method, request_headers,
      request_body, response_status, response_headers, response_body, duration_ms, error, retry_reason, notes, created_at)
    select * from unnest(${textArray(a((x) => x.id))}::text[], ${textArray(col((r) => r.deliveryId))}::text[], ${textArray(col((r) => r.projectId))}::text[], ${textArray(col((r) => r.webhookId))}::text[],
      ${int4Array(a((x) => x.attempt))}::int[], ${textArray(a((x) => x.status))}::text[], ${textArray(a((x) => x.request_url))}::text[], ${textArray(a((x) => x.request_method))}::text[],
      ${textArray(a((x) => x.request_headers))}::text[], ${textArray(a((x) => x.request_body))}::text[], ${int4Array(a((x) => x.response_status))}::int[], ${textArray(a((x) => x.response_headers))}::text[],
      ${textArray(a((x) => x.response_body))}::text[], ${int4Array(a((x) => x.duration_ms))}::int[], ${textArray(a((x) => x.error))}::text[], ${textArray(a((x) => x.retry_reason))}::text[],
      ${textArray(a((x) => x.notes))}::text[], ${int8Array(a((x) => x.created_at))}::bigint[])`;
}

/** A time in milliseconds as SQL text (a claim's statement is parsed each time anyway). */
function integerLiteral(n: number) {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** The state of a whole batch of deliveries, as one statement. */
function updateDeliveries(results: AttemptRecord[], now: number) {
  const col = <T>(f: (r: AttemptRecord) => T) => results.map(f);
  return sql`update deliveries d set status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at, lease_until = null,
      last_status_code = v.code, last_error = v.error, last_reason = v.reason, last_response_ms = v.ms, last_response_body = v.body,
      delivered_at = v.delivered_at, updated_at = ${now}
    from unnest(${textArray(col((r) => r.deliveryId))}::text[], ${textArray(col((r) => r.status))}::text[], ${int4Array(col((r) => r.attempt.attempt))}::int[],
      ${int8Array(col((r) => r.nextAttemptAt))}::bigint[], ${int4Array(col((r) => r.attempt.response_status))}::int[], ${textArray(col((r) => r.attempt.error))}::text[],
      ${textArray(col((r) => r.reason))}::text[], ${int4Array(col((r) => r.attempt.duration_ms))}::int[], ${textArray(col((r) => r.attempt.response_body))}::text[],
      ${int8Array(col((r) => (r.status === 'delivered' ? r.attempt.created_at : null)))}::bigint[])
      as v(id, status, attempts, next_attempt_at, code, error, reason, ms, body, delivered_at)
    where d.id = v.id and d.status = 'pending'`; // a late result never overwrites a finished delivery
}

async function updateWebhooks(tx: Kysely<DB>, outcomes: ReturnType<typeof webhookOutcomes>, now: number, disableAfterMs: number) {
  const disabled: WebhookDisabled[] = [];
  // Webhook rows in id order, so two workers' batches lock them in the same order (no deadlock).
  for (const [id, w] of [...outcomes].sort(([a], [b]) => (a < b ? -1 : 1))) {
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
