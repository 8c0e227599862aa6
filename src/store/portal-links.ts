/**
 * Portal links (SPEC §8): a credential for one project's customer, kept in `tokens`
 * with kind `portal` and an expiry. Only its SHA-256 is stored, as for every token;
 * revoking one deletes the row through the tokens repository (which also forgets it
 * in the lookup cache).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';
import { newId } from '../ids.js';
import { hashToken } from '../core/secretbox.js';
import { listPage } from './query.js';

/** `hbp_` + 32 random bytes: the prefix lets a person (and the dashboard) tell a portal credential from an API token. */
export const generatePortalToken = () => `hbp_${randomBytes(32).toString('base64url')}`;

/** Expired links are kept this long (so "expired" can be shown), then removed when a new link is made. */
const KEEP_EXPIRED_MS = 7 * 86400_000;

export interface PortalLink {
  id: string;
  hint: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

type Row = { id: string; hint: string; created_at: number; expires_at: number | null };

const view = (r: Row, now: number): PortalLink => ({
  id: r.id,
  hint: r.hint,
  createdAt: new Date(r.created_at).toISOString(),
  expiresAt: new Date(r.expires_at ?? 0).toISOString(),
  expired: (r.expires_at ?? 0) <= now,
});

export function portalLinksRepo(db: Kysely<DB>) {
  const base = (projectId: string) => db.selectFrom('tokens').where('project_id', '=', projectId).where('kind', '=', 'portal');
  return {
    /** Stores the hash of a new credential valid until `now + ttlMs`; the plain credential is returned once. */
    async create(projectId: string, ttlMs: number, now = Date.now()) {
      await db
        .deleteFrom('tokens')
        .where('kind', '=', 'portal')
        .where('expires_at', '<', now - KEEP_EXPIRED_MS)
        .execute();
      const token = generatePortalToken();
      const row = { id: newId('tok', now), hint: `${token.slice(0, 8)}…`, created_at: now, expires_at: now + ttlMs };
      await db
        .insertInto('tokens')
        .values({ ...row, project_id: projectId, is_admin: 0, name: 'portal link', token_hash: hashToken(token), last_used_at: null, kind: 'portal' })
        .execute();
      return { token, link: view(row, now) };
    },
    async list(projectId: string, page: { limit: number; offset: number }, now = Date.now()) {
      return listPage(base(projectId), (q) => q.select(['id', 'hint', 'created_at', 'expires_at']).orderBy('created_at', 'desc').orderBy('id', 'desc'), page, (r) => view(r, now));
    },
    async get(projectId: string, id: string, now = Date.now()) {
      const r = await base(projectId).select(['id', 'hint', 'created_at', 'expires_at']).where('id', '=', id).executeTakeFirst();
      return r && view(r, now);
    },
  };
}
export type PortalLinksRepo = ReturnType<typeof portalLinksRepo>;
