/**
 * The SQLite store's one writer (store.write): steps queued together share one commit, and
 * a step that throws fails only its own caller — the others' writes are kept, its own are
 * not. On a real SQLite file, through openStore, as the queue and the meetings app use it.
 */
import { describe, expect, it } from 'vitest';
import { withSqliteStore } from '../helpers/sqlite-store.js';

describe('the SQLite writer', () => {
  const f = withSqliteStore('writer', 'create table t (k text primary key, v integer not null)');

  const rows = () => f.store.sqlite!.prepare('select k, v from t order by k').all();

  it('commits the steps of one moment together: a later step sees an earlier one, and the file sees one commit', async () => {
    const sqlite = f.store.sqlite!;
    const insert = sqlite.prepare('insert into t (k, v) values (?, ?)');
    const count = sqlite.prepare('select count(*) as n from t');
    // Another connection's data_version moves once per commit made by others.
    const SQLite = (await import('better-sqlite3')).default;
    const other = new SQLite(f.file);
    const version = () => other.pragma('data_version', { simple: true }) as number;
    try {
      const before = version();
      const seen = await Promise.all([
        f.store.write!(() => (insert.run('a', 1), (count.get() as { n: number }).n)),
        f.store.write!(() => (insert.run('b', 2), (count.get() as { n: number }).n)),
        f.store.write!((memo) => (memo.set('x', 1), insert.run('c', 3), (count.get() as { n: number }).n)),
        f.store.write!((memo) => memo.get('x')),
      ]);
      expect(seen).toEqual([1, 2, 3, 1]);
      expect(version() - before).toBe(1);
      expect(rows()).toEqual([
        { k: 'a', v: 1 },
        { k: 'b', v: 2 },
        { k: 'c', v: 3 },
      ]);
    } finally {
      other.close();
    }
  });

  it('soon() books the next commit behind immediates already queued: steps they queue commit in the same turn, together', async () => {
    const sqlite = f.store.sqlite!;
    const insert = sqlite.prepare('insert into t (k, v) values (?, ?)');
    const SQLite = (await import('better-sqlite3')).default;
    const other = new SQLite(f.file);
    const version = () => other.pragma('data_version', { simple: true }) as number;
    try {
      const before = version();
      // As the meetings app does: its reads run in an immediate, and the steps come from the
      // promises those reads resolve (microtasks after that immediate).
      const committed: Promise<unknown>[] = [];
      let turnEnded = false;
      await new Promise<void>((done) => {
        setImmediate(() => {
          for (const k of ['a', 'b', 'c']) {
            void Promise.resolve().then(() => committed.push(f.store.write!(() => insert.run(k, 1))));
          }
        });
        f.store.write!.soon();
        // Queued after the booking: runs once the booked commit has run in this same turn.
        setImmediate(() => {
          turnEnded = true;
          done();
        });
      });
      expect(turnEnded).toBe(true);
      expect(committed).toHaveLength(3);
      // The commit ran before the turn's last immediate: the rows are in the file already, in one commit.
      expect(version() - before).toBe(1);
      expect(rows()).toEqual([
        { k: 'a', v: 1 },
        { k: 'b', v: 1 },
        { k: 'c', v: 1 },
      ]);
      await Promise.all(committed);
    } finally {
      other.close();
    }
  });

  it('soon() with nothing queued commits nothing', async () => {
    const SQLite = (await import('better-sqlite3')).default;
    const other = new SQLite(f.file);
    try {
      const before = other.pragma('data_version', { simple: true });
      f.store.write!.soon();
      await new Promise((r) => setTimeout(r, 20));
      expect(other.pragma('data_version', { simple: true })).toBe(before);
      // And the writer still commits what comes next.
      await f.store.write!(() => f.store.sqlite!.prepare('insert into t (k, v) values (?, ?)').run('z', 1));
      expect(rows()).toEqual([{ k: 'z', v: 1 }]);
    } finally {
      other.close();
    }
  });

  it('a step that throws fails alone: its own writes are undone, the others of its batch are kept', async () => {
    const insert = f.store.sqlite!.prepare('insert into t (k, v) values (?, ?)');
    const results = await Promise.allSettled([
      f.store.write!(() => insert.run('a', 1).changes),
      f.store.write!(() => {
        insert.run('half', 9);
        throw new Error('this step fails after writing');
      }),
      f.store.write!(() => insert.run('a', 2).changes), // the primary key is taken: fails too
      f.store.write!(() => insert.run('b', 3).changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('this step fails after writing');
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 3 },
    ]);
  });
});
