/**
 * The SQLite store's one writer (store.write): steps queued together share one commit, and
 * a step that throws fails only its own caller — the others' writes are kept, its own are
 * not. On a real SQLite file, through openStore, as the queue and the meetings app use it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';

describe('the SQLite writer', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-writer-'));
    store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'w.db')}` });
    store.sqlite!.exec('create table t (k text primary key, v integer not null)');
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => store.sqlite!.prepare('select k, v from t order by k').all();

  it('commits the steps of one moment together: a later step sees an earlier one, and the file sees one commit', async () => {
    const sqlite = store.sqlite!;
    const insert = sqlite.prepare('insert into t (k, v) values (?, ?)');
    const count = sqlite.prepare('select count(*) as n from t');
    // Another connection's data_version moves once per commit made by others.
    const SQLite = (await import('better-sqlite3')).default;
    const other = new SQLite(path.join(dir, 'w.db'));
    const version = () => other.pragma('data_version', { simple: true }) as number;
    try {
      const before = version();
      const seen = await Promise.all([
        store.write!(() => (insert.run('a', 1), (count.get() as { n: number }).n)),
        store.write!(() => (insert.run('b', 2), (count.get() as { n: number }).n)),
        store.write!((memo) => (memo.set('x', 1), insert.run('c', 3), (count.get() as { n: number }).n)),
        store.write!((memo) => memo.get('x')),
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

  it('a step that throws fails alone: its own writes are undone, the others of its batch are kept', async () => {
    const insert = store.sqlite!.prepare('insert into t (k, v) values (?, ?)');
    const results = await Promise.allSettled([
      store.write!(() => insert.run('a', 1).changes),
      store.write!(() => {
        insert.run('half', 9);
        throw new Error('this step fails after writing');
      }),
      store.write!(() => insert.run('a', 2).changes), // the primary key is taken: fails too
      store.write!(() => insert.run('b', 3).changes),
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
