/**
 * The meetings click's storage, cut to its bones: a history table with the app's indexes
 * (primary key, per user, per project) and an events table with its own (primary key,
 * by time). `reserve` ranks the click after the user's newest row, inserts it and reads
 * the user's window; `finish` records the outcome and stores `room.created`. The
 * steps of a moment share one transaction (group commit), as in Hookbridge's writer.
 */
import Database from 'better-sqlite3';

export function open(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // No checkpoint at all during a 12 s run: the WAL only grows, alike in every mode.
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('cache_size = -4096');
  db.exec(`create table if not exists meetings (id text primary key, project_id text not null, user_id text not null, channel_id text not null,
      status text not null, request text not null, room_url text, created_at integer not null);
    create index if not exists meetings_user on meetings (project_id, user_id, created_at);
    create index if not exists meetings_project on meetings (project_id, created_at);
    create table if not exists events (project_id text not null, id text not null, type text not null, payload text not null,
      created_at integer not null, primary key (project_id, id));
    create index if not exists events_created on events (project_id, created_at);`);
  const newest = db.prepare('select max(created_at) as t from meetings where project_id = ? and user_id = ?');
  const insert = db.prepare('insert into meetings (id, project_id, user_id, channel_id, status, request, created_at) values (?, ?, ?, ?, ?, ?, ?)');
  const window = db.prepare(`select * from meetings where project_id = ? and user_id = ? and created_at >= ? and status in ('pending', 'created') order by created_at, id`);
  const end = db.prepare('update meetings set status = ?, room_url = ? where id = ?');
  const event = db.prepare('insert into events (project_id, id, type, payload, created_at) values (?, ?, ?, ?, ?)');
  const steps = {
    reserve(r) {
      const t = newest.get(r.project_id, r.user_id).t;
      const at = t !== null && t >= r.created_at ? t + 1 : r.created_at;
      insert.run(r.id, r.project_id, r.user_id, r.channel_id, 'pending', r.request, at);
      return window.all(r.project_id, r.user_id, at - 60_000);
    },
    finish(f) {
      end.run('created', f.room_url, f.id);
      event.run(f.project_id, `evt_${f.id}`, 'room.created', f.payload, Date.now());
      return true;
    },
  };
  const batch = db.transaction((items) => items.map(([step, arg]) => steps[step](arg)));
  /** Runs `[step, arg]` pairs in one transaction; their results in order. */
  return (items) => batch.immediate(items);
}
