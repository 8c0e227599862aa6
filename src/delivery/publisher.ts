/**
 * The one publish service: the events route, the inbound `publish` relay and the apps
 * all publish through it, so storing, counting and waking the worker happen in one place.
 *
 * With one process per database (SQLite), fresh deliveries are stored already leased to
 * this process's worker, while it has room, and handed over in memory: no claim query
 * has to find them again. The rest — and all of them where many workers share a
 * PostgreSQL database and share the work by claiming it — are stored due, and the
 * workers are woken (in-process, and through NOTIFY on PostgreSQL).
 */
import type { EventsRepo, PublishInput, PublishedEvent } from '../store/events.js';
import type { ClaimedDelivery } from '../store/queue.js';

export interface Publisher {
  /** Stores the event and its deliveries (202 semantics: durable on return). */
  publish(projectId: string, input: PublishInput): Promise<{ event: PublishedEvent; created: boolean }>;
}

/** This process's delivery worker, as the publish path sees it. */
export interface LocalWorker {
  leaseFor(webhookId: string): number | undefined;
  adopt(rows: ClaimedDelivery[]): void;
}

export function createPublisher(events: EventsRepo, onPublished: () => void, wake: () => void, localWorker: () => LocalWorker | undefined = () => undefined): Publisher {
  return {
    async publish(projectId, input) {
      const worker = localWorker();
      const { event, created, handed } = await events.publish(projectId, input, { leaseFor: worker?.leaseFor });
      if (created) {
        onPublished();
        if (handed.length) worker!.adopt(handed);
        if (event.deliveries.length > handed.length) wake();
      }
      return { event, created };
    },
  };
}
