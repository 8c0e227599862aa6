/**
 * The meetings history's writes on SQLite: prepared statements on the raw handle,
 * group-committed with the store's other writes. SQLite runs one process per database,
 * so a click's pending reservation need not be shared through the table: it is kept in
 * memory (ranked against the user's stored rows and the other clicks in flight) and the
 * row is written once, with its outcome — one insert and one commit per click instead of
 * an insert, an update and two commits; the commit, not the SQL, was most of a click's
 * cost. A request in flight is therefore not in the stored history yet, and one cut short
 * by a crash leaves no row (it was never answered).
 */
import type { SqliteParts } from '../../store/db.js';
import { groupCommit, unwrap, type Outcome } from '../../store/group-commit.js';
import type { MeetingRow, MeetingWrites } from './store.js';

const COLUMNS = [
  'id', 'project_id', 'source_id', 'channel_id', 'channel_name', 'channel_type', 'user_id', 'username', 'operation_type', 'title',
  'provider', 'room_id', 'room_name', 'room_url', 'status', 'answer_status', 'error', 'request', 'created_at',
] as const satisfies ReadonlyArray<keyof MeetingRow>;

export function sqliteMeetings({ sqlite, write: step, lend }: SqliteParts): MeetingWrites {
  const insert = sqlite.prepare(`insert into meetings (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`);
  /**
   * One read for a click: the user's window rows (pending or created, this source) since the
   * window's start, and the user's newest row to rank after, if that is in the window's time
   * (an older one is older than any click it could rank). Two statements cost two read
   * transactions; rows of other statuses are left out so that a user's refused clicks
   * are not read back on every click.
   */
  const recent = sqlite.prepare(
    `select * from meetings where project_id = ? and user_id = ? and created_at >= ?
       and ((status in ('pending', 'created') and source_id is ?) or created_at = (select max(created_at) from meetings where project_id = ? and user_id = ?))
     order by created_at, id`,
  );
  const insertRow = (row: MeetingRow) => step(() => void insert.run(COLUMNS.map((c) => row[c])));

  /** Reserved rows not stored yet (pending, or ended with their insert not committed), per user. */
  const unsaved = new Map<string, Map<string, MeetingRow>>();
  /** The same rows' user maps, by row id. */
  const userOf = new Map<string, Map<string, MeetingRow>>();
  const userKey = (projectId: string, userId: string) => `${projectId}\u0000${userId}`;

  /** The user's window (pending and created rows of this source): stored rows, and unsaved ones in their place (a row stored meanwhile shows once). */
  const windowOf = (stored: MeetingRow[], projectId: string, sourceId: string | null, userId: string, since: number): MeetingRow[] => {
    const rows = new Map<string, MeetingRow>();
    const counts = (r: MeetingRow) => r.source_id === sourceId && r.created_at >= since && (r.status === 'pending' || r.status === 'created');
    for (const r of stored) if (counts(r)) rows.set(r.id, r);
    for (const r of unsaved.get(userKey(projectId, userId))?.values() ?? []) if (counts(r)) rows.set(r.id, r);
    return [...rows.values()];
  };
  const recentRows = (projectId: string, sourceId: string | null, userId: string, since: number) =>
    recent.all(projectId, userId, since, sourceId, projectId, userId) as MeetingRow[];

  /**
   * The reservations of one turn of the event loop, made together after its I/O: their reads
   * share one read transaction, and the writer's next commit is booked behind them, so the
   * clicks that decide on these reads still store their rows in this turn's commit. Made one
   * by one, each where its request was parsed, a read took 12.7 % of a click's CPU (about
   * 13 µs, against 3.3 µs for the same lookup with its transaction in a script alone); made
   * together, a click cost about a seventh less (README: What bounds each figure).
   */
  const settle = (fn: () => unknown): Outcome => {
    try {
      return { ok: true, value: fn() };
    } catch (error) {
      return { ok: false, error };
    }
  };
  const inOneRead = sqlite.transaction((fns: Array<() => unknown>) => fns.map(settle));
  // Batched as the writer's steps are; a failed transaction fails each of its reservations.
  const reads = groupCommit<() => unknown, Outcome>((fns) =>
    lend(() => (fns.length === 1 ? [settle(fns[0]!)] : inOneRead(fns))).catch((error: unknown) => fns.map((): Outcome => ({ ok: false, error }))),
  );
  const together = async <T>(fn: () => T): Promise<T> => {
    const read = reads(fn);
    step.soon();
    return unwrap<T>(await read);
  };

  return {
    sharesCommits: true,
    insert: insertRow,
    /** Ranked after every row of the user stored or in flight (one process: the read and the reservation are atomic). */
    reserve: (row: MeetingRow, since: number) =>
      together(() => {
        const key = userKey(row.project_id, row.user_id);
        let mine = unsaved.get(key);
        // Rows left here by a request that broke off (a failed read, a failed insert) age out with the window.
        for (const [id, r] of mine ?? []) if (r.created_at < since) (mine!.delete(id), userOf.delete(id));
        const stored = recentRows(row.project_id, row.source_id, row.user_id, since);
        let t: number | null = null;
        for (const r of stored) t = t === null ? r.created_at : Math.max(t, r.created_at);
        for (const r of mine?.values() ?? []) t = t === null ? r.created_at : Math.max(t, r.created_at);
        const ranked = t !== null && t >= row.created_at ? { ...row, created_at: t + 1 } : row;
        if (!mine) unsaved.set(key, (mine = new Map()));
        mine.set(ranked.id, ranked);
        userOf.set(ranked.id, mine);
        return { row: ranked, window: windowOf(stored, ranked.project_id, ranked.source_id, ranked.user_id, since) };
      }),
    async end(id, e) {
      const mine = userOf.get(id);
      const row = mine?.get(id);
      if (!mine || !row) throw new Error(`meeting ${id} was not reserved in this process`);
      const done: MeetingRow = {
        ...row,
        status: e.status,
        answer_status: e.answer_status,
        error: e.error,
        room_id: e.room_id ?? row.room_id,
        room_name: e.room_name ?? row.room_name,
        room_url: e.room_url ?? row.room_url,
      };
      // Its outcome counts at once (a repeat click reuses the room before the commit). If the
      // insert fails it stays here until it ages out, so a repeat click still gets its room.
      mine.set(id, done);
      await insertRow(done);
      userOf.delete(id);
      mine.delete(id);
      if (!mine.size) unsaved.delete(userKey(row.project_id, row.user_id));
    },
    window: (projectId: string, sourceId: string | null, userId: string, since: number) =>
      lend(() => windowOf(recentRows(projectId, sourceId, userId, since), projectId, sourceId, userId, since)),
  };
}
