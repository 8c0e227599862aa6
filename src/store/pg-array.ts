/**
 * PostgreSQL array literals for the hot statements' `unnest($n::text[], …)` parameters,
 * built here instead of by node-postgres. Its array serialiser runs every element through
 * two regex replaces and a copy (ids and numbers too): 4.4 % of a PostgreSQL `all` process's
 * CPU in escapeElement alone, 6–7 % with its callers, under the throughput benchmark. Here
 * an element is quoted as is unless it holds `"` or `\`, which are escaped in one pass.
 * The literal goes out as one text parameter, encoded as node-postgres encodes any string.
 */
const SPECIAL = /["\\]/;
const SPECIAL_ALL = /["\\]/g;

export function pgArray(values: ReadonlyArray<string | number | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += String(v);
    else out += SPECIAL.test(v) ? `"${v.replace(SPECIAL_ALL, '\\$&')}"` : `"${v}"`;
  }
  return out + '}';
}
