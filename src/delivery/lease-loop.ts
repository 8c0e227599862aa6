/**
 * One claim → run → group-commit loop for every kind of leased work (webhook
 * deliveries, app jobs), in the manner of svix's worker leasing an enum of task kinds:
 * claim due rows with a lease, hand them to runners, commit finished results in one
 * transaction per tick, keep leases alive while rows are held, and on shutdown let
 * in-flight work finish (bounded), record it and release the rest.
 *
 * Subclasses say how to claim, run, record, extend and release their rows; the
 * scheduling (wake, poll, due timer), the held set, flush retries and shutdown live here.
 */
import type { Logger } from 'pino';

export interface LeaseLoopOptions {
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
  /** Shutdown waits this long for in-flight work before releasing it. Default: 10 s */
  shutdownGraceMs?: number;
  /**
   * A wake-up claims after this long, so wake-ups close together (one per publish under
   * load) share one claim. Default: 0 (next turn of the event loop)
   */
  claimDelayMs?: number;
}

export abstract class LeaseLoop<Row extends { id: string }, Result> {
  protected readonly o: Required<LeaseLoopOptions>;
  /** Rows this process has claimed and not yet recorded. */
  protected readonly held = new Set<string>();
  protected running = false;
  private results: Result[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private extendTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private failedFlushes = 0;

  constructor(
    protected readonly logger: Logger,
    opts: LeaseLoopOptions,
    protected readonly now: () => number = Date.now,
  ) {
    this.o = { batchSize: 200, maxHeld: 2000, leaseMs: 60_000, pollMs: 1000, flushMs: 20, shutdownGraceMs: 10_000, claimDelayMs: 0, ...opts };
  }

  /** The row a result belongs to. */
  protected abstract resultId(r: Result): string;
  /** Up to `limit` due rows, leased until `now + leaseMs`. */
  protected abstract claimRows(limit: number, now: number): Promise<Row[]>;
  /** Starts work on claimed rows (not in `held` yet when called); each ends with `finish(result)`. */
  protected abstract dispatch(rows: Row[]): Promise<void>;
  /** Commits results in one transaction; throws when nothing was written. */
  protected abstract recordResults(batch: Result[]): Promise<void>;
  protected abstract extendRows(ids: string[], until: number): Promise<void>;
  protected abstract releaseRows(ids: string[]): Promise<void>;
  /** The nearest `next_attempt_at` of any pending row (for the due timer). */
  protected abstract nextDue(): Promise<number | undefined>;
  /** Work started and not finished. */
  protected abstract inFlight(): number;
  /** Shutdown: drop work that has not started (its rows are released). */
  protected dropQueued(): void {}
  /** A claim found fewer rows than asked for. */
  protected claimedShort(): void {}
  /** True while due rows exist that a claim cannot take (full lanes): no 0 ms timer then. */
  protected blocked(): boolean {
    return false;
  }
  /** After a committed batch: by default, look for more work. */
  protected afterCommit(_batch: Result[]): void {
    this.wake();
  }
  /** Failure handling has its own label in logs. */
  protected abstract readonly label: string;

  start(): void {
    this.running = true;
    this.pollTimer = setInterval(() => this.wake(), this.o.pollMs);
    this.extendTimer = setInterval(() => void this.extendLeases(), this.o.leaseMs / 3);
    this.wake();
  }

  /** New work may be due now (publish, retry, NOTIFY). Coalesces into one claim. */
  wake(): void {
    this.schedule();
  }

  protected schedule(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    if (this.o.claimDelayMs > 0) setTimeout(() => void this.tick(), this.o.claimDelayMs);
    else setImmediate(() => void this.tick());
  }

  private async tick(): Promise<void> {
    try {
      do {
        this.again = false;
        const room = this.o.maxHeld - this.held.size;
        if (room <= 0 || !this.running) break;
        const limit = Math.min(room, this.o.batchSize);
        const rows = await this.claimRows(limit, this.now());
        // A row whose result was just committed as "retry now" can be claimed before this
        // process has taken that commit's answer and let go of it: wait for the flush in
        // progress, or the row would be dropped below as still ours and sit out its new
        // lease (a minute) before anyone sent it again.
        if (this.flushing && rows.some((r) => this.held.has(r.id))) await this.flushing.catch(() => undefined);
        // Claimed again after its lease ran out while still queued or awaiting its flush
        // here (e.g. the database was briefly unreachable for extendLeases): it is already
        // being handled, so running it twice would send it twice. The claim renewed its lease.
        const fresh = rows.filter((r) => !this.held.has(r.id));
        for (const r of fresh) this.held.add(r.id);
        if (fresh.length) await this.dispatchOrRelease(fresh);
        if (rows.length === limit) this.again = true;
        else this.claimedShort();
      } while (this.again && this.running);
      await this.armDueTimer();
    } catch (err) {
      this.logger.error({ err }, `${this.label} claim failed; retrying`);
      this.armTimer(500);
    } finally {
      this.ticking = false;
      if (this.again) this.wake();
    }
  }

  /**
   * Rows stored already leased to this process (a publish handed them over): run them as
   * if claimed. Stopped meanwhile: they are given back, due at once.
   */
  adopt(rows: Row[]): void {
    if (!rows.length) return;
    for (const r of rows) this.held.add(r.id);
    // The publishes of one group commit are answered in one turn: their rows are
    // dispatched together (one settings lookup for the lot).
    if (!this.adopted.length) setImmediate(() => this.dispatchAdopted());
    this.adopted.push(...rows);
  }

  private adopted: Row[] = [];

  private dispatchAdopted(): void {
    const rows = this.adopted;
    this.adopted = [];
    if (!this.running) {
      for (const r of rows) this.held.delete(r.id);
      void this.releaseRows(rows.map((r) => r.id)).catch((err) => this.logger.warn({ err }, `releasing handed-over ${this.label} rows failed (their lease runs out)`));
      return;
    }
    this.dispatchOrRelease(rows).catch((err) => this.logger.error({ err }, `${this.label} hand-over failed; the rows were released`));
  }

  /** Rows whose dispatch failed before any started (e.g. loading their settings) go back at once. */
  private async dispatchOrRelease(rows: Row[]): Promise<void> {
    try {
      await this.dispatch(rows);
    } catch (err) {
      for (const r of rows) this.held.delete(r.id);
      await this.releaseRows(rows.map((r) => r.id)).catch(() => undefined);
      throw err;
    }
  }

  /** Sleep until the nearest scheduled retry (or the poll, whichever is first). */
  private async armDueTimer(): Promise<void> {
    const due = await this.nextDue();
    if (due === undefined) return;
    // Due already but not claimable: finishing work wakes the loop; a 0 ms timer would spin.
    if (due <= this.now() && this.blocked()) return;
    this.armTimer(due - this.now());
  }

  private armTimer(ms: number) {
    if (ms >= this.o.pollMs) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, ms));
  }

  /** A runner's result: committed with others at the next flush (at once when `urgent`: something waits on it). */
  protected finish(result: Result, urgent = false): void {
    this.results.push(result);
    if (urgent || this.results.length >= 500) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => void this.flush(), this.o.flushMs);
  }

  /** Commits every finished result so far in one transaction; one flush at a time. */
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
      try {
        await this.recordBatch(batch);
      } catch (err) {
        // Not written means not done: put the batch back and try again shortly.
        this.logger.error({ err, count: batch.length }, `recording ${this.label} results failed; retrying`);
        this.results = batch.concat(this.results);
        if (this.running) this.flushTimer ??= setTimeout(() => void this.flush(), 200);
        return;
      }
      // Committed: from here on nothing may put the batch back.
      this.afterCommit(batch);
    })();
    await this.flushing;
    this.flushing = undefined;
  }

  /**
   * One transaction for the batch. After repeated failures, results are recorded one by
   * one, so a single row the database refuses cannot hold up everyone else's: that one
   * is released (run again later) and logged.
   */
  private async recordBatch(batch: Result[]): Promise<void> {
    const done = (rs: Result[]) => rs.forEach((r) => this.held.delete(this.resultId(r)));
    if (this.failedFlushes < 2 || batch.length === 1) {
      try {
        await this.recordResults(batch);
        this.failedFlushes = 0;
        done(batch);
        return;
      } catch (err) {
        this.failedFlushes++;
        throw err;
      }
    }
    for (const r of batch) {
      try {
        await this.recordResults([r]);
      } catch (err) {
        this.logger.error({ err, id: this.resultId(r) }, `a ${this.label} result cannot be recorded; it will run again`);
        await this.releaseRows([this.resultId(r)]).catch(() => undefined);
      }
      done([r]);
    }
    this.failedFlushes = 0;
  }

  private async extendLeases() {
    if (!this.held.size) return;
    try {
      await this.extendRows([...this.held], this.now() + this.o.leaseMs);
    } catch (err) {
      this.logger.warn({ err }, `extending ${this.label} leases failed`);
    }
  }

  /** Stop claiming, let in-flight work finish (bounded), record it, release the rest. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of [this.pollTimer, this.extendTimer]) if (t) clearInterval(t);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.dropQueued();
    const deadline = Date.now() + this.o.shutdownGraceMs;
    while (this.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.flush();
    if (this.held.size) {
      await this.releaseRows([...this.held]);
      this.held.clear();
    }
  }
}
