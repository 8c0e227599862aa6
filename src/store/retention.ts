/**
 * Retention (per project `retention_days`): deletes old rows in small batches, each in
 * its own short transaction, so the delivery loop's writes are never held up for long.
 * An event goes (with its deliveries and their attempts) only when none of its
 * deliveries is still pending.
 */
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

export interface PruneCounts {
  events: number;
  inboundRequests: number;
  jobs: number;
}

export function retentionRepo(db: Kysely<DB>) {
  return {
    /** Every project with its retention, for the pruner. */
    async projects(): Promise<{ id: string; retention_days: number }[]> {
      return db.selectFrom('projects').select(['id', 'retention_days']).execute();
    },

    /** Up to `limit` finished events older than `cutoff` (with deliveries and attempts). */
    async pruneEvents(projectId: string, cutoff: number, limit: number): Promise<number> {
      const rows = await db
        .selectFrom('events')
        .select('id')
        .where('project_id', '=', projectId)
        .where('created_at', '<', cutoff)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('deliveries')
                .select('deliveries.id')
                .whereRef('deliveries.project_id', '=', 'events.project_id')
                .whereRef('deliveries.event_id', '=', 'events.id')
                .where('deliveries.status', '=', 'pending'),
            ),
          ),
        )
        .orderBy('created_at')
        .limit(limit)
        .execute();
      if (!rows.length) return 0;
      const ids = rows.map((r) => r.id);
      await db.transaction().execute(async (tx) => {
        const deliveries = tx.selectFrom('deliveries').select('id').where('project_id', '=', projectId).where('event_id', 'in', ids);
        await tx.deleteFrom('attempts').where('delivery_id', 'in', deliveries).execute();
        await tx.deleteFrom('deliveries').where('project_id', '=', projectId).where('event_id', 'in', ids).where('status', '!=', 'pending').execute();
        await tx.deleteFrom('events').where('project_id', '=', projectId).where('id', 'in', ids).execute();
      });
      return ids.length;
    },

    async pruneInboundRequests(projectId: string, cutoff: number, limit: number): Promise<number> {
      const ids = db.selectFrom('inbound_requests').select('id').where('project_id', '=', projectId).where('received_at', '<', cutoff).limit(limit);
      const r = await db.deleteFrom('inbound_requests').where('id', 'in', ids).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    /** Jobs that ended (done or failed) and were created before `cutoff`. */
    async pruneJobs(projectId: string, cutoff: number, limit: number): Promise<number> {
      const ids = db
        .selectFrom('jobs')
        .select('id')
        .where('project_id', '=', projectId)
        .where('created_at', '<', cutoff)
        .where('status', '!=', 'pending')
        .limit(limit);
      const r = await db.deleteFrom('jobs').where('id', 'in', ids).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type RetentionRepo = ReturnType<typeof retentionRepo>;
