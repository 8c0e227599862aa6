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

/** Per prefix, the last id's time and random digits: the next in the same millisecond counts on from them. */
const last = new Map<string, { time: number; rand: number[] }>();

/**
 * Ids of one prefix made for one millisecond by this process sort in the order they were
 * made: the random part of the first is counted up by one for each next (as ULID's
 * monotonic mode does). A FIFO line breaks a tie in creation time by delivery id, so two
 * publishes answered one after the other within a millisecond keep their order. (Past
 * 32^16 ids in one millisecond the tail would start afresh: never reached.)
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let prev = last.get(prefix);
  if (!prev) last.set(prefix, (prev = { time: -1, rand: new Array<number>(16).fill(0) }));
  const r = prev.rand;
  let k = 15;
  if (now === prev.time) for (; k >= 0 && r[k] === 31; k--) r[k] = 0;
  if (now === prev.time && k >= 0) {
    r[k]!++;
  } else {
    const bytes = pooledRandomBytes(16);
    for (let i = 0; i < 16; i++) r[i] = bytes[i]! & 31;
    prev.time = now;
  }
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[r[i]!];
  return `${prefix}_${time}${rand}`;
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
