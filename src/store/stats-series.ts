/** Raw rows behind the statistics time series: deliveries (time, status) and attempts (time, duration). */
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** Rows read per series at most, newest first: enough for a chart, bounded for memory. */
export const SERIES_ROW_LIMIT = 200_000;

export interface SeriesFilter {
  from: number;
  to: number;
  /** One webhook; default: every webhook of the project. Attempts are found through their webhook index. */
  webhookId?: string;
  eventType?: string;
}

export function statsSeriesRepo(db: Kysely<DB>) {
  return {
    async rows(projectId: string, f: SeriesFilter) {
      const ids = f.webhookId ? [f.webhookId] : db.selectFrom('webhooks').select('id').where('project_id', '=', projectId);
      let dq = db
        .selectFrom('deliveries')
        .select(['created_at', 'status'])
        .where('project_id', '=', projectId)
        .where('webhook_id', 'in', ids)
        .where('created_at', '>=', f.from)
        .where('created_at', '<', f.to);
      if (f.eventType) dq = dq.where('event_type', '=', f.eventType);
      let aq = db
        .selectFrom('attempts')
        .select(['attempts.created_at', 'attempts.duration_ms'])
        .where('attempts.webhook_id', 'in', ids)
        .where('attempts.created_at', '>=', f.from)
        .where('attempts.created_at', '<', f.to)
        .where('attempts.response_status', 'is not', null);
      if (f.eventType) {
        aq = aq.innerJoin('deliveries', 'deliveries.id', 'attempts.delivery_id').where('deliveries.event_type', '=', f.eventType);
      }
      const [deliveries, attempts] = await Promise.all([
        dq.orderBy('created_at', 'desc').limit(SERIES_ROW_LIMIT).execute(),
        aq.orderBy('attempts.created_at', 'desc').limit(SERIES_ROW_LIMIT).execute(),
      ]);
      return {
        deliveries: deliveries.map((d) => ({ at: Number(d.created_at), status: d.status })),
        attempts: attempts.map((a) => ({ at: Number(a.created_at), ms: Number(a.duration_ms ?? 0) })),
      };
    },
  };
}
export type StatsSeriesRepo = ReturnType<typeof statsSeriesRepo>;
