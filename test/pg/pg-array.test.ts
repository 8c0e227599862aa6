/**
 * The hot statements' array parameters are built by pgArray, not node-postgres: every
 * value must come back from PostgreSQL exactly as node-postgres would have sent it —
 * quotes, backslashes, braces, commas, the word NULL, empty strings, whitespace, non-ASCII
 * (a lone surrogate becomes U+FFFD either way), numbers and nulls.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../helpers/server.js';
import { pgArray } from '../../src/store/pg-array.js';

if (!PG_URL) console.log('[pg-array test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

describePg('pgArray round-trips through PostgreSQL as node-postgres arrays do', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });
  afterAll(async () => client?.end());

  const texts = [
    'plain',
    '{"a":"b \\"quoted\\" \\\\ back","n":[1,2]}',
    'a,b{c}d',
    'NULL',
    'null',
    '',
    ' leading and trailing ',
    'tab\there\nnewline',
    'back\\slash at the end\\',
    '"',
    'Привет, мир ✓ 𝄞',
    'lone \ud800 surrogate',
    null,
    undefined,
  ];

  it('text[]: each element as node-postgres sends it', async () => {
    const ours = await client.query('select u from unnest($1::text[]) with ordinality as t(u, i) order by i', [pgArray(texts)]);
    const theirs = await client.query('select u from unnest($1::text[]) with ordinality as t(u, i) order by i', [texts.map((t) => t ?? null)]);
    expect(ours.rows.map((r) => r.u)).toEqual(theirs.rows.map((r) => r.u));
    expect(ours.rows.map((r) => r.u)).toEqual(texts.map((t) => (t == null ? null : t.replace('\ud800', '\ufffd'))));
  });

  it('int[] and bigint[]: numbers (millisecond times too) and nulls', async () => {
    const ints = [0, -1, 2147483647, null, 42];
    const bigs = [1764676800123, 0, null, -5, 9007199254740991];
    const r = await client.query('select a, b from unnest($1::int[], $2::bigint[]) with ordinality as t(a, b, i) order by i', [pgArray(ints), pgArray(bigs)]);
    expect(r.rows.map((x) => x.a)).toEqual(ints);
    expect(r.rows.map((x) => (x.b === null ? null : Number(x.b)))).toEqual(bigs);
  });

  it('an empty array is empty', async () => {
    const r = await client.query('select count(*)::int as n from unnest($1::text[])', [pgArray([])]);
    expect(r.rows[0].n).toBe(0);
  });
});
