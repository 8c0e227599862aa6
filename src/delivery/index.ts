/** Assembles the worker role: the delivery loop and the app-job loop, from the store, the sender and the config. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Repos } from '../store/index.js';
import type { Metrics } from '../metrics.js';
import type { Publisher } from './publisher.js';
import { DeliveryWorker } from './worker.js';
import { JobWorker, type JobKind } from './jobs.js';
import { createSender } from './sender.js';
import { listenForDeliveries } from './notify.js';
import { Pruner } from './retention.js';
import { postgresGate, redisGate } from './endpoint-gate.js';

export interface WorkerRoleDeps {
  config: Config;
  repos: Repos;
  metrics: Metrics;
  logger: Logger;
  /** How `webhook.disabled` events are published. */
  publisher: Publisher;
  /** App job kinds this process runs. */
  jobKinds: Map<string, JobKind>;
  /** This server's NOTIFY payload: its own notifications are not wake-ups for it. */
  notifyTag?: string;
}

export async function startWorker({ config, repos, metrics, logger, publisher, jobKinds, notifyTag }: WorkerRoleDeps) {
  const { store } = repos;
  if (store.caps.dialect === 'sqlite') {
    const n = await repos.queue.releaseAllLeases(Date.now());
    if (n) logger.info({ count: n }, 'retaking deliveries leased by a previous process');
    const j = await repos.jobs.releaseAllLeases(Date.now());
    if (j) logger.info({ count: j }, 'retaking app jobs leased by a previous process');
  }
  const sender = createSender({ allowPrivate: config.allowPrivateTargets });
  // Several processes may share a PostgreSQL database: endpoint limits are then held
  // cluster-wide (Redis when configured). SQLite is one process: lanes suffice.
  const gate = store.caps.dialect === 'postgres' ? (config.redisUrl ? await redisGate(config.redisUrl, logger) : postgresGate(store.db)) : undefined;
  const worker = new DeliveryWorker(
    {
      queue: repos.queue,
      sender,
      loadWebhooks: (ids) => repos.webhooks.byIds(ids),
      loadProjects: (ids) => repos.projects.byIds(ids),
      onDisabled: async (list) => {
        for (const d of list) {
          repos.webhooks.forget(d.webhookId);
          logger.warn(d, 'webhook disabled');
          await publisher.publish(d.projectId, {
            type: 'webhook.disabled',
            data: { webhookId: d.webhookId, reason: d.reason, disabledAt: new Date().toISOString() },
          });
        }
      },
      onLimitsFallback: () => metrics.endpointLimitsFallback.inc(),
      onAttempt: (outcome, ms) => {
        metrics.deliveryAttempts.inc({ outcome });
        metrics.deliveryDuration.observe(ms / 1000);
      },
      logger: logger.child({ component: 'worker' }),
      gate,
    },
    {
      leaseMs: config.leaseMs,
      disableAfterMs: config.disableAfterFailingMs,
      // Where many workers share the table (PostgreSQL), a few ms let the wake-ups of that
      // moment (NOTIFYs, publishes that could not hand over) share one claim.
      claimDelayMs: store.caps.skipLocked ? 3 : 0,
      // There, a fresh delivery is taken at once only into a free sending slot: a backlog
      // stays in the table for whichever worker frees up first.
      sharedQueue: store.caps.skipLocked,
    },
  );
  const jobs = new JobWorker(repos.jobs, jobKinds, logger.child({ component: 'jobs' }), {
    leaseMs: config.leaseMs,
    retry: { retryDelay: config.jobRetryDelayMs, backoffMultiplier: 2, maxRetryDelay: config.jobMaxRetryDelayMs },
  });
  const pruner = new Pruner(repos.retention, logger.child({ component: 'retention' }), {
    intervalMs: config.retentionIntervalMs,
    batchSize: config.retentionBatchSize,
    pauseMs: 20,
  });
  worker.start();
  jobs.start();
  pruner.start();
  const listener =
    store.caps.notify && store.pgConnection
      ? listenForDeliveries(
          store.pgConnection,
          () => {
            worker.wake();
            jobs.wake();
          },
          logger,
          notifyTag,
        )
      : undefined;
  return {
    worker,
    jobs,
    pruner,
    async stop() {
      await pruner.stop();
      await listener?.close();
      await Promise.all([worker.stop(), jobs.stop()]);
      await sender.close();
      await gate?.close();
    },
  };
}
