/**
 * App jobs as a kind of leased work: the same claim → run → group-commit loop as
 * deliveries (lease-loop.ts), with a handler per job kind. A handler's error says
 * whether to retry (`AppError.retryable`; any other error is taken as transient);
 * a permanent one ends the job `failed` with the reason at once.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { retryDelayMs, type RetryPolicy } from '../core/retry.js';
import type { JobLogEntry, JobResult, JobRow, JobsRepo, NewJob } from '../store/jobs.js';
import { LeaseLoop, type LeaseLoopOptions } from './lease-loop.js';

export interface JobRun {
  id: string;
  projectId: string;
  kind: string;
  /** 1 for the first attempt. */
  attempt: number;
  logger: Logger;
}

/** Does the work; what it returns is stored as the job's result. */
export type JobHandler = (payload: any, job: JobRun) => Promise<unknown>;

export interface JobKind {
  run: JobHandler;
  /** Jobs of this kind running at once in this process. Default: 8 */
  concurrency?: number;
}

export interface JobQueue {
  /** Stores the job (in `exec`'s transaction when given) and wakes the worker. */
  enqueue(job: NewJob, exec?: Kysely<any>): Promise<string>;
  /** After a transaction that enqueued jobs committed: look for them now. */
  wake(): void;
}

export function createJobQueue(repo: JobsRepo, wake: () => void, defaults: { maxAttempts: number }): JobQueue {
  return {
    async enqueue(job, exec) {
      const id = await repo.enqueue({ maxAttempts: defaults.maxAttempts, ...job }, exec);
      if (!exec) wake();
      return id;
    },
    wake,
  };
}

const LOG_KEEP = 25;

export interface JobWorkerOptions extends LeaseLoopOptions {
  retry: Omit<RetryPolicy, 'maxRetries'>;
}

export class JobWorker extends LeaseLoop<JobRow, JobResult> {
  protected readonly label = 'job';
  private readonly kinds: string[];
  /** Jobs running now, by kind. */
  private readonly busy = new Map<string, number>();

  constructor(
    private readonly repo: JobsRepo,
    private readonly handlers: Map<string, JobKind>,
    logger: Logger,
    private readonly jo: JobWorkerOptions,
    private readonly random: () => number = Math.random,
  ) {
    super(logger, { batchSize: 50, maxHeld: 200, ...jo });
    this.kinds = [...handlers.keys()];
  }

  protected resultId(r: JobResult): string {
    return r.id;
  }

  protected claimRows(limit: number, now: number): Promise<JobRow[]> {
    // Only kinds with room: a slow kind never holds the others' jobs.
    const open = this.kinds.filter((k) => !this.full(k));
    return this.repo.claim(limit, now, this.o.leaseMs, open);
  }

  /** The kind runs as many jobs as its concurrency allows. */
  private full(kind: string): boolean {
    return (this.busy.get(kind) ?? 0) >= (this.handlers.get(kind)!.concurrency ?? 8);
  }

  protected override blocked(): boolean {
    return this.kinds.some((k) => this.full(k));
  }

  protected nextDue(): Promise<number | undefined> {
    return this.repo.nextDue(this.kinds);
  }

  protected inFlight(): number {
    let n = 0;
    for (const v of this.busy.values()) n += v;
    return n;
  }

  protected extendRows(ids: string[], until: number): Promise<void> {
    return this.repo.extend(ids, until);
  }

  protected releaseRows(ids: string[]): Promise<void> {
    return this.repo.release(ids, this.now());
  }

  protected recordResults(batch: JobResult[]): Promise<void> {
    return this.repo.record(batch, this.now());
  }

  protected async dispatch(rows: JobRow[]): Promise<void> {
    for (const row of rows) void this.run(row);
  }

  private async run(row: JobRow): Promise<void> {
    const kind = this.handlers.get(row.kind)!;
    this.busy.set(row.kind, (this.busy.get(row.kind) ?? 0) + 1);
    const attempt = row.attempts + 1;
    const logger = this.logger.child({ job_id: row.id, kind: row.kind, attempt });
    const started = this.now();
    let error: string | null = null;
    let retryable = false;
    let result: unknown = null;
    try {
      result = await kind.run(JSON.parse(row.payload), { id: row.id, projectId: row.project_id, kind: row.kind, attempt, logger });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      retryable = err instanceof AppError ? err.retryable : true;
    } finally {
      this.busy.set(row.kind, this.busy.get(row.kind)! - 1);
    }
    const now = this.now();
    const used = attempt - row.attempt_base;
    let status: JobResult['status'] = 'done';
    let next = row.next_attempt_at;
    if (error !== null) {
      if (retryable && used < row.max_attempts) {
        status = 'pending';
        next = now + retryDelayMs({ ...this.jo.retry, maxRetries: row.max_attempts }, used, this.random);
        logger.warn({ err: error, next_attempt_at: new Date(next).toISOString() }, 'job failed; will retry');
      } else {
        status = 'failed';
        logger.warn({ err: error, retryable }, retryable ? 'job failed; no attempts left' : 'job failed permanently');
      }
    }
    const entry: JobLogEntry = { at: new Date(started).toISOString(), attempt, ms: now - started, error };
    const log = [...(JSON.parse(row.log) as JobLogEntry[]), entry].slice(-LOG_KEEP);
    this.finish({ id: row.id, status, nextAttemptAt: next, error, result: error === null ? result : null, log, attempts: attempt });
    // A kind that was full has room again.
    this.schedule();
  }
}
