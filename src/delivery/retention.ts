/**
 * The pruner: every `intervalMs`, each project's rows older than its `retentionDays` go,
 * `batchSize` rows per short transaction with a pause between batches, so delivery —
 * which shares the database (on SQLite, its one writer) — is never stalled.
 */
import type { Logger } from 'pino';
import type { RetentionRepo } from '../store/retention.js';

export interface PrunerOptions {
  /** Between runs. Default: 60 s */
  intervalMs: number;
  /** Rows per transaction. Default: 500 */
  batchSize: number;
  /** Pause between batches. Default: 20 ms */
  pauseMs: number;
}

export class Pruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly repo: RetentionRepo,
    private readonly logger: Logger,
    private readonly o: PrunerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One pass over every project; a pass still running is not started twice. */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const started = this.now();
    const totals = { events: 0, inboundRequests: 0, jobs: 0 };
    try {
      for (const p of await this.repo.projects()) {
        const cutoff = this.now() - p.retention_days * 86_400_000;
        totals.events += await this.drain((n) => this.repo.pruneEvents(p.id, cutoff, n));
        totals.inboundRequests += await this.drain((n) => this.repo.pruneInboundRequests(p.id, cutoff, n));
        totals.jobs += await this.drain((n) => this.repo.pruneJobs(p.id, cutoff, n));
        if (this.stopped) break;
      }
    } catch (err) {
      this.logger.warn({ err }, 'retention pass failed; the next one retries');
    }
    if (totals.events + totals.inboundRequests + totals.jobs > 0) {
      this.logger.info({ ...totals, ms: this.now() - started }, 'retention: old rows pruned');
    }
  }

  /** Batches until one comes back short. */
  private async drain(batch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const n = await batch(this.o.batchSize);
      total += n;
      if (n < this.o.batchSize) break;
      await new Promise((r) => setTimeout(r, this.o.pauseMs));
    }
    return total;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
