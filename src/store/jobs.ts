/**
 * Durable app work: a job is a row claimed with a lease (as deliveries are), run by
 * the job worker, retried with back-off and kept with its attempt log when it ends.
 * A claim moves `next_attempt_at` to the lease's end, so a crashed worker's jobs
 * become due again when the lease runs out (on SQLite, at once when the server restarts).
 */
import type { Kysely, Selectable } from 'kysely';
import { newId } from '../ids.js';
import type { Capabilities } from './db.js';
import type { DB, JobStatus, JobsTable } from './schema.js';
import { listPage } from './query.js';
import { leaseRows } from './leases.js';

export type JobRow = Selectable<JobsTable>;

export interface JobLogEntry {
  at: string;
  attempt: number;
  ms: number;
  error: string | null;
}

/** The API shape (`GET /v1/jobs`). */
export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  log: JobLogEntry[];
  result: unknown;
  createdAt: string;
  finishedAt: string | null;
}

export interface NewJob {
  projectId: string;
  kind: string;
  payload: unknown;
  /** Attempts before the job fails for good. Default: 12 */
  maxAttempts?: number;
  /** When it may run first. Default: now */
  runAt?: number;
}

/** The outcome of one attempt, as the worker commits it. */
export interface JobResult {
  id: string;
  status: JobStatus;
  nextAttemptAt: number;
  error: string | null;
  result: unknown;
  log: JobLogEntry[];
  attempts: number;
}

const parse = (s: string | null): unknown => {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    payload: parse(r.payload),
    attempts: r.attempts,
    maxAttempts: r.attempt_base + r.max_attempts,
    nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
    lastError: r.last_error,
    log: (parse(r.log) as JobLogEntry[]) ?? [],
    result: parse(r.result),
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
  };
}

export interface JobListQuery {
  limit: number;
  offset: number;
  kind?: string;
  status?: JobStatus;
}

export function jobsRepo(db: Kysely<DB>, caps: Capabilities) {
  const leases = leaseRows(db, 'jobs', caps);
  return {
    /**
     * Stores a job. `exec`: a transaction, so the job commits with the state change
     * that caused it (a stored webhook, a saved rating) or not at all.
     */
    async enqueue(job: NewJob, exec: Kysely<any> = db, now = Date.now()): Promise<string> {
      const id = newId('job', now);
      await (exec as Kysely<DB>)
        .insertInto('jobs')
        .values({
          id,
          project_id: job.projectId,
          kind: job.kind,
          payload: JSON.stringify(job.payload ?? null),
          status: 'pending',
          attempts: 0,
          attempt_base: 0,
          max_attempts: job.maxAttempts ?? 12,
          next_attempt_at: job.runAt ?? now,
          lease_until: null,
          last_error: null,
          log: '[]',
          result: null,
          created_at: now,
          updated_at: now,
          finished_at: null,
        })
        .execute();
      return id;
    },

    /** Up to `limit` due jobs of the given kinds, leased until `now + leaseMs`. */
    async claim(limit: number, now: number, leaseMs: number, kinds: string[]): Promise<JobRow[]> {
      if (!kinds.length) return [];
      let due = db
        .selectFrom('jobs')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('kind', 'in', kinds)
        .orderBy('next_attempt_at')
        .limit(limit);
      if (caps.skipLocked) due = due.forUpdate().skipLocked();
      const leased = now + leaseMs;
      const rows = await db.updateTable('jobs').set({ next_attempt_at: leased, lease_until: leased }).where('id', 'in', due).returningAll().execute();
      return rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    },

    extend: leases.extend,
    release: leases.release,
    /**
     * SQLite start-up: this process is the only worker, so every lease left is a dead
     * process's; its jobs are due now rather than when the lease runs out.
     */
    releaseAllLeases: leases.releaseAll,

    /** In one transaction; a late result never overwrites a job that already ended. */
    async record(results: JobResult[], now: number): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const r of results) {
          await trx
            .updateTable('jobs')
            .set({
              status: r.status,
              attempts: r.attempts,
              next_attempt_at: r.nextAttemptAt,
              lease_until: null,
              last_error: r.error,
              log: JSON.stringify(r.log),
              result: r.result === undefined ? null : JSON.stringify(r.result),
              updated_at: now,
              finished_at: r.status === 'pending' ? null : now,
            })
            .where('id', '=', r.id)
            .where('status', '=', 'pending')
            .execute();
        }
      });
    },

    async nextDue(kinds: string[]): Promise<number | undefined> {
      if (!kinds.length) return undefined;
      const r = await db
        .selectFrom('jobs')
        .select('next_attempt_at')
        .where('status', '=', 'pending')
        .where('kind', 'in', kinds)
        .orderBy('next_attempt_at')
        .limit(1)
        .executeTakeFirst();
      return r?.next_attempt_at;
    },

    async get(projectId: string, id: string): Promise<Job | undefined> {
      const r = await db.selectFrom('jobs').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r && toJob(r);
    },

    async list(projectId: string, q: JobListQuery): Promise<{ items: Job[]; total: number }> {
      let base = db.selectFrom('jobs').where('project_id', '=', projectId);
      if (q.kind) base = base.where('kind', '=', q.kind);
      if (q.status) base = base.where('status', '=', q.status);
      return listPage(base, (b) => b.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), q, toJob);
    },

    /**
     * Runs a job again now with a fresh attempt budget (a failed one, or a pending one
     * waiting for its next try). Answers undefined for a job that already succeeded.
     */
    async retry(projectId: string, id: string, now = Date.now()): Promise<Job | undefined> {
      const r = await db
        .updateTable('jobs')
        .set((eb) => ({ status: 'pending', attempt_base: eb.ref('attempts'), next_attempt_at: now, lease_until: null, finished_at: null, updated_at: now }))
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('status', '!=', 'done')
        .where((eb) => eb.or([eb('status', '=', 'failed'), eb('lease_until', 'is', null)]))
        .returningAll()
        .executeTakeFirst();
      return r && toJob(r);
    },
  };
}
export type JobsRepo = ReturnType<typeof jobsRepo>;
