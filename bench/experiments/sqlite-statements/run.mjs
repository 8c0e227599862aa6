/**
 * What Hookbridge's SQLite statements cost per event, alone: no HTTP, no event loop. A
 * fresh file migrated by the current build (dist/), one project and one webhook, then the
 * statements one delivered event makes (the event and its delivery inserted, later an
 * attempt inserted and the delivery marked delivered), 8 publishes and 8 results per
 * transaction, as the writer's group commit shares them under load. Prints µs of wall
 * time and CPU (and the system part: the WAL's pwrite calls) per event, for each variant.
 *
 *   npm run build && node bench/experiments/sqlite-statements/run.mjs [events=100000] [variant …]
 *
 * Variants (`+` joins them): base, cache<MiB> (page cache), drop:<index> (one index left
 * out, e.g. drop:deliveries_project_idx). Each variant runs in its own fresh file; run the
 * list twice and read the pairs, the machine drifts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openStore } from '../../../dist/store/db.js';
import { migrateStore } from '../../../dist/store/migrate.js';
import { EVENT_STATEMENTS } from '../../../dist/store/queue-sqlite.js';

const [eventsArg, ...variantArgs] = process.argv.slice(2);
const events = Number(eventsArg ?? 100_000);
const variants = variantArgs.length
  ? variantArgs
  : ['base', 'drop:deliveries_project_idx', 'drop:deliveries_event_idx', 'drop:attempts_webhook_idx', 'drop:deliveries_webhook_idx', 'cache16'];
const PER_TX = 8;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-sqlite-statements-'));
const template = path.join(dir, 'template.db');
const store = await openStore({ databaseUrl: `sqlite:${template}` });
await migrateStore(store);
await store.close();

const payload = JSON.stringify({ type: 'order.created', data: { id: 12345, amount: 99.5, customer: 'someone@example.com', items: [1, 2, 3] } });
const requestHeaders = JSON.stringify({
  'content-type': 'application/json',
  'user-agent': 'Hookbridge/1.0',
  'webhook-id': 'msg_01HXXXXXXXXXXXXXXXXXXXXX',
  'webhook-timestamp': '1700000000',
  'webhook-signature': `v1,${'A'.repeat(44)}`,
});
const responseHeaders = JSON.stringify({ 'content-type': 'text/plain', date: new Date().toUTCString(), connection: 'keep-alive', 'keep-alive': 'timeout=5', 'content-length': '2' });

function run(variant) {
  const file = path.join(dir, `${variant.replace(/[^a-z0-9]+/gi, '_')}.db`);
  fs.copyFileSync(template, file);
  const db = new SQLite(file);
  // As the server opens it (store/db.ts); checkpoints left to the end, as its checkpoint thread would run them elsewhere.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -4096');
  db.pragma('wal_autocheckpoint = 0');
  for (const part of variant.split('+')) {
    if (part.startsWith('drop:')) db.exec(`drop index ${part.slice(5)}`);
    else if (part.startsWith('cache')) db.pragma(`cache_size = -${1024 * Number(part.slice(5))}`);
    else if (part !== 'base') throw new Error(`unknown variant part: ${part}`);
  }
  db.prepare("insert into projects (id, name, header_prefix, user_agent, created_at, updated_at) values ('prj_1', 'p', 'X', 'ua', 0, 0)").run();
  db.prepare(
    `insert into webhooks (id, project_id, name, description, url, events, secret_enc, active, retry_policy, signature, headers, timeout_ms, max_concurrency, spaces, channels, created_at, updated_at)
     values ('wh_1', 'prj_1', 'w', '', 'http://127.0.0.1:9/hook', '["*"]', 's', 1, '{}', 'standard', '{}', 1000, 10, '[]', '[]', 0, 0)`,
  ).run();
  // The server's own statements (store/queue-sqlite.ts).
  const insertEvent = db.prepare(EVENT_STATEMENTS.insertEvent);
  const insertDelivery = db.prepare(EVENT_STATEMENTS.insertDelivery);
  const insertAttempt = db.prepare(EVENT_STATEMENTS.insertAttempt);
  const updateDelivery = db.prepare(EVENT_STATEMENTS.updateDelivery);
  let seq = 0;
  const start = Date.now();
  const id = (prefix) => `${prefix}_${(start + seq).toString(36)}${(seq++).toString(36).padStart(10, '0')}`;
  const pending = [];
  const tx = db.transaction((publishes, results) => {
    for (let i = 0; i < publishes; i++) {
      const t = Date.now();
      const eventId = id('evt');
      const deliveryId = id('dlv');
      insertEvent.run('prj_1', eventId, 'order.created', payload, null, '[]', null, t, 0);
      insertDelivery.run(deliveryId, 'prj_1', eventId, 'order.created', 'wh_1', 0, t + 30_000, t + 30_000, t, t);
      pending.push(deliveryId);
    }
    for (let i = 0; i < results; i++) {
      const deliveryId = pending.shift();
      const t = Date.now();
      insertAttempt.run(id('att'), deliveryId, 'prj_1', 'wh_1', 1, 'delivered', 'http://127.0.0.1:9/hook', 'POST', requestHeaders, null, 200, responseHeaders, 'ok', 2, null, null, null, t);
      updateDelivery.run('delivered', 1, t, 200, null, null, 2, 'ok', t, t, deliveryId);
    }
  });
  for (let i = 0; i < 200; i++) tx.immediate(PER_TX, i > 2 ? PER_TX : 0); // warm-up
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events / PER_TX; i++) tx.immediate(PER_TX, PER_TX);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  db.close();
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  return { variant, events, wallUsPerEvent: +(wallUs / events).toFixed(2), cpuUsPerEvent: +((cpu.user + cpu.system) / events).toFixed(2), systemUsPerEvent: +(cpu.system / events).toFixed(2) };
}

try {
  for (const v of variants) console.log(JSON.stringify(run(v)));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
