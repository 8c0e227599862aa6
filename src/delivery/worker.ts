/**
 * The delivery loop: claim due rows → send through per-endpoint lanes → group-commit
 * the results. Its I/O is handed in, so backoff, shutdown and crash recovery can be
 * exercised with the real store and a real HTTP receiver alike.
 */
import type { Logger } from 'pino';
import type { AttemptRecord, ClaimedDelivery, DeliveryQueue, WebhookDisabled } from '../store/queue.js';
import type { Webhook } from '../store/webhooks.js';
import { classifyOutcome, delayWithRetryAfter, parseRetryAfter, retryDelayMs, shouldRetry } from '../core/retry.js';
import { newId, processTag } from '../ids.js';
import { buildRequest, type ProjectSettings } from './request.js';
import type { Sender } from './sender.js';
import { Lanes, type LaneLimits } from './lanes.js';
import { LeaseLoop, type LeaseLoopOptions } from './lease-loop.js';
import type { EndpointGate } from './endpoint-gate.js';
import { storable } from '../core/text.js';
import { hideSecret } from '../core/templates.js';


export interface WorkerDeps {
  queue: DeliveryQueue;
  sender: Sender;
  loadWebhooks(ids: string[]): Promise<Map<string, Webhook>>;
  loadProjects(ids: string[]): Promise<Map<string, ProjectSettings>>;
  /** Called after a batch that disabled webhooks (records `webhook.disabled`). */
  onDisabled?(d: WebhookDisabled[]): Promise<void>;
  onAttempt?(outcome: 'success' | 'failure', durationMs: number): void;
  /** A send goes out under this process's own limits: the cluster-wide ones could not be taken. */
  onLimitsFallback?(): void;
  /** Cluster-wide endpoint limits (PostgreSQL mode); absent: per-process lanes only. */
  gate?: EndpointGate;
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

export interface WorkerOptions extends LeaseLoopOptions {
  /** A webhook failing every attempt for this long is disabled. Default: 5 days */
  disableAfterMs?: number;
  /**
   * Other workers claim from the same table (PostgreSQL): a publish hands this worker a
   * fresh delivery only while its lane has a free sending slot, not up to the lane's
   * queue. Default: false (one process per database: it queues up to the lane's cap).
   */
  sharedQueue?: boolean;
}

type AttemptFields = AttemptRecord['attempt'];

/**
 * The result of `row`'s next attempt. What `given` leaves out is what an attempt that made
 * no request has: no request, no response, no retry, the delivery's due time unchanged.
 */
function attemptRecord(
  row: ClaimedDelivery,
  nowMs: number,
  given: Pick<AttemptRecord, 'status' | 'webhookOutcome'> & Partial<Omit<AttemptRecord, 'attempt'>> & { attempt: Partial<AttemptFields> },
): AttemptRecord {
  const { attempt, ...result } = given;
  return {
    deliveryId: row.id,
    projectId: row.project_id,
    webhookId: row.webhook_id,
    nextAttemptAt: row.next_attempt_at,
    reason: null,
    ...result,
    attempt: {
      id: newId('att', nowMs),
      attempt: row.attempts + 1,
      status: 'failure',
      request_url: '',
      request_method: 'POST',
      request_headers: '{}',
      // No request was made: no body ('' — a null would read back as the event's payload).
      request_body: '',
      response_status: null,
      response_headers: null,
      response_body: null,
      duration_ms: 0,
      error: null,
      retry_reason: null,
      notes: null,
      created_at: nowMs,
      ...attempt,
    },
  };
}

/** Webhook deliveries as one kind of leased work: per-endpoint lanes, attempts, retries. */
export class DeliveryWorker extends LeaseLoop<ClaimedDelivery, AttemptRecord> {
  protected readonly label = 'delivery';
  private readonly disableAfterMs: number;
  private readonly lanes: Lanes;
  private readonly random: () => number;
  private lastSkip: string[] = [];
  /**
   * Since the last wake-up, the last claim came back short having skipped these saturated
   * lanes (joined). '' — it skipped none: no row is due, so a commit need not look for
   * more (fresh deliveries are handed over in memory; everything else that makes a row due
   * wakes the loop). undefined — no short claim since the last wake-up: one may find work.
   */
  private shortClaim: string | undefined;
  /** FIFO deliveries finished and not yet committed: once they are, the next of their line is claimable. */
  private readonly fifoFinished = new Set<string>();
  private readonly tag = processTag();

  constructor(private readonly d: WorkerDeps, opts: WorkerOptions = {}) {
    const { disableAfterMs = 5 * 86400_000, sharedQueue = false, ...loop } = opts;
    super(d.logger, loop, d.now ?? Date.now);
    this.disableAfterMs = disableAfterMs;
    this.handOverCap = sharedQueue ? (l) => l.maxConcurrency : this.laneCap;
    this.random = d.random ?? Math.random;
    this.lanes = new Lanes();
  }

  override wake(): void {
    this.shortClaim = undefined;
    super.wake();
  }

  /**
   * For publish: whether this worker takes a fresh delivery to `webhookId` at once, and
   * until when it is leased if so. Not when stopping, when it holds its limit of rows,
   * or when that webhook's lane is full (on a shared queue: has no free sending slot):
   * then the row is stored due and waits for a claim.
   * (A batch of publishes may go over the limits by what it hands over; a claim never does.)
   */
  readonly leaseFor = (webhookId: string): number | undefined => {
    if (!this.running || this.held.size >= this.o.maxHeld || !this.lanes.hasRoom(webhookId, this.handOverCap)) return undefined;
    return this.now() + this.o.leaseMs;
  };

  protected resultId(r: AttemptRecord): string {
    return r.deliveryId;
  }

  protected claimRows(limit: number, now: number): Promise<ClaimedDelivery[]> {
    this.lastSkip = this.lanes.saturated(this.laneCap);
    return this.d.queue.claim(limit, now, now + this.o.leaseMs, this.lastSkip);
  }

  /** Nothing more outside the saturated lanes: until one of them has room (or an outside
   * wake), claiming again would only rescan their due rows. */
  protected override claimedShort(): void {
    this.shortClaim = this.lastSkip.join('\u0000');
  }

  protected override blocked(): boolean {
    return !!this.shortClaim;
  }

  protected nextDue(): Promise<number | undefined> {
    return this.d.queue.nextDue();
  }

  protected inFlight(): number {
    return this.lanes.inFlight;
  }

  protected override dropQueued(): void {
    this.lanes.dropQueued();
  }

  protected extendRows(ids: string[], until: number): Promise<void> {
    return this.d.queue.extend(ids, until);
  }

  protected releaseRows(ids: string[]): Promise<void> {
    return this.d.queue.release(ids, this.now());
  }

  protected async dispatch(rows: ClaimedDelivery[]): Promise<void> {
    const webhooks = await this.d.loadWebhooks([...new Set(rows.map((r) => r.webhook_id))]);
    const projects = await this.d.loadProjects([...new Set(rows.map((r) => r.project_id))]);
    for (const row of rows) {
      const w = webhooks.get(row.webhook_id);
      const project = projects.get(row.project_id);
      if (!w || !w.active || !project) {
        this.finishWithout(row, !w ? 'webhook was deleted' : 'webhook is inactive');
        continue;
      }
      this.lanes.push(w.id, { maxConcurrency: w.maxConcurrency, rateLimit: w.rateLimit }, () => this.attempt(row, w, project).catch((err: unknown) => this.attemptBroke(row, w, err)));
    }
  }

  private async attempt(row: ClaimedDelivery, queued: Webhook, project: ProjectSettings): Promise<void> {
    if (!this.running) return;
    const holder = this.d.gate && (await this.takeSlot(queued, row));
    if (holder === null) return; // stopping while waiting: the row is released with the others
    try {
      // The webhook as it is now, not as when the row joined its lane (a limited lane can hold
      // rows for many seconds): deleted or turned off meanwhile, no request; a rotated secret
      // or a new URL applies. A cache hit (changes in this process clear it; others' within 1 s).
      const w = (await this.d.loadWebhooks([queued.id])).get(queued.id);
      if (!w || !w.active) return this.finishWithout(row, !w ? 'webhook was deleted' : 'webhook is inactive');
      await this.send(row, w, project);
    } finally {
      if (holder) await this.d.gate!.release(queued.id, holder).catch((err) => this.d.logger.warn({ err, webhook_id: queued.id }, 'releasing an endpoint slot failed (it expires with its lease)'));
    }
  }

  /**
   * Waits for a cluster-wide slot at the webhook's endpoint (maxConcurrency, rateLimit
   * across all workers). If the shared store cannot be reached, this process goes on
   * with its own per-process limits rather than stop delivering (logged).
   */
  private async takeSlot(w: Webhook, row: ClaimedDelivery): Promise<string | null | undefined> {
    const holder = `${this.tag}:${row.id}:${row.attempts + 1}`;
    for (;;) {
      if (!this.running) return null;
      let wait: number;
      try {
        wait = await this.d.gate!.acquire(w, holder);
      } catch (err) {
        this.d.logger.warn({ err, webhook_id: w.id }, 'endpoint limits store unreachable; sending under per-process limits');
        this.d.onLimitsFallback?.();
        return undefined;
      }
      if (wait === 0) return holder;
      await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
    }
  }

  private async send(row: ClaimedDelivery, w: Webhook, project: ProjectSettings): Promise<void> {
    const attemptNumber = row.attempts + 1;
    const budgetUsed = attemptNumber - row.attempt_base;
    const last = !shouldRetry(w.retryPolicy, budgetUsed);
    const plannedDelay = retryDelayMs(w.retryPolicy, budgetUsed, this.random);
    const nowMs = this.now();
    const req = buildRequest(w, project, {
      deliveryId: row.id,
      eventType: row.event_type,
      payload: row.payload,
      space: row.space,
      attemptNumber,
      retryReason: row.last_reason,
      retryAfterSec: last ? undefined : Math.round(plannedDelay / 1000),
      nowMs,
    });
    const res = await this.d.sender.send(req, w.timeout);
    // A template may put {{webhook.secret}} into the URL, headers or body: the attempt log
    // (stored, and shown by the API) keeps "****" in its place.
    const hide = <T extends string | null>(text: T): T => (w.request && text ? (hideSecret(text, w.secret) as T) : text);
    const outcome = classifyOutcome(res);
    this.d.onAttempt?.(outcome.ok ? 'success' : 'failure', res.durationMs);
    let status: AttemptRecord['status'] = 'pending';
    let next = 0;
    if (outcome.ok) status = 'delivered';
    else if (!outcome.retryable || last) status = 'failed';
    else {
      const retryAfter = res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(res.headers?.['retry-after'], this.now()) : undefined;
      next = this.now() + delayWithRetryAfter(w.retryPolicy, plannedDelay, retryAfter);
    }
    if (!outcome.ok) {
      this.d.logger.warn(
        {
          project: row.project_id,
          webhook_id: w.id,
          delivery_id: row.id,
          attempt: attemptNumber,
          status_code: res.statusCode ?? null,
          reason: outcome.reason,
          error: res.error,
          ...(status === 'pending' ? { next_attempt_at: new Date(next).toISOString() } : { final: true }),
        },
        status === 'pending' ? 'delivery attempt failed; will retry' : 'delivery failed',
      );
    }
    this.finishAttempt(
      w,
      attemptRecord(row, nowMs, {
        status,
        nextAttemptAt: status === 'pending' ? next : row.next_attempt_at,
        reason: outcome.reason ?? null,
        webhookOutcome: outcome.ok ? 'success' : 'failure',
        disableWebhook: outcome.disable ? `endpoint answered 410 Gone` : undefined,
        attempt: {
          status: outcome.ok ? 'success' : 'failure',
          request_url: hide(req.url),
          request_method: req.method,
          request_headers: hide(JSON.stringify(req.headers)),
          // null: the event's payload, as sent (not stored twice); '': no body was sent (a GET template).
          request_body: req.body === undefined ? '' : req.body === row.payload ? null : storable(hide(req.body)),
          response_status: res.statusCode ?? null,
          response_headers: res.headers ? JSON.stringify(res.headers) : null,
          response_body: storable(res.body ?? null),
          duration_ms: res.durationMs,
          error: storable(res.error ?? (outcome.ok ? null : `HTTP ${res.statusCode}`)),
          retry_reason: outcome.reason ?? null,
          notes: req.missing?.length ? `template placeholders without a value (sent empty): ${req.missing.join(', ')}` : null,
        },
      }),
    );
  }

  /** Queues an attempt's result. A FIFO line waits for it before its next delivery can be claimed: flushed at once. */
  private finishAttempt(w: Webhook, result: AttemptRecord) {
    const fifo = w.ordering === 'fifo';
    if (fifo) this.fifoFinished.add(result.deliveryId);
    this.finish(result, fifo);
  }

  /**
   * An attempt that threw instead of ending with a result: the database failing the webhook's
   * re-read, a request that could not be built. Recorded as a failed attempt with the error,
   * retried by the webhook's policy (failed once its budget is spent), rather than escaping the
   * lane as an unhandled rejection, which ended the process — and a restart met the same row.
   */
  private attemptBroke(row: ClaimedDelivery, w: Webhook, err: unknown) {
    if (!this.running) return void this.d.logger.warn({ err, delivery_id: row.id }, 'delivery attempt broke while stopping; the row is released'); // with the rest
    const nowMs = this.now();
    const budgetUsed = row.attempts + 1 - row.attempt_base;
    const retry = shouldRetry(w.retryPolicy, budgetUsed);
    const message = storable(err instanceof Error ? err.message : String(err));
    this.d.logger.error({ err, delivery_id: row.id, webhook_id: w.id, attempt: row.attempts + 1 }, retry ? 'delivery attempt broke inside Hookbridge; will retry' : 'delivery attempt broke inside Hookbridge');
    this.finishAttempt(
      w,
      attemptRecord(row, nowMs, {
        status: retry ? 'pending' : 'failed',
        nextAttemptAt: retry ? nowMs + retryDelayMs(w.retryPolicy, budgetUsed, this.random) : row.next_attempt_at,
        webhookOutcome: null,
        attempt: { error: `no request was made: ${message}` },
      }),
    );
  }

  /** A delivery that ends without a request (webhook gone or inactive): failed, and replayable. */
  private finishWithout(row: ClaimedDelivery, error: string) {
    this.finish(attemptRecord(row, this.now(), { status: 'failed', webhookOutcome: null, attempt: { error } }));
  }

  /** One transaction; webhooks it disabled get their `webhook.disabled` event after the commit. */
  protected async recordResults(batch: AttemptRecord[]): Promise<void> {
    const disabled = await this.d.queue.record(batch, this.now(), this.disableAfterMs);
    if (!disabled.length) return;
    try {
      await this.d.onDisabled?.(disabled);
    } catch (err) {
      this.d.logger.error({ err, disabled }, 'recording webhook.disabled failed (the webhooks are disabled)');
    }
  }

  protected override afterCommit(batch: AttemptRecord[]): void {
    let lineMoved = false;
    for (const r of batch) if (this.fifoFinished.delete(r.deliveryId)) lineMoved = true;
    if (lineMoved || batch.some((r) => r.status === 'pending')) {
      this.wake();
    } else if (this.held.size < this.o.maxHeld && this.mayFindWork()) this.schedule();
  }

  /** How full a lane may be for a publish to hand it one more delivery. */
  private readonly handOverCap: (l: LaneLimits) => number;
  /** Rows one endpoint may hold: enough to keep it busy, never a big share of the budget. */
  private laneCap = (l: LaneLimits) => Math.min(Math.max(2 * l.maxConcurrency, 100), Math.floor(this.o.maxHeld / 8));

  /** A claim may find work: none came back short since the last wake-up, or a lane it skipped has room now. */
  private mayFindWork(): boolean {
    if (this.shortClaim === undefined) return true;
    return this.shortClaim !== '' && this.lanes.saturated(this.laneCap).join('\u0000') !== this.shortClaim;
  }
}
