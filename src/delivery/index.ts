/** Assembles the worker from the store, the sender and the config. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Repos } from '../store/index.js';
import type { Metrics } from '../http/metrics.js';
import { DeliveryWorker } from './worker.js';
import { createSender } from './sender.js';
import { listenForDeliveries } from './notify.js';

export async function startWorker(config: Config, repos: Repos, metrics: Metrics, logger: Logger) {
  const { store } = repos;
  if (store.caps.dialect === 'sqlite') {
    const n = await repos.deliveriesWorker.releaseAllLeases(Date.now());
    if (n) logger.info({ count: n }, 'retaking deliveries leased by a previous process');
  }
  const sender = createSender({ allowPrivate: config.allowPrivateTargets });
  const worker = new DeliveryWorker(
    {
      repo: repos.deliveriesWorker,
      sender,
      loadWebhooks: (ids) => repos.webhooks.byIds(ids),
      loadProjects: (ids) => repos.projects.byIds(ids),
      onDisabled: async (list) => {
        for (const d of list) {
          logger.warn(d, 'webhook disabled');
          await repos.events.publish(d.projectId, {
            type: 'webhook.disabled',
            data: { webhookId: d.webhookId, reason: d.reason, disabledAt: new Date().toISOString() },
          });
        }
      },
      onAttempt: (outcome, ms) => {
        metrics.deliveryAttempts.inc({ outcome });
        metrics.deliveryDuration.observe(ms / 1000);
      },
      logger: logger.child({ component: 'worker' }),
    },
    { leaseMs: config.leaseMs, disableAfterMs: config.disableAfterFailingMs },
  );
  worker.start();
  const listener = store.caps.notify && store.pgConnection ? listenForDeliveries(store.pgConnection, () => worker.wake(), logger) : undefined;
  return {
    worker,
    async stop() {
      await listener?.close();
      await worker.stop();
      await sender.close();
    },
  };
}
