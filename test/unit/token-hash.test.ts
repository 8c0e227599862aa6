/**
 * API tokens are stored as their SHA-256 (hex, of the UTF-8 bytes): a database written by
 * any earlier version must keep authenticating the same tokens, whichever hashing call
 * this Node version takes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/core/secretbox.js';

describe('hashToken', () => {
  it('is the hex SHA-256 of the token bytes, as tokens were always stored', () => {
    // The standard's known answer for "abc", then agreement with a Hash object.
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const t of ['', 'hb_0123456789abcdef0123456789abcdef', 'токен-ключ', 'x'.repeat(5000)]) {
      expect(hashToken(t)).toBe(createHash('sha256').update(t, 'utf8').digest('hex'));
    }
  });
});
