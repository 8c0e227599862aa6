/**
 * The delivery loop: claim due rows → send through per-endpoint lanes → group-commit
 * the results. Its I/O is handed in, so backoff, shutdown and crash recovery can be
 * exercised with the real store and a real HTTP receiver alike.
 */
import type { Logger } from 'pino';
import type { AttemptRecord, ClaimedDelivery, DeliveriesWorkerRepo, WebhookDisabled } from '../store/deliveries.js';
import type { Webhook } from '../store/webhooks.js';
import { classifyOutcome, delayWithRetryAfter, parseRetryAfter, retryDelayMs, shouldRetry } from '../core/retry.js';
import { newId } from '../ids.js';
import { buildRequest, type ProjectSettings } from './request.js';
import type { Sender, SendResult } from './sender.js';
import { Lanes, type LaneLimits } from './lanes.js';

/** PostgreSQL refuses NUL in text: a binary response body must not block recording. */
const noNul = (s: string | null) => (s !== null && s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s);

export interface WorkerDeps {
  repo: DeliveriesWorkerRepo;
  sender: Sender;
  loadWebhooks(ids: string[]): Promise<Map<string, Webhook>>;
  loadProjects(ids: string[]): Promise<Map<string, ProjectSettings>>;
  /** Called after a batch that disabled webhooks (records `webhook.disabled`). */
  onDisabled?(d: WebhookDisabled[]): Promise<void>;
  onAttempt?(outcome: 'success' | 'failure', durationMs: number): void;
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

export interface WorkerOptions {
  /** Rows per claim. Default: 200 */
  batchSize?: number;
  /** Claimed-but-unfinished rows this process may hold. Default: 2000 */
  maxHeld?: number;
  /** Lease on claimed rows; extended while held. Default: 60 s */
  leaseMs?: number;
  /** Safety-net poll when nothing wakes the loop. Default: 1000 ms */
  pollMs?: number;
  /** Results wait at most this long to be committed together (fewer, larger commits). Default: 20 ms */
  flushMs?: number;
  /** A webhook failing every attempt for this long is disabled. Default: 5 days */
  disableAfterMs?: number;
  /** Shutdown waits this long for in-flight sends before releasing them. Default: 10 s */
  shutdownGraceMs?: number;
}

export class DeliveryWorker {
  private readonly o: Required<WorkerOptions>;
  private readonly lanes: Lanes;
  private readonly now: () => number;
  private readonly random: () => number;
  private held = new Set<string>();
  private results: AttemptRecord[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private extendTimer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;
  private failedFlushes = 0;
  /** Saturated lanes at the last claim that found nothing else; undefined when a claim may find work. */
  private idleSkip: string | undefined;

  constructor(private readonly d: WorkerDeps, opts: WorkerOptions = {}) {
    this.o = {
      batchSize: 200,
      maxHeld: 2000,
      leaseMs: 60_000,
      pollMs: 1000,
      flushMs: 20,
      disableAfterMs: 5 * 86400_000,
      shutdownGraceMs: 10_000,
      ...opts,
    };
    this.now = d.now ?? Date.now;
    this.random = d.random ?? Math.random;
    this.lanes = new Lanes(this.now);
  }

  start(): void {
    this.running = true;
    this.pollTimer = setInterval(() => this.wake(), this.o.pollMs);
    this.extendTimer = setInterval(() => void this.extendLeases(), this.o.leaseMs / 3);
    this.wake();
  }

  /** New work may be due now (publish, retry, NOTIFY). Coalesces into one claim. */
  wake(): void {
    this.idleSkip = undefined;
    this.schedule();
  }

  private schedule(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    setImmediate(() => void this.tick());
  }

  private async tick(): Promise<void> {
    try {
      do {
        this.again = false;
        const room = this.o.maxHeld - this.held.size;
        if (room <= 0 || !this.running) break;
        const skip = this.lanes.saturated(this.laneCap);
        const now = this.now();
        const rows = await this.d.repo.claim(Math.min(room, this.o.batchSize), now, this.o.leaseMs, skip);
        if (rows.length) await this.dispatch(rows);
        if (rows.length === Math.min(room, this.o.batchSize)) this.again = true;
        // Nothing more outside the saturated lanes: until one of them has room (or an
        // outside wake), claiming again would only rescan their due rows.
        else this.idleSkip = skip.length ? skip.join('\u0000') : undefined;
      } while (this.again && this.running);
      await this.armDueTimer();
    } catch (err) {
      this.d.logger.error({ err }, 'delivery claim failed; retrying');
      this.armTimer(500);
    } finally {
      this.ticking = false;
      if (this.again) this.wake();
    }
  }

  /** Sleep until the nearest scheduled retry (or the poll, whichever is first). */
  private async armDueTimer(): Promise<void> {
    const due = await this.d.repo.nextDue();
    if (due === undefined) return;
    // Due already but not claimable: those rows sit behind saturated lanes, and their
    // finishing sends wake the loop. A 0 ms timer here would spin on empty claims.
    if (due <= this.now() && this.idleSkip !== undefined) return;
    this.armTimer(due - this.now());
  }

  private armTimer(ms: number) {
    if (ms >= this.o.pollMs) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, ms));
  }

  private async dispatch(rows: ClaimedDelivery[]): Promise<void> {
    const webhooks = await this.d.loadWebhooks([...new Set(rows.map((r) => r.webhook_id))]);
    const projects = await this.d.loadProjects([...new Set(rows.map((r) => r.project_id))]);
    for (const row of rows) {
      // Claimed again after its lease ran out while still queued or awaiting its flush here
      // (e.g. the database was briefly unreachable for extendLeases): it is already being
      // handled, so queueing it twice would send it twice. The claim just renewed its lease.
      if (this.held.has(row.id)) continue;
      this.held.add(row.id);
      const w = webhooks.get(row.webhook_id);
      const project = projects.get(row.project_id);
      if (!w || !w.active || !project) {
        this.finish(row, { durationMs: 0, error: !w ? 'webhook was deleted' : 'webhook is inactive' });
        continue;
      }
      this.lanes.push(w.id, { maxConcurrency: w.maxConcurrency, rateLimit: w.rateLimit }, () => this.attempt(row, w, project));
    }
  }

  private async attempt(row: ClaimedDelivery, w: Webhook, project: ProjectSettings): Promise<void> {
    if (!this.running) return;
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
    const hide = <T extends string | null>(text: T): T => (w.request && text ? (text.split(w.secret).join('****') as T) : text);
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
    this.results.push({
      deliveryId: row.id,
      projectId: row.project_id,
      webhookId: w.id,
      status,
      nextAttemptAt: status === 'pending' ? next : row.next_attempt_at,
      reason: outcome.reason ?? null,
      webhookOutcome: outcome.ok ? 'success' : 'failure',
      disableWebhook: outcome.disable ? `endpoint answered 410 Gone` : undefined,
      attempt: {
        id: newId('att', nowMs),
        attempt: attemptNumber,
        status: outcome.ok ? 'success' : 'failure',
        request_url: hide(req.url),
        request_method: req.method,
        request_headers: hide(JSON.stringify(req.headers)),
        request_body: req.body === row.payload ? null : noNul(hide(req.body ?? null)),
        response_status: res.statusCode ?? null,
        response_headers: res.headers ? JSON.stringify(res.headers) : null,
        response_body: noNul(res.body ?? null),
        duration_ms: res.durationMs,
        error: noNul(res.error ?? (outcome.ok ? null : `HTTP ${res.statusCode}`)),
        retry_reason: outcome.reason ?? null,
        notes: req.missing?.length ? `template placeholders without a value (sent empty): ${req.missing.join(', ')}` : null,
        created_at: nowMs,
      },
    });
    this.scheduleFlush();
  }

  /** A delivery that ends without a request (webhook gone or inactive): failed, and replayable. */
  private finish(row: ClaimedDelivery, res: SendResult) {
    const nowMs = this.now();
    this.results.push({
      deliveryId: row.id,
      projectId: row.project_id,
      webhookId: row.webhook_id,
      status: 'failed',
      nextAttemptAt: row.next_attempt_at,
      reason: null,
      webhookOutcome: null,
      attempt: {
        id: newId('att', nowMs),
        attempt: row.attempts + 1,
        status: 'failure',
        request_url: '',
        request_method: 'POST',
        request_headers: '{}',
        request_body: null,
        response_status: null,
        response_headers: null,
        response_body: null,
        duration_ms: 0,
        error: res.error ?? null,
        retry_reason: null,
        notes: null,
        created_at: nowMs,
      },
    });
    this.scheduleFlush();
  }

  private scheduleFlush() {
    if (this.results.length >= 500) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => void this.flush(), this.o.flushMs);
  }

  /** Commits every finished attempt so far in one transaction; one flush at a time. */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.flushing) {
      await this.flushing;
      if (this.results.length) return this.flush();
      return;
    }
    if (!this.results.length) return;
    const batch = this.results;
    this.results = [];
    this.flushing = (async () => {
      let disabled: WebhookDisabled[];
      try {
        disabled = await this.recordBatch(batch);
      } catch (err) {
        // Not written means not done: put the batch back and try again shortly.
        this.d.logger.error({ err, count: batch.length }, 'recording delivery results failed; retrying');
        this.results = batch.concat(this.results);
        if (this.running) this.flushTimer ??= setTimeout(() => void this.flush(), 200);
        return;
      }
      // Committed: from here on nothing may put the batch back.
      if (disabled.length) {
        try {
          await this.d.onDisabled?.(disabled);
        } catch (err) {
          this.d.logger.error({ err, disabled }, 'recording webhook.disabled failed (the webhooks are disabled)');
        }
      }
      if (batch.some((r) => r.status === 'pending')) this.wake();
      else if (this.held.size < this.o.maxHeld && this.lanesChanged()) this.schedule();
    })();
    await this.flushing;
    this.flushing = undefined;
  }

  /**
   * One transaction for the batch. After a failure, results are recorded one by one, so
   * a single row the database refuses cannot hold up everyone else's: that one is given
   * back (released, so it is sent again later) and logged.
   */
  private async recordBatch(batch: AttemptRecord[]): Promise<WebhookDisabled[]> {
    const done = (rs: AttemptRecord[]) => rs.forEach((r) => this.held.delete(r.deliveryId));
    if (this.failedFlushes < 2 || batch.length === 1) {
      try {
        const disabled = await this.d.repo.record(batch, this.now(), this.o.disableAfterMs);
        this.failedFlushes = 0;
        done(batch);
        return disabled;
      } catch (err) {
        this.failedFlushes++;
        throw err;
      }
    }
    const disabled: WebhookDisabled[] = [];
    for (const r of batch) {
      try {
        disabled.push(...(await this.d.repo.record([r], this.now(), this.o.disableAfterMs)));
      } catch (err) {
        this.d.logger.error({ err, deliveryId: r.deliveryId }, 'a delivery result cannot be recorded; the delivery will be sent again');
        await this.d.repo.release([r.deliveryId], this.now()).catch(() => undefined);
      }
      done([r]);
    }
    this.failedFlushes = 0;
    return disabled;
  }

  /** Rows one endpoint may hold: enough to keep it busy, never a big share of the budget. */
  private laneCap = (l: LaneLimits) => Math.min(Math.max(2 * l.maxConcurrency, 100), Math.floor(this.o.maxHeld / 8));

  /** A lane that was saturated at the last fruitless claim now has room. */
  private lanesChanged(): boolean {
    if (this.idleSkip === undefined) return true;
    return this.lanes.saturated(this.laneCap).join('\u0000') !== this.idleSkip;
  }

  private async extendLeases() {
    if (!this.held.size) return;
    try {
      await this.d.repo.extend([...this.held], this.now() + this.o.leaseMs);
    } catch (err) {
      this.d.logger.warn({ err }, 'extending delivery leases failed');
    }
  }

  /** Stop claiming, let in-flight sends finish (bounded), record them, release the rest. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of [this.pollTimer, this.extendTimer]) if (t) clearInterval(t);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.lanes.dropQueued();
    const deadline = Date.now() + this.o.shutdownGraceMs;
    while (this.lanes.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.flush();
    if (this.held.size) {
      await this.d.repo.release([...this.held], this.now());
      this.held.clear();
    }
  }
}
