/**
 * The meetings history's writes on PostgreSQL, through Kysely: each its own statement.
 * A reservation takes a per-user advisory lock, so two processes rank one user's clicks
 * alike; the window is read after it commits.
 */
import { sql, type Kysely } from 'kysely';
import type { DB, MeetingRow, MeetingWrites } from './store.js';

export function postgresMeetings(db: Kysely<DB>): MeetingWrites {
  const window = (projectId: string, sourceId: string | null, userId: string, since: number): Promise<MeetingRow[]> => {
    let q = db
      .selectFrom('meetings')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .where('created_at', '>=', since)
      .where('status', 'in', ['pending', 'created']);
    q = sourceId === null ? q.where('source_id', 'is', null) : q.where('source_id', '=', sourceId);
    return q.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
  };

  return {
    sharesCommits: false,
    async insert(row) {
      await db.insertInto('meetings').values(row).execute();
    },
    async reserve(row, since) {
      // The user's newest time is read by the insert itself, under the user's lock.
      const newest = sql<number>`coalesce((select max(m.created_at) from meetings m where m.project_id = ${row.project_id} and m.user_id = ${row.user_id}), 0) + 1`;
      const inserted = await db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`meetings:${row.project_id}:${row.user_id}`}))`.execute(tx);
        return tx
          .insertInto('meetings')
          .values({ ...row, created_at: sql<number>`case when ${newest} > ${row.created_at} then ${newest} else ${row.created_at} end` })
          .returning('created_at')
          .executeTakeFirstOrThrow();
      });
      return { row: { ...row, created_at: Number(inserted.created_at) }, window: await window(row.project_id, row.source_id, row.user_id, since) };
    },
    async end(id, e) {
      const { status, answer_status, error, room_id, room_name, room_url } = e;
      await db
        .updateTable('meetings')
        .set({ status, answer_status, error, ...(room_url !== undefined && { room_id, room_name, room_url }) })
        .where('id', '=', id)
        .execute();
    },
    window,
  };
}
