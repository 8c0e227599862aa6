/**
 * Benchmark receiver, run as a child process (`fork`) so its CPU is not the load
 * generator's. A plain node:http server: every POST is answered `200 OK` at once, and
 * the envelope's `id` is recorded with its receive time
 * (`performance.timeOrigin + performance.now()`, comparable across processes).
 *
 *   GET  /__stats  → {requests, recorded, unique, duplicates, badBodies, first, last}
 *   GET  /__times  → {id: receiveTimeMs, …} for every recorded id (first receipt)
 *   GET  /__window?from=T0&to=T1 → {unique, first, last}: ids first received in [T0, T1)
 *        (same clock as the parent's `now()`), and the first/last such receipt time
 *   POST /__reset  → clears everything
 *
 * The listening port is sent to the parent over IPC: {type: 'ready', port}.
 */
import http from 'node:http';

/** Ids kept at most; beyond this requests are still counted, not recorded. */
const MAX_IDS = 2_000_000;
const now = () => performance.timeOrigin + performance.now();

let s;
function reset() {
  s = { requests: 0, recorded: 0, duplicates: 0, badBodies: 0, first: null, last: null, times: new Map() };
}
reset();

function record(t, body) {
  let id;
  try {
    id = JSON.parse(body).id;
  } catch {
    s.badBodies++;
    return;
  }
  if (typeof id !== 'string') {
    s.badBodies++;
    return;
  }
  s.recorded++;
  if (s.first === null || t < s.first) s.first = t;
  if (s.last === null || t > s.last) s.last = t;
  if (s.times.has(id)) s.duplicates++;
  else if (s.times.size < MAX_IDS) s.times.set(id, t);
}

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const t = now();
  if (req.url === '/__stats' && req.method === 'GET') {
    const { times, ...rest } = s;
    return json(res, { ...rest, unique: times.size });
  }
  if (req.url === '/__times' && req.method === 'GET') return json(res, Object.fromEntries(s.times));
  if (req.url.startsWith('/__window?') && req.method === 'GET') {
    const q = new URLSearchParams(req.url.slice('/__window?'.length));
    const from = Number(q.get('from') ?? -Infinity);
    const to = Number(q.get('to') ?? Infinity);
    let unique = 0;
    let first = null;
    let last = null;
    for (const at of s.times.values()) {
      if (at < from || at >= to) continue;
      unique++;
      if (first === null || at < first) first = at;
      if (last === null || at > last) last = at;
    }
    return json(res, { unique, first, last });
  }
  if (req.url === '/__reset' && req.method === 'POST') {
    reset();
    req.resume();
    return json(res, { ok: true });
  }
  s.requests++;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    record(t, Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('OK');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: server.address().port }));
// The parent going away (even by kill -9) closes the IPC channel: do not outlive it.
process.on('disconnect', () => process.exit(0));
