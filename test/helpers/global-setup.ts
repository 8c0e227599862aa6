/**
 * Once per run: say which database the suite uses, and build dist/ (incremental tsc),
 * which the tests that spawn `node dist/cli.js` need. Building here, not in those
 * tests, keeps two builds from writing dist/ at the same time. On PostgreSQL, also
 * vacuum the system catalogs.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vacuumCatalogs } from '../../scripts/vacuum-catalogs.mjs';

export default async function setup() {
  const url = process.env.DATABASE_URL;
  const onPostgres = url?.startsWith('postgres');
  const which = onPostgres ? `PostgreSQL (${url!.replace(/\/\/[^@]*@/, '//')})` : 'SQLite (a fresh file per test file)';
  console.log(`\n[hookbridge tests] database: ${which}\n`);
  // Every test file works in a schema of its own, made and dropped: see scripts/vacuum-catalogs.mjs.
  if (onPostgres) console.log(`[hookbridge tests] ${await vacuumCatalogs(url!)}`);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`building dist/ for the tests failed:\n${r.stdout}\n${r.stderr}`);
}
