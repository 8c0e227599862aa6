import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/core/json-depth.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('nestsDeeperThan', () => {
  it('allows exactly the limit and refuses one level more, however the text is padded', () => {
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    // Unclosed: the text is only one character longer than the limit.
    expect(nestsDeeperThan('['.repeat(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(nestsDeeperThan(`{"a":${nested(MAX_JSON_DEPTH + 1)}}`)).toBe(true);
    expect(nestsDeeperThan(`${' '.repeat(5000)}${nested(3)}`)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const inString = JSON.stringify({ s: `\\"${'['.repeat(MAX_JSON_DEPTH + 10)}` });
    expect(inString.length).toBeGreaterThan(MAX_JSON_DEPTH);
    expect(nestsDeeperThan(inString)).toBe(false);
  });

  it('takes a smaller limit: a short text is checked against it too', () => {
    expect(nestsDeeperThan(nested(3), 2)).toBe(true);
    expect(nestsDeeperThan(nested(2), 2)).toBe(false);
  });
});
