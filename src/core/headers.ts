/** HTTP header names and values as Hookbridge stores and checks them. Pure. */
import { encodeUriText } from './text.js';

/** An RFC 9110 header name (a `token`). As a string for JSON Schema `pattern`s: `HEADER_NAME.source`. */
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const isHeaderName = (name: string) => HEADER_NAME.test(name);

/** What an HTTP header value may not hold: anything but tab, visible ASCII, space and Latin-1 (Node and undici refuse the rest). */
const NOT_IN_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
export const isHeaderValue = (value: string) => !NOT_IN_HEADER_VALUE.test(value);
export const HEADER_VALUE_RULE = 'header values may hold only tab, ASCII and Latin-1 characters, no line breaks: percent-encode other text';

/**
 * Headers a webhook's `headers` or a template's may not set (lower case): the HTTP client
 * sets the framing and connection ones itself and refuses them (every attempt failed),
 * and it cannot send `Expect: 100-continue`.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);
export const reservedHeaderMessage = (name: string) => `${name} is set by Hookbridge and cannot be overridden`;

/**
 * A value made from event data, made sendable: line breaks and NUL folded to a space (they
 * would split the header), and text beyond Latin-1 (Cyrillic, emoji) percent-encoded as
 * UTF-8, as RFC 8187 does — rather than a request that cannot be sent at all.
 */
export const sendableHeaderValue = (value: string) =>
  value.replace(/[\r\n\0]+/g, ' ').replace(/[^\t\x20-\x7e\x80-\xff]+/g, encodeUriText);

/** One string per header: a repeated header's values joined with ", " (as Node joins them). */
export function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Header layers merged by name case-insensitively, a later layer's value (and spelling)
 * winning: `content-type` from a webhook's own headers and Hookbridge's `Content-Type` are
 * one header, never two on the wire.
 */
export function mergeHeaders(...layers: Record<string, string>[]): Record<string, string> {
  const out: Record<string, string> = {};
  const spelling = new Map<string, string>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      const lower = name.toLowerCase();
      const before = spelling.get(lower);
      if (before !== undefined && before !== name) delete out[before];
      spelling.set(lower, name);
      out[name] = value;
    }
  }
  return out;
}
