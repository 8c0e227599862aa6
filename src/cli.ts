#!/usr/bin/env node
/** The `hookbridge` command. `.env` is read when present; flags override the environment. */
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import dotenv from 'dotenv';
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { registerTools } from './cli-tools.js';
import { registerBench } from './cli-bench.js';
import { tuneHeap } from './heap.js';

// The server and the store are imported inside each command, after the configuration
// checked out: a bad value (or `--help`) answers at once, without loading them.

if (fs.existsSync('.env')) dotenv.config({ quiet: true } as dotenv.DotenvConfigOptions);

function config(overrides: Record<string, string | undefined> = {}) {
  try {
    return loadConfig({ ...process.env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** Commands that open the database say which one, on stderr (stdout stays theirs: a token, a banner). */
async function announceDatabase(databaseUrl: string): Promise<void> {
  const { describeDatabase } = await import('./bootstrap.js');
  console.error(`hookbridge: using ${describeDatabase(databaseUrl)}`);
}

const program = new Command('hookbridge').description('Self-hosted webhook gateway').version('0.1.0');

program
  .command('serve')
  .description('run the API and the delivery worker (HOOKBRIDGE_ROLE picks which)')
  .option('-p, --port <port>', 'listen port (PORT)')
  .option('-H, --host <host>', 'listen address (HOST)')
  .option('-d, --database <url>', 'database URL (DATABASE_URL)')
  .option('-r, --role <role>', 'api, worker or all (HOOKBRIDGE_ROLE)')
  .action(async (opts) => {
    const cfg = config({ PORT: opts.port, HOST: opts.host, DATABASE_URL: opts.database, HOOKBRIDGE_ROLE: opts.role });
    tuneHeap();
    const logger = pino({ level: cfg.logLevel });
    await announceDatabase(cfg.databaseUrl);
    const { startServer } = await import('./server.js');
    const server = await startServer(cfg, logger);
    if (server.generatedAdminToken) {
      // Once, on stderr, outside the JSON log stream on stdout (log shippers never see it).
      process.stderr.write(
        `\n  Admin token (shown once, stored hashed — keep it now):\n\n    ${server.generatedAdminToken}\n\n` +
          `  Try: curl -H "Authorization: Bearer <the token>" ${server.url}/v1/webhooks\n\n` +
          `  Dashboard: ${server.url}/ (sign in with this token)\n\n`,
      );
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      const started = Date.now();
      logger.info({ signal }, 'shutting down: finishing in-flight deliveries and jobs');
      await server.close();
      logger.info({ signal, ms: Date.now() - started }, 'stopped');
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    // Under `npm start`, a SIGTERM sent to npm ends npm without passing the signal on; this
    // process is then re-parented. Treat that like a SIGTERM rather than run on unsupervised.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void stop('parent exited');
    }, 500).unref();
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .option('-d, --database <url>', 'database URL (DATABASE_URL)')
  .action(async (opts) => {
    const cfg = config({ DATABASE_URL: opts.database });
    await announceDatabase(cfg.databaseUrl);
    const { openRepos } = await import('./bootstrap.js');
    const { store } = await openRepos(cfg, pino({ level: cfg.logLevel }));
    await store.close();
    console.log('migrations up to date');
  });

/** A token's label, by the API's rule (1–200 characters, kept trimmed), and never only spaces: it names the token in every list. */
function tokenName(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('A token name must not be empty or only spaces.');
  if (value.length > 200) throw new InvalidArgumentError('A token name is at most 200 characters.');
  return value.trim();
}

const token = program.command('token').description('manage API tokens');
token
  .command('create')
  .description('issue a token for a project and print it once')
  .requiredOption('--project <id>', 'project id (prj_…), or "default"')
  .option('--name <name>', 'a label for the token (1–200 characters)', tokenName, 'cli')
  .option('-d, --database <url>', 'database URL (DATABASE_URL)')
  .action(async (opts) => {
    const cfg = config({ DATABASE_URL: opts.database });
    const { ensureDefaultProject, notAnExistingDatabase, openRepos } = await import('./bootstrap.js');
    const problem = await notAnExistingDatabase(cfg.databaseUrl);
    if (problem) {
      console.error(problem);
      process.exitCode = 1;
      return;
    }
    await announceDatabase(cfg.databaseUrl);
    const { store, repos } = await openRepos(cfg, pino({ level: 'warn' }));
    try {
      const projectId = opts.project === 'default' ? await ensureDefaultProject(repos) : opts.project;
      if (!(await repos.projects.get(projectId))) {
        console.error(`project ${projectId} not found`);
        process.exitCode = 1;
        return;
      }
      const { token: plain, info } = await repos.tokens.create({ projectId, name: opts.name });
      console.log(plain);
      console.error(`token ${info.id} for project ${projectId} (shown once)`);
    } finally {
      await store.close();
    }
  });

registerTools(program);
registerBench(program);

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
