/**
 * The delivery queue: the deliveries table as the worker and the publish path use it.
 * One interface, one implementation per dialect (queue-sqlite.ts: prepared statements
 * on the raw better-sqlite3 handle; queue-postgres.ts: batched SQL through Kysely),
 * each readable on its own. What both share — row shapes and the decisions made in
 * JS — lives here.
 *
 * A claim moves `next_attempt_at` to the lease's end, so the due-index scan never walks
 * rows that are in flight, and a crashed worker's rows become due again when the lease
 * runs out. A publish may store a delivery already leased to this process's worker
 * (`PublishItem.leaseFor`) and hand it over in memory: no claim query finds it again,
 * and a crash before it is sent leaves a lease that runs out like any other.
 */
import type { Insertable, Selectable } from 'kysely';
import { newId } from '../ids.js';
import type { MatchTarget } from '../core/matching.js';
import type { AttemptsTable, DeliveriesTable, DeliveryStatus, EventsTable } from './schema.js';

/** A delivery the worker holds: the row plus its event's payload bytes and space. */
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

/** An active webhook's filters, as publish matches them. */
export interface MatchRow extends MatchTarget {
  id: string;
  fifo: boolean;
}

/** A webhook row's matching columns (JSON text), parsed once per read: both dialects' publish paths read them so. */
export function toMatchRow(r: { id: string; ordering: string; events: string; spaces: string; channels: string; filter: string | null }): MatchRow {
  return {
    id: r.id,
    fifo: r.ordering === 'fifo',
    events: JSON.parse(r.events),
    spaces: JSON.parse(r.spaces),
    channels: JSON.parse(r.channels),
    filter: r.filter ? JSON.parse(r.filter) : null,
  };
}

export interface PublishItem {
  row: Insertable<EventsTable>;
  matches: (w: MatchTarget) => boolean;
  /** Deliver only to this webhook (a test send), matching or not. */
  onlyWebhookId?: string;
  /**
   * Asked per new delivery: the lease's end if this process's worker takes it at once
   * (stored leased, returned in `handed`), or undefined to store it due now for any
   * worker's claim. FIFO deliveries are never handed over: only a claim knows the head.
   */
  leaseFor?: (webhookId: string) => number | undefined;
  /** The caller gave the event's id: an event stored under it is answered instead (as one under the idempotency key is). */
  givenId?: boolean;
}

export interface DeliveryRef {
  id: string;
  webhookId: string;
  status: string;
}

export interface Stored {
  refs: DeliveryRef[];
  /** Deliveries stored leased to this process: the caller hands them to its worker. */
  handed: ClaimedDelivery[];
  /** A keyed item whose id or key was already stored: that event's id, and nothing was stored. */
  existingId?: string;
}

export interface DeliveryQueue {
  /**
   * Whether `store` itself answers keyed items already stored (`existingId`), inside its
   * transaction; otherwise the caller looks them up first, and a race ends in a unique violation.
   */
  findsExisting: boolean;
  /** An event and its deliveries, committed with the publishes of the moment (group commit). */
  store(item: PublishItem): Promise<Stored>;
  /** Up to `limit` due deliveries, leased until `leaseUntil`, skipping saturated webhooks; oldest first. */
  claim(limit: number, now: number, leaseUntil: number, skipWebhooks: string[]): Promise<ClaimedDelivery[]>;
  /** Keeps leases of rows this worker still holds from running out. */
  extend(ids: string[], until: number): Promise<void>;
  /** Gives rows back (shutdown, a failed dispatch): due again at once. */
  release(ids: string[], now: number): Promise<void>;
  /** SQLite start-up: every lease belongs to a dead process. Returns how many rows were retaken. */
  releaseAllLeases(now: number): Promise<number>;
  /** Attempts, delivery state and webhook bookkeeping of a batch in one transaction; the webhooks it disabled. */
  record(results: AttemptRecord[], now: number, disableAfterMs: number): Promise<WebhookDisabled[]>;
  /** The nearest due time among pending rows (for the wake-up timer). */
  nextDue(): Promise<number | undefined>;
}

/** A new pending delivery of one event to one webhook, due at `dueAt` (now, or a lease's end when handed over). */
export function newDeliveryRow(
  projectId: string,
  eventId: string,
  eventType: string,
  webhookId: string,
  now: number,
  fifo = false,
  leaseUntil: number | null = null,
): Insertable<DeliveriesTable> & { id: string; fifo: number; next_attempt_at: number; lease_until: number | null } {
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
    next_attempt_at: leaseUntil ?? now,
    lease_until: leaseUntil,
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

/**
 * The delivery rows one event gets: one per target, leased when `leaseFor` says so.
 * `handed` are the leased ones as the worker holds them.
 */
export function deliveriesFor(item: PublishItem, targets: Array<{ id: string; fifo: boolean }>) {
  const ev = item.row;
  const rows = [];
  const handed: ClaimedDelivery[] = [];
  for (const w of targets) {
    const lease = w.fifo ? undefined : item.leaseFor?.(w.id);
    const d = newDeliveryRow(ev.project_id, ev.id, ev.type, w.id, ev.created_at, w.fifo, lease ?? null);
    rows.push(d);
    // The worker holds the row itself, with its event's bytes (the inserts name their columns).
    if (lease !== undefined) handed.push(Object.assign(d as Selectable<DeliveriesTable>, { payload: ev.payload, space: ev.space ?? null }));
  }
  return { rows, handed, refs: rows.map((r): DeliveryRef => ({ id: r.id, webhookId: r.webhook_id, status: 'pending' })) };
}

/** Oldest first: the order a line of deliveries is sent in. */
export const byCreation = (a: ClaimedDelivery, b: ClaimedDelivery) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1);

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

/**
 * A FIFO webhook's delivery may be claimed only at the head of its line: no older
 * delivery of the webhook is still pending (waiting for a retry, or in flight), and none
 * of the webhook's deliveries is in flight or waiting for a retry (due after `now`, the
 * claim's time as SQL). The second half keeps one at a time when an older event is
 * stored after a newer one was claimed (publishes of two processes, or of two batches of
 * one, commit in any order): it waits for the one in flight instead of joining it.
 * The same SQL on both dialects; each index probe is O(1) (the pending FIFO rows by
 * webhook and time, the pending rows by webhook and due time).
 */
export const fifoHead = (now: string) => `and (fifo = 0 or (not exists (select 1 from deliveries h where h.fifo = 1 and h.status = 'pending'
  and h.webhook_id = deliveries.webhook_id and (h.created_at < deliveries.created_at or (h.created_at = deliveries.created_at and h.id < deliveries.id)))
  and not exists (select 1 from deliveries h where h.status = 'pending' and h.webhook_id = deliveries.webhook_id and h.next_attempt_at > ${now})))`;
