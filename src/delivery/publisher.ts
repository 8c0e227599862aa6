/**
 * The one publish service: the events route, the inbound `publish` relay and the apps
 * all publish through it, so storing, counting and waking the worker happen in one place.
 *
 * Where this process runs a worker, fresh deliveries are stored already leased to it,
 * while it has room, and handed over in memory: no claim query has to find them again
 * (on PostgreSQL, where workers share the table, only into a free sending slot). The
 * rest are stored due, and the workers are woken (in-process, and through NOTIFY on
 * PostgreSQL). A process that dies holding them leaves leases that run out like a
 * claim's.
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
