/** Read-only views of the deliveries table that are not the queue's own work (the queue gauges). */
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

export function deliveryStatsRepo(db: Kysely<DB>) {
  return {
    /**
     * For the queue gauges: pending and failed deliveries per project, and the oldest
     * due time of a pending row that no worker holds (in-flight rows are due at their lease's end).
     */
    async queueStats(now: number): Promise<{ counts: { project_id: string; status: string; n: number }[]; oldestDue: number | undefined }> {
      const counts = await db
        .selectFrom('deliveries')
        .select(['project_id', 'status', (e) => e.fn.countAll<number>().as('n')])
        .where('status', 'in', ['pending', 'failed'])
        .groupBy(['project_id', 'status'])
        .execute();
      const r = await db
        .selectFrom('deliveries')
        .select((e) => e.fn.min('next_attempt_at').as('t'))
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .executeTakeFirst();
      return { counts: counts.map((c) => ({ ...c, n: Number(c.n) })), oldestDue: r?.t == null ? undefined : Number(r.t) };
    },
  };
}
