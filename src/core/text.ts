/** Text as the databases can store it. Pure. */

/**
 * NUL as U+FFFD: PostgreSQL keeps no NUL in text, and SQLite stores what PostgreSQL does.
 * For text that must be kept whatever it holds (a response body, a webhook as received);
 * text a user chose is refused instead (http/no-nul.ts, the meetings request).
 */
export function withoutNul(s: string): string;
export function withoutNul(s: string | null): string | null;
export function withoutNul(s: string | null): string | null {
  return s !== null && s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `encodeURIComponent` for text from event data, which JSON lets hold a lone surrogate
 * (`"\ud800"`): encoded as U+FFFD, as UTF-8 encoding does everywhere else, since
 * `encodeURIComponent` throws URIError on it.
 */
export function encodeUriText(s: string): string {
  return encodeURIComponent(s.replace(LONE_SURROGATE, '\ufffd'));
}
