/**
 * Array parameters in PostgreSQL's binary format, for the hot statements' `unnest($n::text[])`
 * columns. node-postgres sends a JS array as an array literal it builds element by element,
 * escaping every quote and backslash of every string with two regular expressions; for the
 * JSON payloads and headers of a publish or result batch that was about 3 % of the
 * process's CPU under load, and the server then parsed those literals back. A Buffer
 * parameter goes out as it is, in binary format (pg's serializer marks it so), and the
 * server reads it with `array_recv`: lengths and bytes, nothing to escape or unescape.
 *
 * The statement must cast the parameter (`$1::text[]`, `::bigint[]`, `::int[]`): the
 * server takes the parameter's type from the cast, and that type's element OID must match
 * the one written here.
 *
 * Binary array layout: ndim, has-nulls flag, element type OID, then per dimension its
 * length and lower bound (1), then per element its byte length (-1: NULL) and bytes. All
 * integers big-endian.
 */

const TEXT_OID = 25;
const INT8_OID = 20;
const INT4_OID = 23;
const TWO_32 = 2 ** 32;

function header(buf: Buffer, oid: number, count: number, hasNull: boolean): number {
  if (count === 0) {
    // An empty array has no dimensions.
    buf.writeInt32BE(0, 0);
    buf.writeInt32BE(0, 4);
    buf.writeInt32BE(oid, 8);
    return 12;
  }
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNull ? 1 : 0, 4);
  buf.writeInt32BE(oid, 8);
  buf.writeInt32BE(count, 12);
  buf.writeInt32BE(1, 16);
  return 20;
}

/** A `text[]` parameter. */
export function textArray(values: readonly (string | null | undefined)[]): Buffer {
  return (values.length && asciiArray(values)) || utf8Array(values);
}

/** Room for the array's header (20 bytes), filled in by `header`. */
const HEADER_ROOM = '\0'.repeat(20);
/** Four bytes, big-endian, as four Latin-1 characters (a value's length word). */
const int32Chars = (n: number) => String.fromCharCode((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);

/**
 * The usual case, every value ASCII (ids, types, JSON that escapes nothing beyond it): each
 * character is one byte, so the whole array, header and length words included, is built as
 * one Latin-1 string and encoded in one call. A call into the encoder per value cost more
 * than encoding the value: half of the time this array took, for batches of short strings.
 * undefined: some value is not ASCII.
 */
function asciiArray(values: readonly (string | null | undefined)[]): Buffer | undefined {
  let text = '';
  for (const v of values) if (v) text += v;
  if (Buffer.byteLength(text, 'utf8') !== text.length) return undefined;
  let hasNull = false;
  let body = '';
  for (const v of values) {
    if (v == null) hasNull = true;
    body += v == null ? int32Chars(-1) : int32Chars(v.length) + v;
  }
  const buf = Buffer.from(HEADER_ROOM + body, 'latin1');
  header(buf, TEXT_OID, values.length, hasNull);
  return buf;
}

/** Any text: each value's UTF-8 length, then its bytes. */
function utf8Array(values: readonly (string | null | undefined)[]): Buffer {
  const lengths = new Array<number>(values.length);
  let size = 20;
  let hasNull = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) {
      lengths[i] = -1;
      hasNull = true;
      size += 4;
    } else {
      const n = Buffer.byteLength(v, 'utf8');
      lengths[i] = n;
      size += 4 + n;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let at = header(buf, TEXT_OID, values.length, hasNull);
  for (let i = 0; i < values.length; i++) {
    const n = lengths[i]!;
    buf.writeInt32BE(n, at);
    at += 4;
    if (n > 0) at += buf.write(values[i]!, at, n, 'utf8');
  }
  return buf.subarray(0, at);
}

/** An array of fixed-width integers: each element its width and its big-endian bytes. */
function integerArray(values: readonly (number | null | undefined)[], oid: number, width: 4 | 8, fits: (v: number) => boolean, sqlType: string): Buffer {
  const hasNull = values.some((v) => v == null);
  const buf = Buffer.allocUnsafe(20 + values.length * (4 + width));
  let at = header(buf, oid, values.length, hasNull);
  for (const v of values) {
    if (v == null) {
      buf.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    if (!fits(v)) throw new TypeError(`${v} does not fit a ${sqlType} parameter`);
    buf.writeInt32BE(width, at);
    if (width === 4) buf.writeInt32BE(v, at + 4);
    else {
      const high = Math.floor(v / TWO_32);
      buf.writeInt32BE(high, at + 4);
      buf.writeUInt32BE(v - high * TWO_32, at + 8);
    }
    at += 4 + width;
  }
  return buf.subarray(0, at);
}

/** A `bigint[]` parameter from safe integers (times in milliseconds). */
export const int8Array = (values: readonly (number | null | undefined)[]): Buffer => integerArray(values, INT8_OID, 8, Number.isSafeInteger, 'bigint[] (safe integers)');

/** An `int[]` parameter (32-bit integers). */
export const int4Array = (values: readonly (number | null | undefined)[]): Buffer =>
  integerArray(values, INT4_OID, 4, (v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31, 'int[]');
