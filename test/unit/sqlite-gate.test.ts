/**
 * The SQLite connection's gate: raw synchronous steps (the queue, the writer, the apps)
 * and Kysely share one connection. A step never runs inside a Kysely transaction that is
 * open across awaits; it waits for the transaction to end, and the transaction's work is
 * what it sees (nothing of a rolled-back one). On a real SQLite file, through openStore.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withSqliteStore } from '../helpers/sqlite-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the SQLite connection gate', () => {
  const f = withSqliteStore('gate', 'create table t (k text primary key)');

  const keys = () => (f.store.sqlite!.prepare('select k from t order by k').all() as Array<{ k: string }>).map((r) => r.k);

  it('a step waits for an open Kysely transaction: it sees a rolled-back row never, a committed one after the commit', async () => {
    const lend = f.store.lend!;
    const seen: string[][] = [];
    let inside!: () => void;
    const opened = new Promise<void>((r) => (inside = r));
    const rolledBack = f.store.db.transaction().execute(async (tx) => {
      await sql`insert into t (k) values ('rolled-back')`.execute(tx);
      inside();
      await sleep(50);
      throw new Error('roll back');
    });
    await opened;
    const during = lend(() => (seen.push(keys()), 'ran'));
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await during).toBe('ran');
    expect(seen).toEqual([[]]);

    const committed = f.store.db.transaction().execute(async (tx) => {
      await sql`insert into t (k) values ('committed')`.execute(tx);
      await sleep(20);
    });
    await sleep(5);
    const after = lend(keys);
    await committed;
    expect(await after).toEqual(['committed']);
  });

  it('a step that throws rejects its caller and gives the connection back', async () => {
    const lend = f.store.lend!;
    const insert = f.store.sqlite!.prepare('insert into t (k) values (?)');
    await lend(() => insert.run('once'));
    await expect(lend(() => insert.run('once'))).rejects.toThrow(/UNIQUE/);
    await expect(lend(() => { throw new Error('step failed'); })).rejects.toThrow('step failed');
    // Kysely and the writer still get the connection.
    await f.store.db.insertInto('t' as never).values({ k: 'kysely' } as never).execute();
    await f.store.write!(() => insert.run('writer'));
    expect(keys()).toEqual(['kysely', 'once', 'writer']);
  });

  it('Kysely queries, transactions and steps mixed at once all finish, each transaction whole', async () => {
    const lend = f.store.lend!;
    const insert = f.store.sqlite!.prepare('insert into t (k) values (?)');
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      if (i % 3 === 0)
        work.push(
          f.store.db.transaction().execute(async (tx) => {
            await sql`insert into t (k) values (${`tx${i}a`})`.execute(tx);
            await sleep(1);
            await sql`insert into t (k) values (${`tx${i}b`})`.execute(tx);
          }),
        );
      else if (i % 3 === 1) work.push(lend(() => insert.run(`step${i}`)));
      else work.push(f.store.write!(() => insert.run(`write${i}`)));
    }
    await Promise.all(work);
    const all = keys();
    expect(all).toHaveLength(80);
    for (let i = 0; i < 60; i += 3) expect(all).toEqual(expect.arrayContaining([`tx${i}a`, `tx${i}b`]));
  });
});
