import type { Kysely } from 'kysely';
import type { DB } from './schema.js';
import { newId } from '../ids.js';
import { webhookMatches, type MatchTarget } from '../core/matching.js';
import { buildEnvelope } from '../core/envelope.js';
import type { ClaimedDelivery, DeliveryQueue, DeliveryRef } from './queue.js';
import { isUniqueViolation, listPage } from './query.js';

export type { DeliveryRef } from './queue.js';

export interface PublishInput {
  type: string;
  data: unknown;
  id?: string;
  idempotencyKey?: string;
  space?: string | null;
  channels?: string[];
  /** Deliver only to this webhook (the `test` route), matching or not. */
  onlyWebhookId?: string;
}

export interface PublishOptions {
  /** See `PublishItem.leaseFor`: deliveries this process's worker takes at once. */
  leaseFor?: (webhookId: string) => number | undefined;
  now?: number;
}

export interface PublishedEvent {
  id: string;
  type: string;
  createdAt: string;
  deliveries: DeliveryRef[];
}

export interface StoredEvent {
  id: string;
  type: string;
  createdAt: string;
  data: unknown;
  space: string | null;
  channels: string[];
}

/** Deliveries in id order, compared in JS so both dialects' collations agree. */
const byId = (refs: DeliveryRef[]) => refs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export function eventsRepo(db: Kysely<DB>, queue: DeliveryQueue) {
  async function findExisting(projectId: string, input: { id?: string; idempotencyKey?: string }): Promise<PublishedEvent | undefined> {
    if (!input.id && !input.idempotencyKey) return undefined;
    const q = db.selectFrom('events').select(['id', 'type', 'created_at']).where('project_id', '=', projectId);
    // By id, then by key: with both given, a key already used under another id must
    // answer its event too (the insert would otherwise hit the key's unique index and
    // the retry below would find nothing by id).
    const ev =
      (input.id ? await q.where('id', '=', input.id).executeTakeFirst() : undefined) ??
      (input.idempotencyKey ? await q.where('idempotency_key', '=', input.idempotencyKey).executeTakeFirst() : undefined);
    if (!ev) return undefined;
    return { id: ev.id, type: ev.type, createdAt: new Date(ev.created_at).toISOString(), deliveries: await deliveriesOf(projectId, ev.id) };
  }

  async function deliveriesOf(projectId: string, eventId: string): Promise<DeliveryRef[]> {
    const rows = await db
      .selectFrom('deliveries')
      .select(['id', 'webhook_id', 'status'])
      .where('project_id', '=', projectId)
      .where('event_id', '=', eventId)
      .orderBy('id')
      .execute();
    return byId(rows.map((r) => ({ id: r.id as string, webhookId: r.webhook_id, status: r.status as string })));
  }

  return {
    /**
     * Stores the event and one pending delivery per matching active webhook in one
     * transaction, shared with the publishes that arrive meanwhile (group commit). The same
     * `id` or idempotency key again returns the first result.
     */
    async publish(
      projectId: string,
      input: PublishInput,
      { leaseFor, now = Date.now() }: PublishOptions = {},
    ): Promise<{ event: PublishedEvent; created: boolean; handed: ClaimedDelivery[] }> {
      if ((input.id || input.idempotencyKey) && !queue.findsExisting) {
        const existing = await findExisting(projectId, input);
        if (existing) return { event: existing, created: false, handed: [] };
      }
      const id = input.id ?? newId('evt', now);
      const createdAt = new Date(now).toISOString();
      const payload = buildEnvelope({ id, type: input.type, createdAt, data: input.data });
      const row = {
        project_id: projectId,
        id,
        type: input.type,
        payload,
        space: input.space ?? null,
        channels: JSON.stringify(input.channels ?? []),
        idempotency_key: input.idempotencyKey ?? null,
        created_at: now,
        // A test send (one webhook only) is not an event of the project.
        ...(input.onlyWebhookId && { test: 1 }),
      };
      const matches = (w: MatchTarget) => webhookMatches(w, { type: input.type, space: input.space, channels: input.channels, data: input.data });
      try {
        // Events share a commit with others. A store that finds the id or key taken answers
        // `existingId` (SQLite); otherwise one whose id or key another event took meanwhile
        // fails its batch, each of the batch is stored alone, and this one answers the
        // winner's result below.
        const item = { row, matches, leaseFor, onlyWebhookId: input.onlyWebhookId, givenId: !!input.id };
        let stored = await queue.store(item);
        if (stored.existingId) {
          const first = await findExisting(projectId, { id: stored.existingId });
          if (first) return { event: first, created: false, handed: [] };
          // Deleted in between (retention, a project delete): this one is stored after all.
          stored = await queue.store(item);
          if (stored.existingId) throw new Error(`event ${stored.existingId} keeps being found by the publish and not by its id`);
        }
        const { refs, handed } = stored;
        return { event: { id, type: input.type, createdAt, deliveries: byId(refs) }, created: true, handed };
      } catch (err) {
        // A concurrent publish with the same id/key won the race: answer its result.
        if (isUniqueViolation(err)) {
          const winner = await findExisting(projectId, input);
          if (winner) return { event: winner, created: false, handed: [] };
        }
        throw err;
      }
    },
    async get(projectId: string, id: string): Promise<(StoredEvent & { deliveries: DeliveryRef[] }) | undefined> {
      const r = await db.selectFrom('events').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      if (!r) return undefined;
      const env = JSON.parse(r.payload);
      return {
        id: r.id,
        type: r.type,
        createdAt: env.createdAt,
        data: env.data,
        space: r.space,
        channels: JSON.parse(r.channels),
        deliveries: await deliveriesOf(projectId, id),
      };
    },
    /** The project's event log: test sends are not in it. */
    async list(projectId: string, opts: { type?: string; limit: number; offset: number }) {
      let q = db.selectFrom('events').where('project_id', '=', projectId).where('test', '=', 0);
      if (opts.type) q = q.where('type', '=', opts.type);
      return listPage(q, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), opts, (r): StoredEvent => {
        const env = JSON.parse(r.payload);
        return { id: r.id, type: r.type, createdAt: env.createdAt, data: env.data, space: r.space, channels: JSON.parse(r.channels) };
      });
    },
  };
}
export type EventsRepo = ReturnType<typeof eventsRepo>;
