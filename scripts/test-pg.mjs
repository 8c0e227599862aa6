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
import { DEFAULT_PG_URL, probePostgres, shown } from './pg-probe.mjs';

const url = process.env.HOOKBRIDGE_TEST_PG_URL || DEFAULT_PG_URL;
const shownUrl = shown(url);
const ci = process.env.CI === 'true';


const reason = await probePostgres(url);
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
