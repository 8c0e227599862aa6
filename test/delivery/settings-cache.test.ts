/**
 * A change applies at once in the process that made it: once a rotation, an edit or a
 * deletion is answered, the worker's next read of the webhook (through its settings cache)
 * sees it, even when a read of the webhook was in flight while the change was written.
 * (Before, the entry was dropped before the write: a read in between found the old row and
 * the cache kept it for a second, so requests kept being signed with the old secret after
 * the rotation was answered; on PostgreSQL that read runs on another connection.)
 * Runs on the suite's database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createRepos } from '../../src/store/index.js';
import { createSecretBox } from '../../src/core/secretbox.js';
import { webhookDefaults } from '../../src/store/webhooks.js';
import { freshDatabase, type TestDb } from '../helpers/server.js';

describe('settings cache and changes in flight', () => {
  let db: TestDb;
  let store: Store;
  let repos: ReturnType<typeof createRepos>;

  beforeAll(async () => {
    db = freshDatabase();
    store = await openStore({ databaseUrl: db.url });
    await migrateToLatest(store.db, store.schema);
    repos = createRepos(store, createSecretBox('test-secret-key-0123456789abcdef'));
    await repos.projects.create({ id: 'prj_cache', name: 'Cache' });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const webhook = (name: string) =>
    repos.webhooks.create('prj_cache', { ...webhookDefaults(), name, url: 'http://127.0.0.1:9/hook', events: ['order.paid'], secret: 'whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0', spaceId: null });

  it('a rotation answered: the next read has the new secret, though a read ran while it was written', async () => {
    for (let round = 0; round < 20; round++) {
      const w = await webhook(`rotate-${round}`);
      const next = `whsec_${Buffer.from(`new-secret-${round}-0123456789`).toString('base64')}`;
      const rotation = repos.webhooks.rotateSecret('prj_cache', w.id, next, 0);
      const during = repos.webhooks.byIds([w.id]); // the worker's read, in flight meanwhile
      await rotation;
      await during;
      expect((await repos.webhooks.byIds([w.id])).get(w.id)?.secret).toBe(next);
    }
  });

  it('an edit and a deletion answered: the next read sees them', async () => {
    for (let round = 0; round < 10; round++) {
      const w = await webhook(`edit-${round}`);
      await repos.webhooks.byIds([w.id]); // cached
      const edit = repos.webhooks.update('prj_cache', w.id, { url: 'http://127.0.0.1:9/new' });
      const during = repos.webhooks.byIds([w.id]);
      await edit;
      await during;
      expect((await repos.webhooks.byIds([w.id])).get(w.id)?.url).toBe('http://127.0.0.1:9/new');

      const removal = repos.webhooks.delete('prj_cache', w.id);
      const during2 = repos.webhooks.byIds([w.id]);
      await removal;
      await during2;
      expect((await repos.webhooks.byIds([w.id])).has(w.id)).toBe(false);
    }
  });

  it('a token deletion answered: the token no longer authenticates, though a lookup ran while it was deleted', async () => {
    for (let round = 0; round < 10; round++) {
      const { token, info } = await repos.tokens.create({ projectId: 'prj_cache', name: `t${round}` });
      expect(await repos.tokens.findByToken(token)).toBeDefined();
      const removal = repos.tokens.delete(info.id);
      const during = repos.tokens.findByToken(token);
      await removal;
      await during;
      expect(await repos.tokens.findByToken(token)).toBeUndefined();
    }
  });
});
