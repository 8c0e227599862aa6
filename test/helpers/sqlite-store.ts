/** A store on a fresh SQLite file for each test (through openStore, as a server opens it), closed and removed after. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';

export interface SqliteStoreFixture {
  store: Store;
  dir: string;
  file: string;
}

/** `schema` runs on each new file; the returned object's fields are the current test's. */
export function withSqliteStore(prefix: string, schema: string): SqliteStoreFixture {
  const f = {} as SqliteStoreFixture;
  beforeEach(async () => {
    f.dir = fs.mkdtempSync(path.join(os.tmpdir(), `hb-${prefix}-`));
    f.file = path.join(f.dir, `${prefix}.db`);
    f.store = await openStore({ databaseUrl: `sqlite:${f.file}` });
    f.store.sqlite!.exec(schema);
  });
  afterEach(async () => {
    await f.store.close();
    fs.rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}
