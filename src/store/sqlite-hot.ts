/**
 * SQLite hot paths as prepared statements on the raw better-sqlite3 handle: the claim
 * and the result batch. Kysely re-plans every query (tens of µs each, more than the
 * query itself); these run in a few µs per row.
 *
 * Hazard: call these only while Kysely holds the one connection — inside
 * `db.connection()` or `db.transaction()` — so they never interleave with an open
 * Kysely transaction. They are synchronous, so nothing else runs meanwhile.
 */
import type SQLite from 'better-sqlite3';
import type { ClaimedDelivery, AttemptRecord } from './deliveries.js';

export function sqliteHotPaths(sqlite: SQLite.Database) {
  const claimSql = (skip: number) =>
    `update deliveries set next_attempt_at = ?, lease_until = ?, updated_at = ? where id in (
       select id from deliveries where status = 'pending' and next_attempt_at <= ?` +
    (skip ? ` and webhook_id not in (${new Array(skip).fill('?').join(',')})` : '') +
    ` order by next_attempt_at limit ?) returning *`;
  const claims = new Map<number, SQLite.Statement>();
  const payload = sqlite.prepare('select payload, space from events where project_id = ? and id = ?');
  const insertAttempt = sqlite.prepare(
    `insert into attempts (id, delivery_id, project_id, webhook_id, attempt, status, request_url, request_method, request_headers,
       request_body, response_status, response_headers, response_body, duration_ms, error, retry_reason, notes, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateDelivery = sqlite.prepare(
    `update deliveries set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, last_status_code = ?, last_error = ?,
       last_reason = ?, last_response_ms = ?, last_response_body = ?, delivered_at = ?, updated_at = ? where id = ?`,
  );

  return {
    claim(limit: number, now: number, leased: number, skip: string[]): ClaimedDelivery[] {
      let st = claims.get(skip.length);
      if (!st) claims.set(skip.length, (st = sqlite.prepare(claimSql(skip.length))));
      const rows = st.all(leased, leased, now, now, ...skip, limit) as ClaimedDelivery[];
      for (const r of rows) {
        const ev = payload.get(r.project_id, r.event_id) as { payload: string; space: string | null } | undefined;
        r.payload = ev?.payload ?? '';
        r.space = ev?.space ?? null;
      }
      return rows;
    },

    writeResults(results: AttemptRecord[], now: number): void {
      for (const r of results) {
        const a = r.attempt;
        insertAttempt.run(
          a.id, r.deliveryId, r.projectId, r.webhookId, a.attempt, a.status, a.request_url, a.request_method, a.request_headers,
          a.request_body, a.response_status, a.response_headers, a.response_body, a.duration_ms, a.error, a.retry_reason, a.notes, a.created_at,
        );
        updateDelivery.run(
          r.status, a.attempt, r.nextAttemptAt, a.response_status, a.error, r.reason, a.duration_ms, a.response_body,
          r.status === 'delivered' ? a.created_at : null, now, r.deliveryId,
        );
      }
    },
  };
}
export type SqliteHotPaths = ReturnType<typeof sqliteHotPaths>;
