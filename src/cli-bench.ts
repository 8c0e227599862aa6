/**
 * `hookbridge bench`: the benchmark (bench/run.mjs) from the command line. It measures the
 * build the command runs from (dist/), against the baselines it starts itself, and needs a
 * checkout with its dev dependencies (`npm install`): the load generator, the
 * graphile-worker baseline and the PostgreSQL client are dev dependencies.
 * `npm run bench` is the same with a build first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

const BENCH_SECTIONS = ['raw', 'throughput', 'accept', 'meetings', 'backlog', 'workers'] as const;
const DATABASES = ['sqlite', 'postgres'] as const;

/** A comma list whose every item is one of `allowed`. */
function listOf(flag: string, value: string, allowed: readonly string[]): string {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s));
  if (!items.length || bad.length) throw new Error(`${flag} ${JSON.stringify(value)}: expected a comma list of ${allowed.join(', ')}`);
  return items.join(',');
}

function positive(flag: string, value: string): string {
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new Error(`${flag} ${JSON.stringify(value)}: expected a whole number ≥ 1`);
  return value;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure throughput, publish latency, the meetings webhook and a large backlog against baselines; prints a table, writes JSON (run from a checkout with dev dependencies)')
    .option('--only <sections>', `sections to run, comma-separated: ${BENCH_SECTIONS.join(', ')} (all)`)
    .option('--databases <list>', 'sqlite, postgres (both; PostgreSQL from DATABASE_URL, skipped when unreachable)')
    .option('--rounds <n>', 'interleaved rounds per system; each figure is the median round (3)')
    .option('--seconds <n>', 'throughput window, seconds (10)')
    .option('--out <dir>', 'where the JSON goes (bench/results)')
    .action(async (opts) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (opts.only !== undefined) env.BENCH_ONLY = listOf('--only', opts.only, BENCH_SECTIONS);
      if (opts.databases !== undefined) env.BENCH_DATABASES = listOf('--databases', opts.databases, DATABASES);
      if (opts.rounds !== undefined) env.BENCH_ROUNDS = positive('--rounds', opts.rounds);
      if (opts.seconds !== undefined) env.BENCH_SECONDS = positive('--seconds', opts.seconds);
      if (opts.out !== undefined) env.BENCH_RESULTS_DIR = path.resolve(opts.out);

      const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
      const script = path.join(root, 'bench', 'run.mjs');
      if (!fs.existsSync(script)) throw new Error(`hookbridge bench runs from a checkout of the source: ${path.relative(process.cwd(), script) || script} is not in this install`);
      try {
        createRequire(script).resolve('autocannon');
      } catch {
        throw new Error(`hookbridge bench needs the dev dependencies: run npm install in ${root}`);
      }
      const child = spawn(process.execPath, [script], { cwd: root, env, stdio: 'inherit' });
      const stop = (signal: NodeJS.Signals) => child.kill(signal);
      process.on('SIGINT', stop).on('SIGTERM', stop);
      process.exitCode = await new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
    });
}
