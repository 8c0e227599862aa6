/**
 * How deeply a JSON text nests. V8 parses any depth, but `JSON.stringify` recurses and
 * overflows the stack somewhere past a few thousand levels — which is how a body such as
 * `[[[[…]]]]` 20,000 deep used to become a 500 when the event was stored. Bodies are
 * checked before they are parsed; real payloads nest a few levels.
 */
export const MAX_JSON_DEPTH = 512;

/** True when `text` opens more than `max` arrays/objects inside one another (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  // Each level takes a character: a text this short cannot nest deeper (most bodies).
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
