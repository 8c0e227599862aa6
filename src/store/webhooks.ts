import type { Kysely, Selectable } from 'kysely';
import type { DB, WebhooksTable } from './schema.js';
import type { SecretBox } from '../core/secretbox.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/retry.js';
import type { SignatureScheme } from '../core/signing.js';
import { newId } from '../ids.js';
import { listPage } from './query.js';
import { TtlCache } from '../core/ttl-cache.js';

/**
 * The worker reads the settings of every batch it sends (`byIds`): they are kept this
 * long. A change made through this process applies at once (the entry is dropped once the
 * change is written); one made by another process applies to deliveries sent from at most
 * this long after it.
 */
export const SETTINGS_CACHE_MS = 1000;

export interface Webhook {
  id: string;
  projectId: string;
  name: string;
  description: string;
  url: string;
  events: string[];
  /** Plain secret (decrypted on read); never logged. */
  secret: string;
  /** The rotated-out secret while its grace period lasts. */
  oldSecret: string | null;
  oldSecretExpiresAt: number | null;
  active: boolean;
  retryPolicy: RetryPolicy;
  signature: SignatureScheme;
  headers: Record<string, string>;
  request: unknown | null;
  timeout: number;
  rateLimit: number | null;
  maxConcurrency: number;
  /** `parallel` (default) or `fifo`: one delivery at a time, in publish order, across all workers. */
  ordering: 'parallel' | 'fifo';
  spaces: string[];
  channels: string[];
  filter: Record<string, unknown> | null;
  spaceId: string | null;
  disabledReason: string | null;
  failingSince: number | null;
  lastDeliveryAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type WebhookInput = Omit<
  Webhook,
  'id' | 'projectId' | 'oldSecret' | 'oldSecretExpiresAt' | 'disabledReason' | 'failingSince' | 'lastDeliveryAt' | 'createdAt' | 'updatedAt'
>;

export type WebhookDefaults = Omit<WebhookInput, 'name' | 'url' | 'events' | 'secret' | 'spaceId'>;

/**
 * What a webhook has for each setting it was not given (SPEC §3): the API's webhooks,
 * the per-space ones, and the unsaved ones that preview and send-test render alike.
 * A function, so no two webhooks share one `headers` object or array.
 */
export function webhookDefaults(): WebhookDefaults {
  return {
    description: '',
    active: true,
    retryPolicy: { ...DEFAULT_RETRY_POLICY },
    signature: 'hmac-sha256',
    headers: {},
    request: null,
    /** ms */
    timeout: 10_000,
    /** requests/s; null: no limit */
    rateLimit: null,
    /** requests in flight to the endpoint */
    maxConcurrency: 50,
    ordering: 'parallel',
    spaces: [],
    channels: [],
    filter: null,
  };
}

/** A webhook that is not stored: for rendering a request without sending it (preview, send-test). */
export function unsavedWebhook(fields: Pick<Webhook, 'url' | 'secret'> & Partial<Webhook>, now = Date.now()): Webhook {
  return {
    id: 'wh_unsaved',
    projectId: '',
    name: 'unsaved',
    events: ['*'],
    ...webhookDefaults(),
    oldSecret: null,
    oldSecretExpiresAt: null,
    spaceId: null,
    disabledReason: null,
    failingSince: null,
    lastDeliveryAt: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

export function webhooksRepo(db: Kysely<DB>, box: SecretBox) {
  const decode = (r: Selectable<WebhooksTable>): Webhook => ({
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    url: r.url,
    events: JSON.parse(r.events),
    secret: box.open(r.secret_enc),
    oldSecret: r.old_secret_enc ? box.open(r.old_secret_enc) : null,
    oldSecretExpiresAt: r.old_secret_expires_at,
    active: r.active === 1,
    retryPolicy: JSON.parse(r.retry_policy),
    signature: r.signature as SignatureScheme,
    headers: JSON.parse(r.headers),
    request: r.request ? JSON.parse(r.request) : null,
    timeout: r.timeout_ms,
    rateLimit: r.rate_limit,
    maxConcurrency: r.max_concurrency,
    ordering: r.ordering === 'fifo' ? 'fifo' : 'parallel',
    spaces: JSON.parse(r.spaces),
    channels: JSON.parse(r.channels),
    filter: r.filter ? JSON.parse(r.filter) : null,
    spaceId: r.space_id,
    disabledReason: r.disabled_reason,
    failingSince: r.failing_since,
    lastDeliveryAt: r.last_delivery_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  const encode = (w: Partial<WebhookInput>) => ({
    ...(w.name !== undefined && { name: w.name }),
    ...(w.description !== undefined && { description: w.description }),
    ...(w.url !== undefined && { url: w.url }),
    ...(w.events !== undefined && { events: JSON.stringify(w.events) }),
    ...(w.secret !== undefined && { secret_enc: box.seal(w.secret) }),
    ...(w.active !== undefined && { active: w.active ? 1 : 0 }),
    ...(w.retryPolicy !== undefined && { retry_policy: JSON.stringify(w.retryPolicy) }),
    ...(w.signature !== undefined && { signature: w.signature }),
    ...(w.headers !== undefined && { headers: JSON.stringify(w.headers) }),
    ...(w.request !== undefined && { request: w.request === null ? null : JSON.stringify(w.request) }),
    ...(w.timeout !== undefined && { timeout_ms: w.timeout }),
    ...(w.rateLimit !== undefined && { rate_limit: w.rateLimit }),
    ...(w.maxConcurrency !== undefined && { max_concurrency: w.maxConcurrency }),
    ...(w.ordering !== undefined && { ordering: w.ordering }),
    ...(w.spaces !== undefined && { spaces: JSON.stringify(w.spaces) }),
    ...(w.channels !== undefined && { channels: JSON.stringify(w.channels) }),
    ...(w.filter !== undefined && { filter: w.filter === null ? null : JSON.stringify(w.filter) }),
    ...(w.spaceId !== undefined && { space_id: w.spaceId }),
  });

  const recent = new TtlCache<Webhook>(SETTINGS_CACHE_MS);
  return {
    decode,
    async get(projectId: string, id: string, exec: Kysely<DB> = db): Promise<Webhook | undefined> {
      const r = await exec.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r && decode(r);
    },
    /** For the worker: see SETTINGS_CACHE_MS. */
    async byIds(ids: string[]): Promise<Map<string, Webhook>> {
      return recent.many(ids, async (missing) => {
        const rows = await db.selectFrom('webhooks').selectAll().where('id', 'in', missing).execute();
        return new Map(rows.map((r) => [r.id, decode(r)]));
      });
    },
    /** A webhook changed outside this repository (the worker disabled it): read it again next time. */
    forget(id: string): void {
      recent.delete(id);
    },
    async getBySpace(projectId: string, spaceId: string): Promise<Webhook | undefined> {
      const r = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('space_id', '=', spaceId)
        .executeTakeFirst();
      return r && decode(r);
    },
    async list(projectId: string, opts: { limit: number; offset: number; spaces?: boolean }) {
      let q = db.selectFrom('webhooks').where('project_id', '=', projectId);
      if (opts.spaces === false) q = q.where('space_id', 'is', null);
      return listPage(q, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), opts, decode);
    },
    /** Every webhook of the project, oldest first (the order actions were added). */
    async all(projectId: string): Promise<Webhook[]> {
      const rows = await db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
      return rows.map(decode);
    },
    async create(projectId: string, w: WebhookInput, now = Date.now()): Promise<Webhook> {
      const id = newId('wh', now);
      await db
        .insertInto('webhooks')
        .values({
          id,
          project_id: projectId,
          ...(encode(w) as Required<ReturnType<typeof encode>>),
          request: w.request == null ? null : JSON.stringify(w.request),
          filter: w.filter == null ? null : JSON.stringify(w.filter),
          space_id: w.spaceId ?? null,
          old_secret_enc: null,
          old_secret_expires_at: null,
          disabled_reason: null,
          failing_since: null,
          last_delivery_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return (await this.get(projectId, id))!;
    },
    async update(projectId: string, id: string, patch: Partial<WebhookInput>, now = Date.now()) {
      const set: Record<string, unknown> = { ...encode(patch), updated_at: now };
      // Re-enabling a webhook clears the reason it was disabled for.
      if (patch.active === true) Object.assign(set, { disabled_reason: null, failing_since: null });
      await db.updateTable('webhooks').set(set).where('project_id', '=', projectId).where('id', '=', id).execute();
      recent.delete(id);
      return this.get(projectId, id);
    },
    /**
     * New secret; the one stored until now keeps signing until `graceUntil`. The old one is
     * the row's own (one statement), so two rotations at once chain instead of one losing
     * the other's secret.
     */
    async rotateSecret(projectId: string, id: string, next: string, graceUntil: number, now = Date.now()) {
      await db
        .updateTable('webhooks')
        .set((eb) => ({
          secret_enc: box.seal(next),
          old_secret_enc: graceUntil > now ? eb.ref('secret_enc') : null,
          old_secret_expires_at: graceUntil > now ? graceUntil : null,
          updated_at: now,
        }))
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .execute();
      recent.delete(id);
      return this.get(projectId, id);
    },
    async delete(projectId: string, id: string): Promise<boolean> {
      const r = await db.deleteFrom('webhooks').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      recent.delete(id);
      return Number(r.numDeletedRows) > 0;
    },
  };
}
export type WebhooksRepo = ReturnType<typeof webhooksRepo>;
