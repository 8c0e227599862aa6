/**
 * Prefixed, time-sortable ids (`wh_…`, `dlv_…`): 10 chars of millisecond time in
 * Crockford base32, then 16 random chars. Sorting by id sorts by creation time,
 * which keeps "newest first" lists and logs readable.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** The core's prefixes; apps bring their own (two to four lowercase letters). */
export type IdPrefix = 'prj' | 'tok' | 'wh' | 'evt' | 'dlv' | 'att' | 'src' | 'req' | 'job' | (string & {});

// Random bytes are drawn 4 KiB at a time: one randomBytes call per id was a visible
// share of the delivery loop's CPU.
let pool = Buffer.alloc(0);
let poolOffset = 0;
/** `n` (≤ 4096) random bytes from the pool: for ids and names, where a syscall per call showed in profiles. */
export function pooledRandomBytes(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += n;
  return pool.subarray(poolOffset - n, poolOffset);
}

/** Per prefix, the last id's time (and its ten characters) and random digits: the next in the same millisecond counts on from them. */
const last = new Map<string, { time: number; timeText: string; rand: number[] }>();
/** The alphabet's character codes. */
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));

/**
 * Ids of one prefix made for one millisecond by this process sort in the order they were
 * made: the random part of the first is counted up by one for each next (as ULID's
 * monotonic mode does). A FIFO line breaks a tie in creation time by delivery id, so two
 * publishes answered one after the other within a millisecond keep their order. (Past
 * 32^16 ids in one millisecond the tail would start afresh: never reached.)
 * The time's characters are made once per millisecond and the random ones in one call:
 * a string per character was most of what an event's ids allocated.
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  let prev = last.get(prefix);
  if (!prev) last.set(prefix, (prev = { time: -1, timeText: '', rand: new Array<number>(16).fill(0) }));
  const r = prev.rand;
  let k = 15;
  if (now === prev.time) for (; k >= 0 && r[k] === 31; k--) r[k] = 0;
  if (now === prev.time && k >= 0) {
    r[k]!++;
  } else {
    const bytes = pooledRandomBytes(16);
    for (let i = 0; i < 16; i++) r[i] = bytes[i]! & 31;
    if (now !== prev.time) prev.timeText = timeChars(now);
    prev.time = now;
  }
  const c = CODES;
  const rand = String.fromCharCode(c[r[0]!]!, c[r[1]!]!, c[r[2]!]!, c[r[3]!]!, c[r[4]!]!, c[r[5]!]!, c[r[6]!]!, c[r[7]!]!,
    c[r[8]!]!, c[r[9]!]!, c[r[10]!]!, c[r[11]!]!, c[r[12]!]!, c[r[13]!]!, c[r[14]!]!, c[r[15]!]!);
  return `${prefix}_${prev.timeText}${rand}`;
}

/** A millisecond time as ten Crockford base32 characters, most significant first. */
function timeChars(now: number): string {
  const out = new Array<number>(10);
  let t = now;
  for (let i = 9; i >= 0; i--) {
    out[i] = CODES[t % 32]!;
    t = Math.floor(t / 32);
  }
  return String.fromCharCode(...out);
}

/** Random string over [A-Za-z0-9] of the given length (unbiased). */
export function randomAlnum(length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += chars[b % 62];
    }
  }
  return out;
}

/** A tag unique to one running instance (pid and random): endpoint-slot holders, NOTIFY senders. */
export const processTag = () => `${process.pid}.${randomBytes(4).toString('hex')}`;
