/**
 * SQLite hot paths as prepared statements on the raw better-sqlite3 handle: the claim
 * and the result batch. Kysely re-plans every query (tens of µs each, more than the
 * query itself); these run in a few µs per row.
 *
 * Hazard: call these only while Kysely holds the one connection — inside
 * `db.connection()` or `db.transaction()` — so they never interleave with an open
 * Kysely transaction. They are synchronous, so nothing else runs meanwhile.
 */
import type { Insertable } from 'kysely';
import type SQLite from 'better-sqlite3';
import { disableReason, newDeliveryRow, webhookOutcomes, type ClaimedDelivery, type AttemptRecord, type WebhookDisabled } from './deliveries.js';
import type { EventsTable } from './schema.js';

/** An active webhook's filters, as publish matches them. */
export interface MatchRow {
  id: string;
  fifo: boolean;
  events: string[];
  spaces: string[];
  channels: string[];
  filter: Record<string, unknown> | null;
}

/**
 * A FIFO webhook's delivery may be claimed only at the head of its line: no older
 * delivery of the webhook is still pending (waiting for a retry, or in flight).
 */
export const FIFO_HEAD = `and (fifo = 0 or not exists (select 1 from deliveries h where h.fifo = 1 and h.status = 'pending'
  and h.webhook_id = deliveries.webhook_id and (h.created_at < deliveries.created_at or (h.created_at = deliveries.created_at and h.id < deliveries.id))))`;

export function sqliteHotPaths(sqlite: SQLite.Database) {
  const RETURNING = 'returning id, project_id, event_id, event_type, webhook_id, attempts, attempt_base, next_attempt_at, last_reason, created_at';
  const claimAny = sqlite.prepare(
    `update deliveries set next_attempt_at = ?, lease_until = ?, updated_at = ? where id in (
       select id from deliveries where status = 'pending' and next_attempt_at <= ? ${FIFO_HEAD} order by next_attempt_at limit ?) ${RETURNING}`,
  );
  const allWebhooks = sqlite.prepare('select id from webhooks');
  const claimOne = sqlite.prepare(
    `update deliveries set next_attempt_at = ?, lease_until = ?, updated_at = ? where id in (
       select id from deliveries where status = 'pending' and webhook_id = ? and next_attempt_at <= ? ${FIFO_HEAD} order by next_attempt_at limit ?) ${RETURNING}`,
  );
  const payload = sqlite.prepare('select payload, space from events where project_id = ? and id = ?');
  const insertAttempt = sqlite.prepare(
    `insert into attempts (id, delivery_id, project_id, webhook_id, attempt, status, request_url, request_method, request_headers,
       request_body, response_status, response_headers, response_body, duration_ms, error, retry_reason, notes, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateDelivery = sqlite.prepare(
    `update deliveries set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, last_status_code = ?, last_error = ?,
       last_reason = ?, last_response_ms = ?, last_response_body = ?, delivered_at = ?, updated_at = ?
     where id = ? and status = 'pending'`, // a late result never overwrites a finished delivery
  );

  const webhookOk = sqlite.prepare('update webhooks set last_delivery_at = ?, failing_since = null where id = ?');
  const webhookFailed = sqlite.prepare(
    'update webhooks set last_delivery_at = ?, failing_since = coalesce(failing_since, ?) where id = ? returning active, failing_since',
  );
  const webhookDisable = sqlite.prepare('update webhooks set active = 0, disabled_reason = ?, updated_at = ? where id = ?');

  const writeResults = (results: AttemptRecord[], now: number) => {
    for (const r of results) {
      const a = r.attempt;
      insertAttempt.run(
        a.id, r.deliveryId, r.projectId, r.webhookId, a.attempt, a.status, a.request_url, a.request_method, a.request_headers,
        a.request_body, a.response_status, a.response_headers, a.response_body, a.duration_ms, a.error, a.retry_reason, a.notes, a.created_at,
      );
      updateDelivery.run(
        r.status, a.attempt, r.nextAttemptAt, a.response_status, a.error, r.reason, a.duration_ms, a.response_body,
        r.status === 'delivered' ? a.created_at : null, now, r.deliveryId,
      );
    }
  };

  /** Attempts, delivery state and webhook bookkeeping of a batch, in one transaction. */
  const record = sqlite.transaction((results: AttemptRecord[], now: number, disableAfterMs: number): WebhookDisabled[] => {
    writeResults(results, now);
    const disabled: WebhookDisabled[] = [];
    for (const [id, w] of webhookOutcomes(results)) {
      if (w.ok && !w.disable) {
        webhookOk.run(now, id);
        continue;
      }
      const row = webhookFailed.get(now, now, id) as { active: number; failing_since: number | null } | undefined;
      if (!row || row.active !== 1) continue;
      const reason = disableReason(w.disable, row.failing_since, now, disableAfterMs);
      if (reason) {
        webhookDisable.run(reason, now, id);
        disabled.push({ projectId: w.projectId, webhookId: id, reason });
      }
    }
    return disabled;
  });

  const insertEvent = sqlite.prepare(
    'insert into events (project_id, id, type, payload, space, channels, idempotency_key, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const targets = sqlite.prepare(
    'select id, events, spaces, channels, filter, ordering from webhooks where project_id = ? and active = 1 order by created_at, id',
  );
  const insertDelivery = sqlite.prepare(
    `insert into deliveries (id, project_id, event_id, event_type, webhook_id, fifo, status, attempts, attempt_base, next_attempt_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?)`,
  );

  /** A project's active webhooks with their filters parsed, read inside the transaction. */
  const matchRows = (projectId: string): MatchRow[] =>
    (targets.all(projectId) as Array<Record<string, string | null>>).map((r) => ({
      id: r.id!,
      fifo: r.ordering === 'fifo',
      events: JSON.parse(r.events!),
      spaces: JSON.parse(r.spaces!),
      channels: JSON.parse(r.channels!),
      filter: r.filter ? JSON.parse(r.filter) : null,
    }));

  type Ref = { id: string; webhookId: string; status: string };
  const store = (ev: Insertable<EventsTable>, matches: (w: MatchRow) => boolean, webhooks: MatchRow[]): Ref[] => {
    insertEvent.run(ev.project_id, ev.id, ev.type, ev.payload, ev.space, ev.channels, ev.idempotency_key, ev.created_at);
    const out: Ref[] = [];
    for (const w of webhooks) {
      if (!matches(w)) continue;
      const d = newDeliveryRow(ev.project_id, ev.id, ev.type, w.id, ev.created_at, w.fifo);
      insertDelivery.run(d.id, ev.project_id, ev.id, ev.type, w.id, d.fifo, ev.created_at, ev.created_at, ev.created_at);
      out.push({ id: d.id as string, webhookId: w.id, status: 'pending' });
    }
    return out;
  };

  /** The event and one pending delivery per matching active webhook, in one transaction. */
  const publish = sqlite.transaction((ev: Insertable<EventsTable>, matches: (w: MatchRow) => boolean) => store(ev, matches, matchRows(ev.project_id)));

  /**
   * Group commit: many events in one transaction (the commit, not the inserts, was most
   * of a publish's cost), each project's webhooks read once for the whole batch.
   */
  const publishBatch = sqlite.transaction((items: Array<{ row: Insertable<EventsTable>; matches: (w: MatchRow) => boolean }>): Ref[][] => {
    const byProject = new Map<string, MatchRow[]>();
    return items.map(({ row, matches }) => {
      let webhooks = byProject.get(row.project_id);
      if (!webhooks) byProject.set(row.project_id, (webhooks = matchRows(row.project_id)));
      return store(row, matches, webhooks);
    });
  });

  return {
    publish: (ev: Insertable<EventsTable>, matches: (w: MatchRow) => boolean) => publish(ev, matches),
    publishBatch: (items: Array<{ row: Insertable<EventsTable>; matches: (w: MatchRow) => boolean }>) => publishBatch(items),
    record: (results: AttemptRecord[], now: number, disableAfterMs: number) => record(results, now, disableAfterMs),
    /** Only the columns the worker reads come back: materialising every column cost more than the update. */
    claim(limit: number, now: number, leased: number, skip: string[]): ClaimedDelivery[] {
      let rows: ClaimedDelivery[];
      if (!skip.length) {
        rows = claimAny.all(leased, leased, now, now, limit) as ClaimedDelivery[];
      } else {
        // Some lanes are full: ask every other webhook for its due rows through the
        // (status, webhook_id, next_attempt_at) index — O(webhooks), not O(their backlog).
        const skipped = new Set(skip);
        rows = [];
        for (const { id } of allWebhooks.all() as Array<{ id: string }>) {
          if (skipped.has(id) || rows.length >= limit) continue;
          rows.push(...(claimOne.all(leased, leased, now, id, now, limit - rows.length) as ClaimedDelivery[]));
        }
      }
      for (const r of rows) {
        const ev = payload.get(r.project_id, r.event_id) as { payload: string; space: string | null } | undefined;
        r.payload = ev?.payload ?? '';
        r.space = ev?.space ?? null;
      }
      return rows;
    },

  };
}
export type SqliteHotPaths = ReturnType<typeof sqliteHotPaths>;
