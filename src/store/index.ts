import { sqliteParts, type Store } from './db.js';
import type { SecretBox } from '../core/secretbox.js';
import { projectsRepo } from './projects.js';
import { tokensRepo } from './tokens.js';
import { eventTypesRepo } from './event-types.js';
import { webhooksRepo } from './webhooks.js';
import { eventsRepo } from './events.js';
import { deliveryStatsRepo } from './deliveries.js';
import { sqliteQueue } from './queue-sqlite.js';
import { postgresQueue } from './queue-postgres.js';
import { deliveryLogRepo } from './delivery-log.js';
import { sourcesRepo } from './sources.js';
import { jobsRepo } from './jobs.js';
import { portalLinksRepo } from './portal-links.js';
import { statsSeriesRepo } from './stats-series.js';
import { retentionRepo } from './retention.js';

/** Every repository over one store: what the HTTP layer and the worker are handed. */
export function createRepos(store: Store, box: SecretBox) {
  const webhooks = webhooksRepo(store.db, box);
  // The one place that picks a dialect's queue; everything above asks the interface.
  const lite = sqliteParts(store);
  const queue = lite ? sqliteQueue(lite) : postgresQueue(store.db, store.hotPool ?? store.pool!);
  return {
    store,
    projects: projectsRepo(store.db),
    tokens: tokensRepo(store.db),
    eventTypes: eventTypesRepo(store.db),
    webhooks,
    queue,
    events: eventsRepo(store.db, queue),
    deliveryStats: deliveryStatsRepo(store.db),
    deliveryLog: deliveryLogRepo(store.db),
    sources: sourcesRepo(store.db, box),
    jobs: jobsRepo(store.db, store.caps),
    portalLinks: portalLinksRepo(store.db),
    statsSeries: statsSeriesRepo(store.db),
    retention: retentionRepo(store.db),
  };
}
export type Repos = ReturnType<typeof createRepos>;
