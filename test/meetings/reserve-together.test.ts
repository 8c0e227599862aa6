/**
 * On SQLite the clicks that arrive in one turn of the event loop are reserved together,
 * after that turn's I/O, with one read for all of them. Each reservation must still see
 * every one made before it, stored or in flight, exactly as when each read alone.
 * A real SQLite file, through openStore and the meetings repository.
 */
import { describe, expect, it } from 'vitest';
import { withSqliteStore } from '../helpers/sqlite-store.js';
import { meetingsRepo, type MeetingRow } from '../../src/apps/meetings/store.js';

const SCHEMA = `
create table meetings (id varchar(64) primary key, project_id varchar(64) not null, source_id varchar(64), channel_id varchar(200) not null,
  channel_name text, channel_type varchar(8), user_id varchar(200) not null, username text, operation_type varchar(32), title text,
  provider varchar(32) not null, room_id varchar(200), room_name text, room_url text, status varchar(16) not null, error text,
  request text not null, created_at bigint not null, answer_status integer);
create index meetings_user_idx on meetings (project_id, user_id, created_at);`;

const row = (id: string, channel: string, at: number, over: Partial<MeetingRow> = {}): MeetingRow => ({
  id,
  project_id: 'p1',
  source_id: null,
  channel_id: channel,
  channel_name: null,
  channel_type: null,
  user_id: 'u1',
  username: null,
  operation_type: null,
  title: 'Meeting',
  provider: 'mock',
  room_id: null,
  room_name: null,
  room_url: null,
  status: 'pending',
  answer_status: null,
  error: null,
  request: '{}',
  created_at: at,
  ...over,
});

describe('meeting reservations made together (SQLite)', () => {
  const f = withSqliteStore('reserve', SCHEMA);

  it('each sees the stored rows and every reservation made before it in the same turn, ranked after them', async () => {
    const repo = meetingsRepo(f.store);
    const now = Date.now();
    await repo.insert(row('m0', 'stored', now - 1000, { status: 'created', answer_status: 200, room_url: 'https://x/r0' }));
    // Four clicks of one user in one turn, all in the same millisecond.
    const got = await Promise.all(['a', 'b', 'c', 'd'].map((ch, i) => repo.reserve(row(`m${i + 1}`, ch, now), now - 60_000)));
    expect(got.map((g) => g.window.map((r) => r.id))).toEqual([
      ['m0', 'm1'],
      ['m0', 'm1', 'm2'],
      ['m0', 'm1', 'm2', 'm3'],
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    ]);
    // Ranked in the order they were made, none tied.
    const at = got.map((g) => g.row.created_at);
    expect(at).toEqual([...at].sort((x, y) => x - y));
    expect(new Set(at).size).toBe(4);
  });

  it('a reservation of the next turn sees this turn\'s, and another user\'s in the same turn does not', async () => {
    const repo = meetingsRepo(f.store);
    const now = Date.now();
    const [mine, theirs] = await Promise.all([
      repo.reserve(row('m1', 'a', now), now - 60_000),
      repo.reserve(row('t1', 'a', now, { user_id: 'u2' }), now - 60_000),
    ]);
    expect(mine.window.map((r) => r.id)).toEqual(['m1']);
    expect(theirs.window.map((r) => r.id)).toEqual(['t1']);
    const next = await repo.reserve(row('m2', 'b', now), now - 60_000);
    expect(next.window.map((r) => r.id)).toEqual(['m1', 'm2']);
  });
});
