/**
 * The binary `text[]` layout, read back without a server (test/pg/binary-arrays.test.ts
 * has PostgreSQL read it). ASCII arrays are built as one Latin-1 string, others value by
 * value: both must give the same layout, with lengths in bytes.
 */
import { describe, expect, it } from 'vitest';
import { textArray } from '../../src/store/pg-arrays.js';

/** Reads a one-dimensional binary text[]: header (ndim, has-nulls, oid, length, lower bound), then length-prefixed values. */
function readTextArray(buf: Buffer): { hasNull: number; oid: number; values: (string | null)[] } {
  const ndim = buf.readInt32BE(0);
  const hasNull = buf.readInt32BE(4);
  const oid = buf.readInt32BE(8);
  if (ndim === 0) return { hasNull, oid, values: [] };
  expect(ndim).toBe(1);
  expect(buf.readInt32BE(16)).toBe(1);
  const n = buf.readInt32BE(12);
  const values: (string | null)[] = [];
  let at = 20;
  for (let i = 0; i < n; i++) {
    const len = buf.readInt32BE(at);
    at += 4;
    if (len === -1) values.push(null);
    else {
      values.push(buf.toString('utf8', at, at + len));
      at += len;
    }
  }
  expect(at).toBe(buf.length);
  return { hasNull, oid, values };
}

describe('textArray', () => {
  it('ASCII values, lengths past 0x7f and 0xffff included, NULLs and empty strings', () => {
    const values = ['evt_1', '', null, '{"a":"\\"q\\""}', 'y'.repeat(200), 'x'.repeat(70_000)];
    expect(readTextArray(textArray(values))).toEqual({ hasNull: 1, oid: 25, values });
  });

  it('values beyond ASCII are measured in UTF-8 bytes', () => {
    const values = ['café', 'Встреча — 🙂', 'plain', null];
    const buf = textArray(values);
    expect(readTextArray(buf)).toEqual({ hasNull: 1, oid: 25, values });
    expect(buf.readInt32BE(20)).toBe(5); // "café": 4 characters, 5 bytes
  });

  it('no NULLs, and the empty array', () => {
    expect(readTextArray(textArray(['a', 'b']))).toEqual({ hasNull: 0, oid: 25, values: ['a', 'b'] });
    expect(readTextArray(textArray([]))).toEqual({ hasNull: 0, oid: 25, values: [] });
  });
});
