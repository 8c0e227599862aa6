/** Text as the databases can store it. Pure. */

/** ES2024's well-formed string methods (Node 20 has them; the TypeScript lib here is ES2022). */
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Text with each lone surrogate (which JSON lets a string hold: `"\ud800"`) as U+FFFD, as
 * UTF-8 encoding does everywhere else. Where it is left in, SQLite keeps it as three bytes
 * that read back as three U+FFFD, PostgreSQL as one, and `encodeURIComponent` throws.
 */
export function wellFormed(s: string): string;
export function wellFormed(s: string | null): string | null;
export function wellFormed(s: string | null): string | null {
  return s === null || (s as WellFormedString).isWellFormed() ? s : (s as WellFormedString).toWellFormed();
}

/**
 * Text as both databases store it and give it back unchanged: NUL as U+FFFD (PostgreSQL
 * keeps no NUL in text) and each lone surrogate as U+FFFD (see wellFormed). For text that
 * must be kept whatever it holds (a response body, a request as sent, a webhook as
 * received); text a user chose is refused instead (http/no-nul.ts, the meetings request).
 */
export function storable(s: string): string;
export function storable(s: string | null): string | null;
export function storable(s: string | null): string | null {
  return wellFormed(s !== null && s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s);
}

/** `encodeURIComponent` for text from event data: a lone surrogate is encoded as U+FFFD (`encodeURIComponent` throws URIError on it). */
export function encodeUriText(s: string): string {
  return encodeURIComponent(wellFormed(s));
}
