/**
 * The meetings history's writes on SQLite: prepared statements on the raw handle,
 * group-committed with the store's other writes. A click's reservation (ranked insert,
 * then the rate-limit window) is one synchronous step, and the clicks of a moment share
 * one commit — the commit, not the SQL, was most of a click's cost.
 */
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { lendConnection } from '../../store/db.js';
import type { SqliteWriter } from '../../store/group-commit.js';
import type { MeetingRow, MeetingWrites } from './store.js';

const COLUMNS = [
  'id', 'project_id', 'source_id', 'channel_id', 'channel_name', 'channel_type', 'user_id', 'username', 'operation_type', 'title',
  'provider', 'room_id', 'room_name', 'room_url', 'status', 'answer_status', 'error', 'request', 'created_at',
] as const satisfies ReadonlyArray<keyof MeetingRow>;

export function sqliteMeetings(db: Kysely<any>, sqlite: SQLite.Database, step: SqliteWriter): MeetingWrites {
  const lend = lendConnection(db);
  const insert = sqlite.prepare(`insert into meetings (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`);
  const newest = sqlite.prepare('select max(created_at) as t from meetings where project_id = ? and user_id = ?');
  const window = sqlite.prepare(
    `select * from meetings where project_id = ? and user_id = ? and created_at >= ? and status in ('pending', 'created') and source_id is ?
     order by created_at, id`,
  );
  const end = sqlite.prepare('update meetings set status = ?, answer_status = ?, error = ?, room_id = coalesce(?, room_id), room_name = coalesce(?, room_name), room_url = coalesce(?, room_url) where id = ?');

  const windowOf = (projectId: string, sourceId: string | null, userId: string, since: number) => window.all(projectId, userId, since, sourceId) as MeetingRow[];

  return {
    sharesCommits: true,
    insert: (row: MeetingRow) => step(() => void insert.run(COLUMNS.map((c) => row[c]))),
    /** Ranked after every row of the user already stored (one writer: the read and the insert are atomic). */
    reserve: (row: MeetingRow, since: number) =>
      step(() => {
        const t = (newest.get(row.project_id, row.user_id) as { t: number | null }).t;
        const ranked = t !== null && t >= row.created_at ? { ...row, created_at: t + 1 } : row;
        insert.run(COLUMNS.map((c) => ranked[c]));
        return { row: ranked, window: windowOf(ranked.project_id, ranked.source_id, ranked.user_id, since) };
      }),
    end: (id, e) => step(() => void end.run(e.status, e.answer_status, e.error, e.room_id ?? null, e.room_name ?? null, e.room_url ?? null, id)),
    window: (projectId: string, sourceId: string | null, userId: string, since: number) => lend(() => windowOf(projectId, sourceId, userId, since)),
  };
}
