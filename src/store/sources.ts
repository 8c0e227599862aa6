/**
 * Inbound sources (SPEC §5b) and the requests they accepted. A source's verification
 * settings hold tokens, passwords and HMAC secrets, so they are sealed with the secret
 * box like webhook secrets; everything else is plain JSON text.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB, InboundRequestsTable, SourcesTable } from './schema.js';
import type { SecretBox } from '../core/secretbox.js';
import { newId } from '../ids.js';
import { isUniqueViolation, listPage } from './query.js';

/** Refused requests kept per source, and how much of each body. */
export const REFUSED_KEEP = 1000;
const REFUSED_BODY_KEEP = 4096;

export type HmacAlgorithm = 'sha256' | 'sha1' | 'sha512';

/** How a source checks that a request comes from who it says. `type` picks the mode or preset. */
export type Verification =
  | { type: 'none' }
  /** `?token=` in the URL, or the named header when `header` is set. */
  | { type: 'token'; token: string; header?: string }
  | { type: 'basic'; username: string; password: string }
  | {
      type: 'hmac';
      header: string;
      algorithm: HmacAlgorithm;
      encoding: 'hex' | 'base64';
      /** Text before the digest in the header, e.g. `sha256=`. Default: '' */
      prefix: string;
      secret: string;
      /** Header holding unix seconds; checked against `tolerance`. */
      timestampHeader?: string;
      /** Seconds a timestamp may be off. Default: 300 */
      tolerance?: number;
      /** What is signed: `{body}` (default) or a template such as `v0:{timestamp}:{body}`. */
      payload?: string;
    }
  | { type: 'github'; secret: string }
  | { type: 'stripe'; secret: string; tolerance?: number }
  | { type: 'standard'; secret: string; tolerance?: number }
  /** Another Hookbridge's `hmac-sha256` deliveries; `prefix` is its project's header prefix. */
  | { type: 'hookbridge'; secret: string; prefix?: string; tolerance?: number };

/** Where the delivery id of a request is read from; `false` turns off a preset's default. */
export type DedupeRule = { header: string } | { jsonPath: string } | false | null;

export interface RateLimit {
  requests: number;
  perSeconds: number;
}

export interface Source {
  id: string;
  projectId: string;
  name: string;
  path: string;
  verification: Verification;
  /** `{type, …settings}`: dispatched through the inbound action registry. */
  action: { type: string; [k: string]: unknown };
  allowedOrigins: string[];
  rateLimit: RateLimit | null;
  dedupe: DedupeRule;
  bodyLimit: number;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export type SourceInput = Omit<Source, 'id' | 'projectId' | 'createdAt' | 'updatedAt'>;

export type RequestStatus = InboundRequestsTable['status'];

export interface StoredRequest {
  id: string;
  sourceId: string;
  projectId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  verification: unknown;
  dedupeKey: string | null;
  status: RequestStatus;
  actionResult: unknown;
  error: string | null;
  receivedAt: number;
}

export type NewRequest = Omit<StoredRequest, 'id' | 'status' | 'actionResult' | 'error'>;

const parseOr = <T>(text: string | null, fallback: T): T => (text == null ? fallback : (JSON.parse(text) as T));

export function sourcesRepo(db: Kysely<DB>, box: SecretBox) {
  const decode = (r: Selectable<SourcesTable>): Source => ({
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    path: r.path,
    verification: JSON.parse(box.open(r.verification_enc)),
    // Actions can hold credentials (the meetings action's apiKey), so they are sealed too;
    // rows written before that are plain JSON.
    action: JSON.parse(r.action.startsWith('v1:') ? box.open(r.action) : r.action),
    allowedOrigins: JSON.parse(r.allowed_origins),
    rateLimit: parseOr(r.rate_limit, null),
    dedupe: parseOr(r.dedupe, null),
    bodyLimit: r.body_limit,
    active: r.active === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  const encode = (s: Partial<SourceInput>) => ({
    ...(s.name !== undefined && { name: s.name }),
    ...(s.path !== undefined && { path: s.path }),
    ...(s.verification !== undefined && { verification_enc: box.seal(JSON.stringify(s.verification)) }),
    ...(s.action !== undefined && { action: box.seal(JSON.stringify(s.action)) }),
    ...(s.allowedOrigins !== undefined && { allowed_origins: JSON.stringify(s.allowedOrigins) }),
    ...(s.rateLimit !== undefined && { rate_limit: s.rateLimit === null ? null : JSON.stringify(s.rateLimit) }),
    ...(s.dedupe !== undefined && { dedupe: s.dedupe === null ? null : JSON.stringify(s.dedupe) }),
    ...(s.bodyLimit !== undefined && { body_limit: s.bodyLimit }),
    ...(s.active !== undefined && { active: s.active ? 1 : 0 }),
  });

  const decodeRequest = (r: Selectable<InboundRequestsTable>): StoredRequest => ({
    id: r.id,
    sourceId: r.source_id,
    projectId: r.project_id,
    method: r.method,
    url: r.url,
    headers: JSON.parse(r.headers),
    body: r.body,
    bodyEncoding: r.body_encoding,
    verification: JSON.parse(r.verification),
    dedupeKey: r.dedupe_key,
    status: r.status,
    actionResult: parseOr(r.action_result, null),
    error: r.error,
    receivedAt: r.received_at,
  });

  return {
    isUniqueViolation,
    async get(projectId: string, id: string): Promise<Source | undefined> {
      const r = await db.selectFrom('sources').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r && decode(r);
    },
    /**
     * The source mounted at any of `paths` (one URL can be spelt `x` or `/webhook/x`),
     * in any project: the public endpoint is not scoped to a caller.
     */
    async getByPath(paths: string[]): Promise<Source | undefined> {
      if (!paths.length) return undefined;
      const r = await db.selectFrom('sources').selectAll().where('path', 'in', paths).orderBy('created_at').executeTakeFirst();
      return r && decode(r);
    },
    async list(projectId: string, opts: { limit: number; offset: number }) {
      const q = db.selectFrom('sources').where('project_id', '=', projectId);
      return listPage(q, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), opts, decode);
    },
    /** Throws a unique violation (see `isUniqueViolation`) when the path is taken. */
    async create(projectId: string, s: SourceInput, now = Date.now()): Promise<Source> {
      const id = newId('src', now);
      await db
        .insertInto('sources')
        .values({ id, project_id: projectId, ...(encode(s) as Required<ReturnType<typeof encode>>), created_at: now, updated_at: now })
        .execute();
      return (await this.get(projectId, id))!;
    },
    async update(projectId: string, id: string, patch: Partial<SourceInput>, now = Date.now()) {
      await db
        .updateTable('sources')
        .set({ ...encode(patch), updated_at: now })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .execute();
      return this.get(projectId, id);
    },
    /** Deletes the source and the requests it stored (they have no foreign key to cascade on). */
    async delete(projectId: string, id: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const r = await tx.deleteFrom('sources').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
        if (Number(r.numDeletedRows) === 0) return false;
        await tx.deleteFrom('inbound_requests').where('source_id', '=', id).execute();
        return true;
      });
    },

    /** Stores an accepted request. Throws a unique violation when the dedupe key was seen. */
    async insertRequest(req: NewRequest, status: RequestStatus = 'accepted'): Promise<StoredRequest> {
      const id = newId('req', req.receivedAt);
      const row = {
        id,
        source_id: req.sourceId,
        project_id: req.projectId,
        method: req.method,
        url: req.url,
        headers: JSON.stringify(req.headers),
        body: req.body,
        body_encoding: req.bodyEncoding,
        verification: JSON.stringify(req.verification),
        dedupe_key: req.dedupeKey,
        status,
        action_result: null,
        error: null,
        received_at: req.receivedAt,
      };
      await db.insertInto('inbound_requests').values(row).execute();
      return decodeRequest(row);
    },
    /**
     * Keeps a refused request (401, 403, 413, 429) with the reason, so a misconfigured
     * sender can be debugged from the source's request list. Bounded: bodies are cut to
     * 4 KiB and each source keeps its newest REFUSED_KEEP refusals.
     */
    async insertRefused(req: Omit<NewRequest, 'dedupeKey'>, reason: string): Promise<void> {
      const row = {
        id: newId('req', req.receivedAt),
        source_id: req.sourceId,
        project_id: req.projectId,
        method: req.method,
        url: req.url,
        headers: JSON.stringify(req.headers),
        body: req.body.slice(0, REFUSED_BODY_KEEP),
        body_encoding: req.bodyEncoding,
        verification: JSON.stringify(req.verification),
        dedupe_key: null,
        status: 'refused' as const,
        action_result: null,
        error: reason,
        received_at: req.receivedAt,
      };
      await db.insertInto('inbound_requests').values(row).execute();
      // A flood of junk must not fill the disk: now and then, drop the oldest refusals.
      if (Math.random() < 0.05) {
        const old = db
          .selectFrom('inbound_requests')
          .select('id')
          .where('source_id', '=', req.sourceId)
          .where('status', '=', 'refused')
          .orderBy('received_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1_000_000)
          .offset(REFUSED_KEEP);
        await db.deleteFrom('inbound_requests').where('id', 'in', old).execute();
      }
    },
    async findRequestByDedupe(sourceId: string, key: string): Promise<StoredRequest | undefined> {
      const r = await db.selectFrom('inbound_requests').selectAll().where('source_id', '=', sourceId).where('dedupe_key', '=', key).executeTakeFirst();
      return r && decodeRequest(r);
    },
    async getRequest(sourceId: string, id: string): Promise<StoredRequest | undefined> {
      const r = await db.selectFrom('inbound_requests').selectAll().where('source_id', '=', sourceId).where('id', '=', id).executeTakeFirst();
      return r && decodeRequest(r);
    },
    /** Newest first; `status` picks one kind (e.g. `refused`). */
    async listRequests(sourceId: string, opts: { limit: number; offset: number; status?: RequestStatus }) {
      let q = db.selectFrom('inbound_requests').where('source_id', '=', sourceId);
      if (opts.status) q = q.where('status', '=', opts.status);
      return listPage(q, (q) => q.selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc'), opts, decodeRequest);
    },
    /** Records what the action did with a stored request. */
    async finishRequest(id: string, outcome: { status: 'processed' | 'failed'; result?: unknown; error?: string | null }) {
      await db
        .updateTable('inbound_requests')
        .set({
          status: outcome.status,
          action_result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
          error: outcome.error ?? null,
        })
        .where('id', '=', id)
        .execute();
    },
    /**
     * Takes a failed request back for another run of its action (the sender retried the
     * same delivery id). Only one concurrent retry wins the conditional update.
     */
    async retakeFailed(id: string): Promise<boolean> {
      const r = await db
        .updateTable('inbound_requests')
        .set({ status: 'accepted', error: null })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
export type SourcesRepo = ReturnType<typeof sourcesRepo>;
