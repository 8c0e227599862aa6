/**
 * Once per run: say which database the suite uses, and build dist/ (incremental tsc),
 * which the tests that spawn `node dist/cli.js` need. Building here, not in those
 * tests, keeps two builds from writing dist/ at the same time.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup() {
  const url = process.env.DATABASE_URL;
  const which = url?.startsWith('postgres') ? `PostgreSQL (${url.replace(/\/\/[^@]*@/, '//')})` : 'SQLite (a fresh file per test file)';
  console.log(`\n[hookbridge tests] database: ${which}\n`);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`building dist/ for the tests failed:\n${r.stdout}\n${r.stderr}`);
}
