/** HTTP header names and values as Hookbridge stores and checks them. Pure. */

/** An RFC 9110 header name (a `token`). As a string for JSON Schema `pattern`s: `HEADER_NAME.source`. */
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const isHeaderName = (name: string) => HEADER_NAME.test(name);

/** One string per header: a repeated header's values joined with ", " (as Node joins them). */
export function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
