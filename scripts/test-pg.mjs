#!/usr/bin/env node
/**
 * `npm run test:pg`: the whole suite on PostgreSQL.
 *
 * Probes HOOKBRIDGE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test) with a
 * 3 s connect timeout. Reachable: runs `npx vitest run` with DATABASE_URL set to it (each
 * test file then works in its own schema) and exits with vitest's code. Unreachable: with
 * CI=true exits 1; otherwise says the suite was skipped and why, and exits 0.
 * Extra arguments go to vitest (`npm run test:pg -- test/api`).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';

const url = process.env.HOOKBRIDGE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const shownUrl = url.replace(/\/\/[^@]*@/, '//');
const ci = process.env.CI === 'true';

/** Undefined when PostgreSQL answers `select 1`, else why not. */
async function probe() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {
    /* a late socket error after a failed connect; the rejection below already says why */
  });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return `${shownUrl} is not reachable (${[err?.code, err?.message].filter(Boolean).join(': ') || String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reason = await probe();
if (reason) {
  if (ci) {
    console.error(`PostgreSQL suite cannot run and CI=true requires it: ${reason}`);
    process.exit(1);
  }
  console.log(`PostgreSQL suite skipped: ${reason}`);
  process.exit(0);
}

console.log(`Running the suite on PostgreSQL at ${shownUrl}`);
const child = spawn('npx', ['vitest', 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, DATABASE_URL: url },
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('error', (err) => {
  console.error(`could not start vitest: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
