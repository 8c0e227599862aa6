/**
 * The one publish service: the events route, the inbound `publish` relay and the apps
 * all publish through it, so storing, counting and waking the worker happen in one place.
 */
import type { EventsRepo, PublishInput, PublishedEvent } from '../store/events.js';

export interface Publisher {
  /** Stores the event and its deliveries (202 semantics: durable on return). */
  publish(projectId: string, input: PublishInput): Promise<{ event: PublishedEvent; created: boolean }>;
}

export function createPublisher(events: EventsRepo, onPublished: () => void, wake: () => void): Publisher {
  return {
    async publish(projectId, input) {
      const out = await events.publish(projectId, input);
      if (out.created) {
        onPublished();
        if (out.event.deliveries.length) wake();
      }
      return out;
    },
  };
}
