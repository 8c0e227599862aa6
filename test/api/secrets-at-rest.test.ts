/**
 * Issue 2 "Done when": the database holds no plaintext webhook secret or token.
 * SQLite: grep the database file and its WAL byte by byte. PostgreSQL: read every row of
 * every table of the test schema as text.
 */
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, PG_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createWebhook, expectOk } from './_support.js';

let s: TestServer;
const MARKER = `marker-${Date.now().toString(36)}`;
const secrets: string[] = [];
const tokens: string[] = [ADMIN_TOKEN];

beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
  const explicit = await createWebhook(s, { url: `https://example.com/${MARKER}`, secret: 'explicit_plain_secret_4f9a1c' });
  secrets.push(explicit.secret);
  const generated = await createWebhook(s, { url: `https://example.com/${MARKER}/2` });
  secrets.push(generated.secret);
  const standard = await createWebhook(s, { url: `https://example.com/${MARKER}/3`, signature: 'standard' });
  secrets.push(standard.secret);
  // Rotation: both the new secret and the one kept for the grace period are stored.
  const rotated = expectOk(await s.api('POST', `/v1/webhooks/${generated.id}/rotate-secret`));
  secrets.push(rotated.secret);
  const chosen = expectOk(await s.api('POST', `/v1/webhooks/${explicit.id}/rotate-secret`, { body: { secret: 'rotated_plain_secret_77e2b0' } }));
  secrets.push(chosen.secret);

  const project = expectOk(await s.api('POST', '/v1/projects', { body: { name: MARKER } }), 201);
  tokens.push(project.token.token);
  tokens.push(expectOk(await s.api('POST', `/v1/projects/${project.id}/tokens`, { body: { name: 'second' } }), 201).token);
  // A webhook in the new project through its own token, and the tokens actually used.
  secrets.push((await createWebhook(s, { url: `https://example.com/${MARKER}/4`, secret: 'project_plain_secret_0c3d' }, project.token.token)).secret);
  expect(secrets.every((x) => x.length >= 16)).toBe(true);
});
afterAll(async () => s?.stop());

/** Each plaintext and its distinctive body (without a `whsec_`/`hb_` prefix). */
function needles(): string[] {
  return [...secrets, ...tokens].flatMap((v) => [v, v.replace(/^(whsec_|hba?_)/, '')]);
}

describe('secrets at rest', () => {
  it.skipIf(!!PG_URL)('the SQLite file and its WAL contain no webhook secret and no token in plaintext', () => {
    const file = s.db.file!;
    const bytes = Buffer.concat(['', '-wal', '-journal'].filter((x) => fs.existsSync(file + x)).map((x) => fs.readFileSync(file + x)));
    // Control: the data written by this test is in these bytes, so the search below is meaningful.
    expect(bytes.includes(Buffer.from(MARKER))).toBe(true);
    for (const needle of needles()) {
      expect(bytes.includes(Buffer.from(needle, 'utf8')), `plaintext ${needle.slice(0, 6)}… found in the database`).toBe(false);
    }
    // Also the hex and base64 spellings of the secrets.
    for (const secret of secrets) {
      expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('hex')))).toBe(false);
      expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('base64')))).toBe(false);
    }
  });

  it.runIf(!!PG_URL)('no PostgreSQL row of any table contains a webhook secret or token in plaintext', async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const schema = s.db.schema!;
      const tables = (await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema])).rows.map(
        (r) => r.table_name as string,
      );
      expect(tables).toEqual(expect.arrayContaining(['webhooks', 'tokens', 'events', 'projects']));
      let dump = '';
      for (const t of tables) {
        const rows = await client.query(`SELECT t::text AS row FROM "${schema}"."${t}" t`);
        dump += rows.rows.map((r) => r.row).join('\n') + '\n';
      }
      expect(dump).toContain(MARKER);
      for (const needle of needles()) {
        expect(dump.includes(needle), `plaintext ${needle.slice(0, 6)}… found in the database`).toBe(false);
      }
    } finally {
      await client.end();
    }
  });

  it('the stored secrets still work: reads decrypt them (masked) and tokens authenticate', async () => {
    const list = expectOk(await s.api('GET', '/v1/webhooks'));
    expect(list.length).toBeGreaterThanOrEqual(3);
    for (const w of list) expect(w.secret).toMatch(/\*{4}.{4}$/);
    for (const t of tokens) expect((await s.api('GET', '/v1/project', { token: t })).status).toBe(200);
  });
});
