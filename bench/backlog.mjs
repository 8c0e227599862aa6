/**
 * Writes a backlog of pending deliveries straight into a Hookbridge SQLite database,
 * fast (prepared inserts, big transactions), with exactly the rows the engine writes.
 *
 * The rows are not hand-written here: the caller publishes ONE template event through
 * Hookbridge's API (role api, so nothing is delivered) and records which tables grew and
 * from which rowid (`tableRows` before the publish). This module clones the rows that
 * publish added, in every table it touched, `count - 1` times: each id that is a
 * cloned row's `id` gets a fresh id of the same prefix (time part included), the
 * template's creation time (ms, and its ISO form inside the payload) becomes the clone's,
 * an integer `id` is left to SQLite, everything else is copied as is. So whatever rows, columns and tables the engine's
 * publish writes today, the backlog has the same — and the migrations' indexes stay as
 * they are, maintained by the inserts.
 *
 * Run as a child (`fork`) with BACKLOG_JOB={file, count, before} (JSON); answers over
 * IPC with {ok, result} or {ok: false, error}.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

/** Row count and largest rowid of every table (sqlite_* excluded). */
export function tableRows(file) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const out = {};
    for (const { name } of db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all()) {
      const r = db.prepare(`select count(*) as n, max(rowid) as maxRowid from "${name}"`).get();
      out[name] = { rows: r.n, maxRowid: r.maxRowid ?? 0 };
    }
    return out;
  } finally {
    db.close();
  }
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_RE = /^([a-z]{2,8})_[0-9a-hjkmnp-tv-z]{26}$/;
function idTime(t) {
  let s = '';
  for (let i = 0; i < 10; i++) {
    s = ALPHABET[t % 32] + s;
    t = Math.floor(t / 32);
  }
  return s;
}
let pool = Buffer.alloc(0);
let at = 0;
function rand16() {
  if (at + 16 > pool.length) {
    pool = randomBytes(65536);
    at = 0;
  }
  let s = '';
  for (let i = 0; i < 16; i++) s += ALPHABET[pool[at + i] & 31];
  at += 16;
  return s;
}

/**
 * A row builder per cloned column: constant, a remapped id, the clone's time, or a
 * string with template ids / the template ISO time inside (split once, joined per clone).
 */
function columnBuilder(value, templateIds, templateMs, templateIso) {
  if (typeof value === 'number' && value === templateMs) return (c) => c.ms;
  if (typeof value !== 'string') return () => value;
  if (templateIds.has(value)) {
    const k = templateIds.get(value);
    return (c) => c.ids[k];
  }
  const needles = [...templateIds.keys(), templateIso].filter((n) => value.includes(n));
  if (!needles.length) return () => value;
  // Split the string at every needle: parts[] and, between them, which value goes there.
  const parts = [];
  const slots = [];
  let rest = value;
  for (;;) {
    let best = -1;
    let needle;
    for (const n of needles) {
      const i = rest.indexOf(n);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
        needle = n;
      }
    }
    if (best < 0) break;
    parts.push(rest.slice(0, best));
    slots.push(needle === templateIso ? -1 : templateIds.get(needle));
    rest = rest.slice(best + needle.length);
  }
  parts.push(rest);
  return (c) => {
    let s = parts[0];
    for (let i = 0; i < slots.length; i++) s += (slots[i] < 0 ? c.iso : c.ids[slots[i]]) + parts[i + 1];
    return s;
  };
}

/**
 * Clones the rows the template publish added (`before`: tableRows() before it) until the
 * database holds `count` events' worth of them. Returns what was done and how long it took.
 */
export function loadBacklog({ file, count, before, batch = 20_000 }) {
  const started = performance.now();
  const db = new Database(file, { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // a load, not the engine: nothing is lost that a re-run would not redo
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -262144'); // 256 MiB of page cache keeps the index B-trees in memory
  try {
    const after = tableRows(file);
    const grown = Object.keys(after).filter((t) => after[t].rows > (before[t]?.rows ?? 0));
    if (!grown.includes('events')) throw new Error(`the template publish added no events row (tables grown: ${grown.join(', ') || 'none'})`);
    const template = {};
    for (const t of grown) {
      const rows = db.prepare(`select * from "${t}" where rowid > ?`).all(before[t]?.maxRowid ?? 0);
      template[t] = rows;
    }
    if (template.events.length !== 1) throw new Error(`expected one template event, found ${template.events.length}`);
    const ev = template.events[0];
    const templateMs = ev.created_at;
    if (typeof templateMs !== 'number') throw new Error('events.created_at is not a number of ms: bench/backlog.mjs needs to learn the new schema');
    const templateIso = new Date(templateMs).toISOString();
    // Ids to remap: the `id` of every added row (events, deliveries, and whatever else publish writes).
    const templateIds = new Map();
    const prefixes = [];
    for (const t of grown) {
      for (const r of template[t]) {
        if (r.id === undefined || typeof r.id === 'number') continue; // no id, or an integer key SQLite assigns
        const m = typeof r.id === 'string' ? ID_RE.exec(r.id) : null;
        if (!m) throw new Error(`${t}.id ${JSON.stringify(r.id)} is not a Hookbridge id: cannot clone`);
        templateIds.set(r.id, prefixes.length);
        prefixes.push(m[1]);
      }
    }
    const inserts = [];
    for (const t of grown) {
      for (const r of template[t]) {
        const cols = Object.keys(r).filter((c) => !(c === 'id' && typeof r.id === 'number'));
        const st = db.prepare(`insert into "${t}" (${cols.map((c) => `"${c}"`).join(', ')}) values (${cols.map(() => '?').join(', ')})`);
        const build = cols.map((c) => columnBuilder(r[c], templateIds, templateMs, templateIso));
        inserts.push({ st, build });
      }
    }
    const clones = count - 1;
    // The backlog was "published" over the last `clones` ms, oldest first, all due now.
    const base = Date.now() - clones - 1000;
    const ctx = { ms: 0, iso: '', ids: new Array(prefixes.length) };
    const args = inserts.map((x) => new Array(x.build.length));
    const insertRange = db.transaction((from, to) => {
      for (let i = from; i < to; i++) {
        ctx.ms = base + i;
        ctx.iso = new Date(ctx.ms).toISOString();
        const time = idTime(ctx.ms);
        for (let k = 0; k < prefixes.length; k++) ctx.ids[k] = `${prefixes[k]}_${time}${rand16()}`;
        for (let j = 0; j < inserts.length; j++) {
          const { st, build } = inserts[j];
          const a = args[j];
          for (let c = 0; c < build.length; c++) a[c] = build[c](ctx);
          st.run(a);
        }
      }
    });
    for (let i = 0; i < clones; i += batch) insertRange(i, Math.min(clones, i + batch));
    const insertedMs = performance.now() - started;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const counts = tableRows(file);
    return {
      count,
      tables: Object.fromEntries(grown.map((t) => [t, { perEvent: template[t].length, rows: counts[t].rows }])),
      insertSeconds: Math.round(insertedMs) / 1000,
      totalSeconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    db.close();
  }
}

if (process.send && process.env.BACKLOG_JOB) {
  try {
    const result = loadBacklog(JSON.parse(process.env.BACKLOG_JOB));
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
  }
}
