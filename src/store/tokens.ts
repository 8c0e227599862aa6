import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, TokenKind } from './schema.js';
import { newId } from '../ids.js';
import { hashToken } from '../core/secretbox.js';
import { TtlCache } from '../core/ttl-cache.js';
import { listPage } from './query.js';

export interface TokenInfo {
  id: string;
  projectId: string | null;
  isAdmin: boolean;
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** `hb_` + 32 random bytes in base64url: the only time the full token exists is in the answer. */
export const generateToken = (admin = false) => `${admin ? 'hba_' : 'hb_'}${randomBytes(32).toString('base64url')}`;

/** A revoked token stops working at once in this process and within this long in others. */
export const TOKEN_CACHE_MS = 5000;

/** `last_used_at` is coarse: written at most this often per token (and process), never once per request. */
export const LAST_USED_EVERY_MS = 60_000;

/** What a token list shows: never the token, which only its create answer ever holds. */
export type TokenListItem = Pick<TokenInfo, 'id' | 'name' | 'hint' | 'createdAt' | 'lastUsedAt'>;

export function tokensRepo(db: Kysely<DB>) {
  const cache = new TtlCache<{ id: string; project_id: string | null; is_admin: number; kind: TokenKind; expires_at: number | null }>(TOKEN_CACHE_MS);
  /** Token id → when this process last wrote its `last_used_at`. */
  const touched = new Map<string, number>();
  return {
    /** Stores the hash of `token` (generated when absent) and returns the plain token once. */
    async create(input: { projectId: string | null; isAdmin?: boolean; name: string; token?: string }, now = Date.now()) {
      const token = input.token ?? generateToken(input.isAdmin);
      const id = newId('tok', now);
      await db
        .insertInto('tokens')
        .values({
          id,
          project_id: input.projectId,
          is_admin: input.isAdmin ? 1 : 0,
          name: input.name,
          token_hash: hashToken(token),
          hint: `${token.slice(0, 7)}…`,
          created_at: now,
          last_used_at: null,
        })
        .execute();
      const info: TokenInfo = {
        id,
        projectId: input.projectId,
        isAdmin: !!input.isAdmin,
        name: input.name,
        hint: `${token.slice(0, 7)}…`,
        createdAt: new Date(now).toISOString(),
        lastUsedAt: null,
      };
      return { token, info };
    },
    /**
     * Cached by the token as sent, so a hit costs no hash (1.6 µs a publish under load). Only
     * this process's memory holds the key, beside the secret key and the database password it
     * holds anyway; an entry is served at most TOKEN_CACHE_MS, and a deleted token's go at once.
     */
    async findByToken(token: string) {
      return cache.one(token, () => db.selectFrom('tokens').select(['id', 'project_id', 'is_admin', 'kind', 'expires_at']).where('token_hash', '=', hashToken(token)).executeTakeFirst());
    },
    async hasAdmin(): Promise<boolean> {
      const r = await db.selectFrom('tokens').select('id').where('is_admin', '=', 1).limit(1).executeTakeFirst();
      return !!r;
    },
    /** A project's tokens (not the admin token), oldest first. */
    async list(projectId: string, page: { limit: number; offset: number }): Promise<{ items: TokenListItem[]; total: number }> {
      // Portal links are tokens too, listed at /v1/portal-links instead.
      const base = db.selectFrom('tokens').where('project_id', '=', projectId).where('is_admin', '=', 0).where('kind', '=', 'api');
      return listPage(base, (q) => q.select(['id', 'name', 'hint', 'created_at', 'last_used_at']).orderBy('created_at').orderBy('id'), page, (r) => ({
        id: r.id,
        name: r.name,
        hint: r.hint,
        createdAt: new Date(Number(r.created_at)).toISOString(),
        lastUsedAt: r.last_used_at == null ? null : new Date(Number(r.last_used_at)).toISOString(),
      }));
    },
    /**
     * Records a use of token `id` unless this process did so less than a minute ago;
     * resolves whether it wrote.
     */
    async touch(id: string, now = Date.now()): Promise<boolean> {
      const last = touched.get(id);
      if (last !== undefined && now - last < LAST_USED_EVERY_MS) return false;
      touched.set(id, now);
      await db.updateTable('tokens').set({ last_used_at: now }).where('id', '=', id).execute();
      return true;
    },
    async get(id: string) {
      return db.selectFrom('tokens').select(['id', 'project_id', 'is_admin']).where('id', '=', id).executeTakeFirst();
    },
    async delete(id: string): Promise<boolean> {
      const r = await db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
      cache.deleteWhere((v) => v.id === id);
      touched.delete(id);
      return Number(r.numDeletedRows) > 0;
    },
  };
}
export type TokensRepo = ReturnType<typeof tokensRepo>;
