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

class Lane {
  queue: Job[] = [];
  inFlight = 0;
  private tokens: number;
  private lastRefill: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(public limits: LaneLimits, private now: () => number) {
    this.tokens = limits.rateLimit ?? 0;
    this.lastRefill = now();
  }

  get size() {
    return this.queue.length + this.inFlight;
  }

  push(job: Job) {
    this.queue.push(job);
    this.pump();
  }

  pump = () => {
    this.timer = undefined;
    while (this.queue.length && this.inFlight < this.limits.maxConcurrency) {
      if (!this.takeToken()) {
        const rate = this.limits.rateLimit!;
        this.timer ??= setTimeout(this.pump, Math.max(1, Math.ceil(1000 / rate)));
        return;
      }
      const job = this.queue.shift()!;
      this.inFlight++;
      void job().finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  };

  /** Token bucket holding up to one second of requests. */
  private takeToken(): boolean {
    const rate = this.limits.rateLimit;
    if (!rate) return true;
    const t = this.now();
    this.tokens = Math.min(rate, this.tokens + ((t - this.lastRefill) / 1000) * rate);
    this.lastRefill = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class Lanes {
  private lanes = new Map<string, Lane>();
  constructor(private now: () => number = Date.now) {}

  push(key: string, limits: LaneLimits, job: Job) {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = new Lane(limits, this.now)));
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
      else if (lane.size === 0) {
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
