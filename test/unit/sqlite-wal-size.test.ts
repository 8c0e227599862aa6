/**
 * After a burst of writes the SQLite WAL goes back to a bounded size: without a limit,
 * SQLite keeps the file at the largest size the burst made (500 MB after 6 s of meeting
 * clicks) for as long as the server runs. Through the store a server opens: its own
 * checkpoint thread copies the WAL, and the next write restarts and truncates it.
 * Under writes that never pause, the WAL stays bounded too (it grew 13 MB a second at
 * 300 publishes a second before): the thread restarts it in a quiet moment.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WAL_KEEP_BYTES, openStore } from '../../src/store/db.js';
import { until } from '../helpers/wait.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-wal-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('a burst larger than the limit leaves a WAL file of at most WAL_KEEP_BYTES once the next write restarts it', async () => {
  const file = path.join(dir, 'burst.db');
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  try {
    const db = store.sqlite!;
    db.exec('create table blobs (id integer primary key, body blob not null)');
    const insert = db.prepare('insert into blobs (body) values (?)');
    const page = Buffer.alloc(3500, 7);
    // One transaction cannot restart the WAL midway: ~90 MB of frames.
    db.transaction(() => {
      for (let i = 0; i < 24_000; i++) insert.run(page);
    })();
    const wal = () => fs.statSync(`${file}-wal`).size;
    expect(wal()).toBeGreaterThan(WAL_KEEP_BYTES);
    // The checkpoint thread (once a second) copies it all; a write after that restarts the WAL.
    await until(
      'the WAL to restart and shrink',
      10_000,
      () => {
        insert.run(Buffer.alloc(10));
        return wal() <= WAL_KEEP_BYTES;
      },
      200,
    );
    expect(wal()).toBeLessThanOrEqual(WAL_KEEP_BYTES);
    expect((db.prepare('select count(*) as n from blobs').get() as { n: number }).n).toBeGreaterThan(24_000);
  } finally {
    await store.close();
  }
});

/**
 * A store with 50 ms checkpoint ticks and a small WAL limit, and a writer of small rows
 * (as publishes and clicks write: each commit rewrites the same few pages) that runs group
 * commits of 8 back to back, keeping count and the slowest batch and the largest WAL seen.
 */
async function steadyWriter(name: string, maxWal: number) {
  const file = path.join(dir, `${name}.db`);
  const store = await openStore({ databaseUrl: `sqlite:${file}`, sqliteCheckpointMs: 50, sqliteMaxWalBytes: maxWal });
  const db = store.sqlite!;
  db.exec('create table blobs (id integer primary key, body blob not null)');
  const insert = db.prepare('insert into blobs (body) values (?)');
  const body = Buffer.alloc(200, 7);
  const w = {
    store,
    file,
    written: 0,
    commits: 0,
    slowest: 0,
    largest: 0,
    wal: () => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0,
    stored: () => (db.prepare('select count(*) as n from blobs').get() as { n: number }).n,
    writeOne: () => store.write!(() => insert.run(body)).then(() => void w.written++),
    async writeFor(ms: number) {
      const started = Date.now();
      while (Date.now() - started < ms) {
        const t0 = Date.now();
        await Promise.all(Array.from({ length: 8 }, w.writeOne));
        w.commits++;
        w.slowest = Math.max(w.slowest, Date.now() - t0);
        w.largest = Math.max(w.largest, w.wal());
      }
    },
  };
  return w;
}

it('writes that never pause keep the WAL bounded, and every write is kept', async () => {
  const maxWal = 2 * 1024 * 1024;
  const w = await steadyWriter('steady', maxWal);
  try {
    // Group commits back to back for 3 s: thousands of commits, far more frames than the limit.
    await w.writeFor(3000);
    // Each commit appends at least one 4 KiB frame: without restarts the WAL would pass 4 × the limit.
    expect(w.commits).toBeGreaterThan(2000);
    expect(w.largest).toBeLessThan(16 * maxWal);
    expect(w.stored()).toBe(w.written);
  } finally {
    await w.store.close();
  }
});

it('a reader in another connection holding the WAL only delays the restart: writes go on, and the WAL restarts once it lets go', async () => {
  const maxWal = 1024 * 1024;
  const w = await steadyWriter('held', maxWal);
  const SQLite = (await import('better-sqlite3')).default;
  const reader = new SQLite(w.file);
  try {
    // A snapshot held open (a backup, a long report): the WAL cannot restart under it.
    reader.exec('begin');
    reader.prepare('select count(*) from blobs').get();
    await w.writeFor(1500);
    expect(w.wal()).toBeGreaterThan(4 * maxWal);
    // Each try waits at most its busy timeout (and the main thread at most 2 s) before giving up.
    expect(w.slowest).toBeLessThan(1000);
    reader.exec('commit');
    await w.writeFor(1500);
    await until('the WAL to restart', 5000, async () => (await w.writeOne(), w.wal() <= 2 * maxWal));
    expect(w.stored()).toBe(w.written);
  } finally {
    reader.close();
    await w.store.close();
  }
});
