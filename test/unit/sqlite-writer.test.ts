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

  /** Runs `fn` with a count of the commits made to the file meanwhile (another connection's data_version moves once per commit made by others). */
  async function countingCommits(fn: (commits: () => number) => Promise<void>) {
    const SQLite = (await import('better-sqlite3')).default;
    const other = new SQLite(f.file);
    const version = () => other.pragma('data_version', { simple: true }) as number;
    const before = version();
    try {
      await fn(() => version() - before);
    } finally {
      other.close();
    }
  }

  it('commits the steps of one moment together: a later step sees an earlier one, and the file sees one commit', async () => {
    const sqlite = f.store.sqlite!;
    const insert = sqlite.prepare('insert into t (k, v) values (?, ?)');
    const count = sqlite.prepare('select count(*) as n from t');
    await countingCommits(async (commits) => {
      const seen = await Promise.all([
        f.store.write!(() => (insert.run('a', 1), (count.get() as { n: number }).n)),
        f.store.write!(() => (insert.run('b', 2), (count.get() as { n: number }).n)),
        f.store.write!((memo) => (memo.set('x', 1), insert.run('c', 3), (count.get() as { n: number }).n)),
        f.store.write!((memo) => memo.get('x')),
      ]);
      expect(seen).toEqual([1, 2, 3, 1]);
      expect(commits()).toBe(1);
      expect(rows()).toEqual([
        { k: 'a', v: 1 },
        { k: 'b', v: 2 },
        { k: 'c', v: 3 },
      ]);
    });
  });

  it('soon() books the next commit behind immediates already queued: steps they queue commit in the same turn, together', async () => {
    const sqlite = f.store.sqlite!;
    const insert = sqlite.prepare('insert into t (k, v) values (?, ?)');
    await countingCommits(async (commits) => {
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
      expect(commits()).toBe(1);
      expect(rows()).toEqual([
        { k: 'a', v: 1 },
        { k: 'b', v: 1 },
        { k: 'c', v: 1 },
      ]);
      await Promise.all(committed);
    });
  });

  it('soon() with nothing queued commits nothing and leaves the writer committing what comes next', async () => {
    await countingCommits(async (commits) => {
      f.store.write!.soon();
      await new Promise((r) => setTimeout(r, 20));
      expect(commits()).toBe(0);
      // And the writer still commits what comes next.
      await f.store.write!(() => f.store.sqlite!.prepare('insert into t (k, v) values (?, ?)').run('z', 1));
      expect(commits()).toBe(1);
      expect(rows()).toEqual([{ k: 'z', v: 1 }]);
    });
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
