/**
 * The delivery queue on SQLite: prepared statements on the raw better-sqlite3 handle.
 * Kysely re-plans every query (tens of µs each, more than the query itself); these run
 * in a few µs per row, and each operation is one synchronous transaction.
 *
 * Hazard: the statements run only while they hold the one connection (`lend`, or the
 * writer's steps), so they never interleave with an open Kysely transaction. They are
 * synchronous, so nothing else runs meanwhile.
 */
import type { SqliteParts } from './db.js';
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
 * The statements one delivered event makes: stored (event, delivery), then its result
 * (attempt, the delivery's new state). Exported so that bench/experiments/sqlite-statements
 * times exactly these.
 */
export const EVENT_STATEMENTS = {
  insertEvent: 'insert into events (project_id, id, type, payload, space, channels, idempotency_key, created_at, test) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  insertDelivery: `insert into deliveries (id, project_id, event_id, event_type, webhook_id, fifo, status, attempts, attempt_base, next_attempt_at, lease_until, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?, ?)`,
  insertAttempt: `insert into attempts (id, delivery_id, project_id, webhook_id, attempt, status, request_url, request_method, request_headers,
       request_body, response_status, response_headers, response_body, duration_ms, error, retry_reason, notes, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // `status = 'pending'`: a late result never overwrites a finished delivery.
  updateDelivery: `update deliveries set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, last_status_code = ?, last_error = ?,
       last_reason = ?, last_response_ms = ?, last_response_body = ?, delivered_at = ?, updated_at = ?
     where id = ? and status = 'pending'`,
};

export function sqliteQueue({ sqlite, write, lend: locked }: SqliteParts): DeliveryQueue {
  const ids = (list: string[]) => JSON.stringify(list);

  // --- publish ---
  const insertEvent = sqlite.prepare(EVENT_STATEMENTS.insertEvent);
  const activeWebhooks = sqlite.prepare(
    'select id, events, spaces, channels, filter, ordering from webhooks where project_id = ? and active = 1 order by created_at, id',
  );
  const oneWebhook = sqlite.prepare('select id, ordering from webhooks where project_id = ? and id = ?');
  const insertDelivery = sqlite.prepare(EVENT_STATEMENTS.insertDelivery);

  const eventById = sqlite.prepare('select id from events where project_id = ? and id = ?');
  const eventByKey = sqlite.prepare('select id from events where project_id = ? and idempotency_key = ?');
  /**
   * The event a keyed item (an id the caller gave, an idempotency key) answers with: by id,
   * then by key — with both given, a key already used under another id answers its event.
   */
  const existing = (item: PublishItem) => {
    const ev = item.row;
    const found = (item.givenId ? eventById.get(ev.project_id, ev.id) : undefined) ?? (ev.idempotency_key ? eventByKey.get(ev.project_id, ev.idempotency_key) : undefined);
    return (found as { id: string } | undefined)?.id;
  };

  const webhooksKey = (projectId: string) => `webhooks:${projectId}`;
  /** A project's active webhooks with their filters parsed: read once per transaction. */
  const matchRows = (projectId: string, memo: Map<string, unknown>): MatchRow[] => {
    const key = webhooksKey(projectId);
    let rows = memo.get(key) as MatchRow[] | undefined;
    if (!rows) memo.set(key, (rows = (activeWebhooks.all(projectId) as Parameters<typeof toMatchRow>[0][]).map(toMatchRow)));
    return rows;
  };

  /** One publish: a step of the store's writer, so it shares the commit of the moment. */
  const storeOne = (item: PublishItem, memo: Map<string, unknown>): Stored => {
    const ev = item.row;
    const existingId = existing(item);
    if (existingId) return { refs: [], handed: [], existingId };
    let targets: Array<{ id: string; fifo: boolean }>;
    if (item.onlyWebhookId) {
      const w = oneWebhook.get(ev.project_id, item.onlyWebhookId) as { id: string; ordering: string } | undefined;
      targets = w ? [{ id: w.id, fifo: w.ordering === 'fifo' }] : [];
    } else {
      targets = matchRows(ev.project_id, memo).filter(item.matches);
    }
    insertEvent.run(ev.project_id, ev.id, ev.type, ev.payload, ev.space ?? null, ev.channels, ev.idempotency_key ?? null, ev.created_at, ev.test ?? 0);
    const { rows, refs, handed } = deliveriesFor(item, targets);
    for (const d of rows) {
      insertDelivery.run(d.id, d.project_id, d.event_id, d.event_type, d.webhook_id, d.fifo, d.next_attempt_at, d.lease_until, d.created_at, d.created_at);
    }
    return { refs, handed };
  };

  // --- claim ---
  const RETURNING = 'returning id, project_id, event_id, event_type, webhook_id, attempts, attempt_base, next_attempt_at, last_reason, created_at';
  const claimAny = sqlite.prepare(
    `update deliveries set next_attempt_at = ?, lease_until = ?, updated_at = ? where id in (
       select id from deliveries where status = 'pending' and next_attempt_at <= ? ${fifoHead('?')} order by next_attempt_at limit ?) ${RETURNING}`,
  );
  const allWebhooks = sqlite.prepare('select id from webhooks');
  const claimOne = sqlite.prepare(
    `update deliveries set next_attempt_at = ?, lease_until = ?, updated_at = ? where id in (
       select id from deliveries where status = 'pending' and webhook_id = ? and next_attempt_at <= ? ${fifoHead('?')} order by next_attempt_at limit ?) ${RETURNING}`,
  );
  const payload = sqlite.prepare('select payload, space from events where project_id = ? and id = ?');

  /** Only the columns the worker reads come back: materialising every column cost more than the update. */
  const claim = (limit: number, now: number, leased: number, skip: string[]): ClaimedDelivery[] => {
    let rows: ClaimedDelivery[];
    if (!skip.length) {
      rows = claimAny.all(leased, leased, now, now, now, limit) as ClaimedDelivery[];
    } else {
      // Some lanes are full: ask every other webhook for its due rows through the
      // (webhook_id, next_attempt_at) index of pending rows — O(webhooks), not O(their backlog).
      const skipped = new Set(skip);
      rows = [];
      for (const { id } of allWebhooks.all() as Array<{ id: string }>) {
        if (skipped.has(id) || rows.length >= limit) continue;
        rows.push(...(claimOne.all(leased, leased, now, id, now, now, limit - rows.length) as ClaimedDelivery[]));
      }
    }
    for (const r of rows) {
      const ev = payload.get(r.project_id, r.event_id) as { payload: string; space: string | null } | undefined;
      r.payload = ev?.payload ?? '';
      r.space = ev?.space ?? null;
    }
    return rows.sort(byCreation);
  };

  // --- leases ---
  const extend = sqlite.prepare(
    "update deliveries set next_attempt_at = ?, lease_until = ? where id in (select value from json_each(?)) and status = 'pending'",
  );
  const release = sqlite.prepare(
    "update deliveries set next_attempt_at = ?, lease_until = null, updated_at = ? where id in (select value from json_each(?)) and status = 'pending'",
  );
  const releaseAll = sqlite.prepare("update deliveries set next_attempt_at = ?, lease_until = null where status = 'pending' and lease_until is not null");
  const nextDue = sqlite.prepare("select min(next_attempt_at) as t from deliveries where status = 'pending'");

  // --- results ---
  const insertAttempt = sqlite.prepare(EVENT_STATEMENTS.insertAttempt);
  const updateDelivery = sqlite.prepare(EVENT_STATEMENTS.updateDelivery);
  const webhookOk = sqlite.prepare('update webhooks set last_delivery_at = ?, failing_since = null where id = ?');
  const webhookFailed = sqlite.prepare(
    'update webhooks set last_delivery_at = ?, failing_since = coalesce(failing_since, ?) where id = ? returning active, failing_since',
  );
  const webhookDisable = sqlite.prepare('update webhooks set active = 0, disabled_reason = ?, updated_at = ? where id = ?');

  /** A batch of results: a step of the store's writer (it may share a commit with publishes). */
  const record = (results: AttemptRecord[], now: number, disableAfterMs: number, memo: Map<string, unknown>): WebhookDisabled[] => {
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
        // A publish later in this transaction must not match it any more.
        memo.delete(webhooksKey(w.projectId));
        disabled.push({ projectId: w.projectId, webhookId: id, reason });
      }
    }
    return disabled;
  };

  return {
    findsExisting: true,
    store: (item) => write((memo) => storeOne(item, memo)),
    claim: (limit, now, leaseUntil, skip) => locked(() => claim(limit, now, leaseUntil, skip)),
    extend: async (list, until) => {
      if (list.length) await locked(() => extend.run(until, until, ids(list)));
    },
    release: async (list, now) => {
      if (list.length) await locked(() => release.run(now, now, ids(list)));
    },
    releaseAllLeases: (now) => locked(() => releaseAll.run(now).changes),
    record: async (results, now, disableAfterMs) => (results.length ? write((memo) => record(results, now, disableAfterMs, memo)) : []),
    nextDue: () => locked(() => (nextDue.get() as { t: number | null }).t ?? undefined),
  };
}
