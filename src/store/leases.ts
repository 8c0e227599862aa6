/**
 * Lease bookkeeping of the tables the lease loop works on (deliveries, app jobs): rows
 * with `id`, `status`, `next_attempt_at`, `lease_until` and `updated_at`. One
 * implementation for both, so a fix to how leases move reaches both kinds of work.
 * (SQLite's delivery queue runs the same statements prepared, in queue-sqlite.ts.)
 */
import { sql, type Kysely } from 'kysely';
import type { Capabilities } from './db.js';
import type { DB } from './schema.js';

const CHUNK = 500;

/**
 * For statements that only move leases on PostgreSQL (claims, extensions; the endpoint
 * slots of delivery/endpoint-gate.ts): `with ${ASYNC_COMMIT} …` — their commit does not wait for
 * the WAL flush. A database crash could lose a few of them; a lost claim or extension
 * leaves the row due (or due when its old lease ends), so it is claimed again: what a
 * lease exists for. Publishes and results keep durable commits. Under load this took
 * most commits off the flush that publishes wait for.
 */
export const ASYNC_COMMIT = sql`async as (select set_config('synchronous_commit', 'off', true) as v)`;

export function leaseRows(db: Kysely<DB>, table: 'deliveries' | 'jobs', caps: Pick<Capabilities, 'skipLocked'>) {
  const t = sql.table(table);
  return {
    /** Keeps leases of rows this process still holds from running out. */
    async extend(ids: string[], until: number): Promise<void> {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        if (!caps.skipLocked) {
          await sql`update ${t} set next_attempt_at = ${until}, lease_until = ${until} where id in (${sql.join(chunk)}) and status = 'pending'`.execute(db);
          continue;
        }
        // PostgreSQL: never wait on a row lock here. A locked row is being finished by a
        // result batch (whose transaction updates rows one by one); waiting while holding
        // this statement's other row locks deadlocked with it, and a lost extend let leases
        // of queued rows run out, so they were claimed and run again. Skipped rows are
        // extended next time, well inside the lease. A lease is bookkeeping: ASYNC_COMMIT.
        await sql`with ${ASYNC_COMMIT} update ${t} set next_attempt_at = ${until}, lease_until = ${until}
          where id in (select id from ${t} where id in (${sql.join(chunk)}) and status = 'pending' for update skip locked)
            and status = 'pending' and exists (select 1 from async)`.execute(db);
      }
    },

    /** Gives rows back: due again at once. */
    async release(ids: string[], now: number): Promise<void> {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await sql`update ${t} set next_attempt_at = ${now}, lease_until = null, updated_at = ${now}
          where id in (${sql.join(ids.slice(i, i + CHUNK))}) and status = 'pending'`.execute(db);
      }
    },

    /** SQLite start-up: every lease left belongs to a dead process. Returns how many rows were retaken. */
    async releaseAll(now: number): Promise<number> {
      const r = await sql`update ${t} set next_attempt_at = ${now}, lease_until = null where status = 'pending' and lease_until is not null`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
  };
}
