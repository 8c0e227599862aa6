/** `hookbridge serve`: API and/or worker in one process, with graceful shutdown. */
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Repos } from './store/index.js';
import { buildApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { ensureAdminToken, ensureDefaultProject, openRepos } from './bootstrap.js';
import { startWorker } from './delivery/index.js';
import { notifyDeliveries } from './delivery/notify.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  repos: Repos;
  /** The admin token when this start generated it (printed once). */
  generatedAdminToken?: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const { store, repos } = await openRepos(config, logger);
  const defaultProjectId = await ensureDefaultProject(repos);
  const generatedAdminToken = await ensureAdminToken(repos, config);
  const metrics = createMetrics();

  const worker = config.role === 'api' ? undefined : await startWorker(config, repos, metrics, logger);
  const pool = store.caps.notify ? store.pool : undefined;
  // Other processes' workers hear about new deliveries through NOTIFY (PostgreSQL only),
  // coalesced: one in flight at a time, plus one more if publishes came in meanwhile.
  let notifying = false;
  let notifyAgain = false;
  const notify = () => {
    if (!pool) return;
    if (notifying) {
      notifyAgain = true;
      return;
    }
    notifying = true;
    notifyDeliveries(pool)
      .catch((err) => logger.warn({ err }, 'NOTIFY failed'))
      .finally(() => {
        notifying = false;
        if (notifyAgain) {
          notifyAgain = false;
          notify();
        }
      });
  };
  const wake = () => {
    worker?.worker.wake();
    notify();
  };
  const app = await buildApp({ config, repos, metrics, defaultProjectId: () => defaultProjectId, wake }, logger);
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, role: config.role, database: store.caps.dialect }, 'hookbridge listening');

  let closed = false;
  return {
    url,
    app,
    repos,
    generatedAdminToken,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await worker?.stop();
      await store.close();
    },
  };
}
