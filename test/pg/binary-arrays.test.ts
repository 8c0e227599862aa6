/**
 * The hot statements' array parameters go out in PostgreSQL's binary format
 * (src/store/pg-arrays.ts). What the server reads from them must be exactly what the
 * values were: text with quotes, backslashes, braces, commas, Cyrillic and emoji, the
 * string "NULL", empty strings and real NULLs, the widest integers — and the same as
 * node-postgres's own array literals give for the same values.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { int4Array, int8Array, textArray } from '../../src/store/pg-arrays.js';
import { PG_URL } from '../helpers/server.js';

if (!PG_URL) console.log('[binary-arrays test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

const texts = [
  '{"id":"evt_1","data":{"text":"say \\"hi\\" \\\\ back","list":[1,2]}}',
  'Встреча — 🙂',
  'a,b{c}d',
  'NULL',
  '',
  null,
  ' leading and trailing ',
  'x'.repeat(70_000),
];
/** ASCII only: built as one Latin-1 string. Lengths of 200 and 70,000 put bytes over 0x7f in the length words. */
const asciiTexts = ['{"id":"evt_1","q":"say \\"hi\\""}', '', null, 'NULL', 'a,b{c}d', 'y'.repeat(200), 'x'.repeat(70_000), '\t\\ tab'];

describePg('binary array parameters (PostgreSQL)', () => {
  let c: pg.Client;
  beforeAll(async () => {
    c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
  });
  afterAll(async () => {
    await c?.end();
  });
  const select = async (sql: string, values: unknown[]) => (await c.query(sql, values)).rows[0];

  it('text[]: every value read back as it was, as from a text literal', async () => {
    const r = await select('select $1::text[] as bin, $2::text[] as lit, array_length($1::text[], 1) as n', [textArray(texts), texts]);
    expect(r.bin).toEqual(texts);
    expect(r.lit).toEqual(texts);
    expect(r.n).toBe(texts.length);
  });

  it('text[] of ASCII values (built in one piece) and of Latin-1 ones (not ASCII): read back as they were', async () => {
    const latin1 = ['café', 'naïve', null, 'x'];
    const r = await select('select $1::text[] as ascii, $2::text[] as latin1, $3::text[] as nulls', [textArray(asciiTexts), textArray(latin1), textArray([null, null])]);
    expect(r.ascii).toEqual(asciiTexts);
    expect(r.latin1).toEqual(latin1);
    expect(r.nulls).toEqual([null, null]);
  });

  it('bigint[] and int[]: the edges of each type, and NULLs', async () => {
    const big = [0, -1, 1, 1_764_800_000_123, -(2 ** 53) + 1, 2 ** 53 - 1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), null];
    const small = [0, -1, 2 ** 31 - 1, -(2 ** 31), 503, null];
    const r = await select('select $1::bigint[]::text[] as big, $2::int[] as small', [int8Array(big), int4Array(small)]);
    expect(r.big).toEqual(big.map((v) => (v === null ? null : String(v))));
    expect(r.small).toEqual(small);
  });

  it('empty arrays unnest to no rows, in a statement like the publish insert', async () => {
    const r = await select('select count(*)::int as n from unnest($1::text[], $2::bigint[], $3::int[]) as v(a, b, c)', [textArray([]), int8Array([]), int4Array([])]);
    expect(r.n).toBe(0);
    const rows = (await c.query('select a, b::text as b, c from unnest($1::text[], $2::bigint[], $3::int[]) as v(a, b, c)', [textArray(['p', null]), int8Array([5, null]), int4Array([null, 7])])).rows;
    expect(rows).toEqual([
      { a: 'p', b: '5', c: null },
      { a: null, b: null, c: 7 },
    ]);
  });

  it('values a type cannot hold are refused before anything is sent', () => {
    expect(() => int8Array([2 ** 53])).toThrow(TypeError);
    expect(() => int8Array([1.5])).toThrow(TypeError);
    expect(() => int4Array([2 ** 31])).toThrow(TypeError);
    expect(() => int4Array([0.5])).toThrow(TypeError);
  });
});
