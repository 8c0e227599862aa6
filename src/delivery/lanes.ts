/**
 * Per-endpoint lanes: each webhook gets its own queue with its concurrency cap and
 * rate limit, so one slow or dead endpoint never holds the others.
 */
export interface LaneLimits {
  maxConcurrency: number;
  /** Requests per second; null for none. */
  rateLimit: number | null;
}

type Job = () => Promise<void>;

/**
 * How long a request to a rate-limited endpoint counts after its response (or failure):
 * a second, plus 10 ms for stores that stamp whole milliseconds. A request reaches the
 * receiver at some moment between leaving and its response coming back, so counting it
 * from the moment it leaves until a second after it ended is the only count that keeps
 * the receiver from seeing more than `rateLimit` requests in any one second however long
 * a request was held up on the way (a starved sender, a busy receiver). The price: an
 * endpoint kept busy gets `rateLimit` requests per (1 s + its response time).
 */
export const RATE_WINDOW_MS = 1010;

class Lane {
  queue: Job[] = [];
  inFlight = 0;
  /** When the requests that ended less than RATE_WINDOW_MS ago ended (performance.now), oldest first. */
  private ended: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(public limits: LaneLimits) {}

  get size() {
    return this.queue.length + this.inFlight;
  }

  push(job: Job) {
    this.queue.push(job);
    this.pump();
  }

  pump = () => {
    // Whatever woke it, a timer still pending would only pump again for nothing.
    this.clearTimer();
    while (this.queue.length && this.inFlight < this.limits.maxConcurrency) {
      const wait = this.rateWait();
      if (wait > 0) {
        // None of the counted requests ends its second before `wait`; one still in flight
        // pumps again when it ends.
        if (Number.isFinite(wait)) this.timer = setTimeout(this.pump, Math.ceil(wait));
        return;
      }
      const job = this.queue.shift()!;
      this.inFlight++;
      void job().finally(() => {
        this.inFlight--;
        if (this.limits.rateLimit) this.ended.push(performance.now());
        this.pump();
      });
    }
  };

  /**
   * 0 when one more request may leave under the rate limit; otherwise the ms until the
   * oldest ended request stops counting (Infinity: all counted ones are still in flight).
   */
  private rateWait(): number {
    const rate = this.limits.rateLimit;
    if (!rate) return 0;
    const now = this.forgetEnded();
    if (this.inFlight + this.ended.length < rate) return 0;
    return this.ended.length ? this.ended[0]! + RATE_WINDOW_MS - now : Infinity;
  }

  /** Drops the ended requests that no longer count; returns the time it looked at. */
  private forgetEnded(): number {
    const now = performance.now();
    while (this.ended.length && this.ended[0]! <= now - RATE_WINDOW_MS) this.ended.shift();
    return now;
  }

  /** Nothing queued, in flight, or still counting against the rate: the lane may be forgotten. */
  get idle(): boolean {
    this.forgetEnded();
    return this.size === 0 && this.ended.length === 0;
  }

  clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class Lanes {
  private lanes = new Map<string, Lane>();

  push(key: string, limits: LaneLimits, job: Job) {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = new Lane(limits)));
    lane.limits = limits;
    lane.push(job);
  }

  /** Whether the lane of `key` holds fewer than `cap(limits)` jobs (a lane not made yet has room). */
  hasRoom(key: string, cap: (l: LaneLimits) => number): boolean {
    const lane = this.lanes.get(key);
    return !lane || lane.size < cap(lane.limits);
  }

  /** Lanes holding at least `cap(limits)` jobs: the claim skips their webhooks. */
  saturated(cap: (l: LaneLimits) => number): string[] {
    const out: string[] = [];
    for (const [key, lane] of this.lanes) {
      if (lane.size >= cap(lane.limits)) out.push(key);
      else if (lane.idle) {
        lane.clearTimer();
        this.lanes.delete(key);
      }
    }
    return out;
  }

  /** Drops queued (not yet started) jobs; their rows stay held and are released by the caller. */
  dropQueued(): void {
    for (const lane of this.lanes.values()) {
      lane.queue.length = 0;
      lane.clearTimer();
    }
  }

  get inFlight(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.inFlight;
    return n;
  }
}
