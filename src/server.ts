/** `hookbridge serve`: the composition root. API and/or worker in one process, with graceful shutdown. */
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { AppContext, RouteModule } from './context.js';
import type { Repos } from './store/index.js';
import { buildApp } from './http/app.js';
import { createMetrics, registerQueueGauges } from './metrics.js';
import { appMigrations, ensureAdminToken, ensureDefaultProject, openRepos } from './bootstrap.js';
import { startWorker } from './delivery/index.js';
import { notifyDeliveries } from './delivery/notify.js';
import { processTag } from './ids.js';
import { createPublisher } from './delivery/publisher.js';
import { createJobQueue, type JobKind } from './delivery/jobs.js';
import { publish } from './inbound/publish.js';
import { envReader } from './core/env.js';
import { BUILTIN_APPS } from './apps/index.js';
import type { AppInstance, BuiltinApp } from './apps/app.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  repos: Repos;
  /** What routes, actions and apps are handed (tests call actions through it). */
  ctx: AppContext;
  /** The admin token when this start generated it (printed once). */
  generatedAdminToken?: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Apps beyond the built-in ones (embedders, tests); configured from an empty environment. */
  apps?: BuiltinApp<any>[];
}

export async function startServer(config: Config, logger: Logger = pino({ level: config.logLevel }), opts: ServerOptions = {}): Promise<RunningServer> {
  const apps = [...BUILTIN_APPS, ...(opts.apps ?? [])];
  const { store, repos } = await openRepos(config, logger, apps);
  const defaultProjectId = await ensureDefaultProject(repos);
  const generatedAdminToken = await ensureAdminToken(repos, config);
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  let app: FastifyInstance | undefined;
  /** Apps whose start() was called: a start that fails stops them, newest first. */
  const started: AppInstance[] = [];
  try {
    return await launch();
  } catch (err) {
    // The caller prints a generated admin token only once this start succeeds: a start that
    // fails after making one (the port taken, an app that cannot start) takes it back, so
    // the next start makes one and prints it, instead of leaving a database nobody can sign in to.
    for (const inst of started.reverse()) await inst.stop?.().catch((e: unknown) => logger.error({ err: e }, 'an app did not stop after a failed start'));
    await app?.close().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    if (generatedAdminToken) {
      const row = await repos.tokens.findByToken(generatedAdminToken).catch(() => undefined);
      if (row) await repos.tokens.delete(row.id).catch((e: unknown) => logger.error({ err: e }, 'could not remove the admin token of a failed start'));
    }
    await store.close().catch(() => undefined);
    throw err;
  }

  async function launch(): Promise<RunningServer> {
    const metrics = createMetrics();
    registerQueueGauges(metrics, (now) => repos.deliveryStats.queueStats(now));
    const runsWorker = config.role !== 'api';

    const notifyTag = processTag();
    const notify = coalescedNotify(store.caps.notify ? store.pool : undefined, notifyTag, logger);
    const wake = () => {
      worker?.worker.wake();
      notify();
    };
    const wakeJobs = () => {
      worker?.jobs.wake();
      notify();
    };
    const publisher = createPublisher(repos.events, () => metrics.eventsPublished.inc(), wake, () => worker?.worker);
    const ctx: AppContext = {
      config,
      repos,
      metrics,
      logger,
      defaultProjectId: () => defaultProjectId,
      wake,
      publisher,
      jobs: createJobQueue(repos.jobs, wakeJobs, { maxAttempts: config.jobMaxAttempts }),
      actions: new Map([['publish', publish]]),
      reservedPaths: new Map(),
      migrations: appMigrations(apps),
    };

    // Each enabled app adds its routes, actions, job kinds and paths.
    const instances: AppInstance[] = [];
    const jobKinds = new Map<string, JobKind>();
    const root: RouteModule[] = [];
    const v1: RouteModule[] = [];
    for (const app of apps) {
      const settings = app.name in config.apps ? config.apps[app.name] : BUILTIN_APPS.includes(app) ? undefined : app.config(envReader({}));
      if (settings === undefined) continue;
      const inst = await app.create(ctx, settings);
      instances.push(inst);
      if (inst.root) root.push(inst.root);
      if (inst.v1) v1.push(inst.v1);
      for (const [type, spec] of Object.entries(inst.actions ?? {})) ctx.actions.set(type, spec);
      for (const [kind, spec] of Object.entries(inst.jobs ?? {})) jobKinds.set(kind, spec);
      for (const [path, owner] of Object.entries(inst.paths ?? {})) ctx.reservedPaths.set(path, owner);
    }

    if (runsWorker) worker = await startWorker({ config, repos, metrics, logger, publisher, jobKinds, notifyTag });
    const http = (app = await buildApp(ctx, logger, { root, v1 }));
    // Fastify writes the one "listening" line; ours carries the role and the database.
    await http.listen({ port: config.port, host: config.host, listenTextResolver: (address) => `hookbridge listening at ${address} (role ${config.role}, ${store.caps.dialect})` });
    const addr = http.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    for (const inst of instances) {
      started.push(inst); // one that fails half-way is stopped too
      await inst.start?.({ runsWorker });
    }

    let closed = false;
    return {
      url,
      app: http,
      repos,
      ctx,
      generatedAdminToken,
      async close() {
        if (closed) return;
        closed = true;
        for (const inst of instances) await inst.stop?.();
        await http.close();
        await worker?.stop();
        await store.close();
      },
    };
  }
}

/**
 * Other processes' workers hear about new work through NOTIFY (PostgreSQL only),
 * coalesced: at most one per NOTIFY_GAP_MS, the last one after the last publish. Under
 * load that is a NOTIFY per 10 ms instead of one per commit (each a round trip, and a
 * wake-up of every listening worker); a worker hears about new work at most that late.
 */
const NOTIFY_GAP_MS = 10;
function coalescedNotify(pool: Parameters<typeof notifyDeliveries>[0] | undefined, tag: string, logger: Logger) {
  let busy = false;
  let again = false;
  const notify = () => {
    if (!pool) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    notifyDeliveries(pool, tag)
      .catch((err) => logger.warn({ err }, 'NOTIFY failed'))
      .finally(() =>
        setTimeout(() => {
          busy = false;
          if (again) {
            again = false;
            notify();
          }
        }, NOTIFY_GAP_MS).unref(),
      );
  };
  return notify;
}
