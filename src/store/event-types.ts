import type { Kysely } from 'kysely';
import type { DB } from './schema.js';
import { TtlCache } from '../core/ttl-cache.js';
import { listPage } from './query.js';

export interface EventType {
  name: string;
  description: string;
  category: string;
  createdAt: string;
}

export function eventTypesRepo(db: Kysely<DB>) {
  const cols = ['name', 'description', 'category', 'created_at'] as const;
  const to = (r: { name: string; description: string; category: string; created_at: number }): EventType => ({
    name: r.name,
    description: r.description,
    category: r.category,
    createdAt: new Date(r.created_at).toISOString(),
  });
  // Publish checks the type on every call; a deleted type may linger this long in other processes.
  const known = new TtlCache<true>(2000);
  return {
    /** Whether the project's catalog has this name (the publish check). */
    async exists(projectId: string, name: string): Promise<boolean> {
      const found = await known.one(`${projectId}\u0000${name}`, async () =>
        (await db.selectFrom('event_types').select('name').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst()) ? true : undefined,
      );
      return found === true;
    },
    async list(projectId: string, opts: { category?: string; limit: number; offset: number }) {
      let q = db.selectFrom('event_types').where('project_id', '=', projectId);
      if (opts.category) q = q.where('category', '=', opts.category);
      return listPage(q, (q) => q.select(cols).orderBy('name'), opts, to);
    },
    async names(projectId: string): Promise<string[]> {
      const rows = await db.selectFrom('event_types').select('name').where('project_id', '=', projectId).execute();
      return rows.map((r) => r.name);
    },
    async get(projectId: string, name: string) {
      const r = await db
        .selectFrom('event_types')
        .select(cols)
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return r && to(r);
    },
    async create(projectId: string, t: { name: string; description: string; category: string }, now = Date.now()) {
      await db.insertInto('event_types').values({ project_id: projectId, ...t, created_at: now }).execute();
      return (await this.get(projectId, t.name))!;
    },
    async update(projectId: string, name: string, patch: { description?: string; category?: string }) {
      if (patch.description === undefined && patch.category === undefined) return this.get(projectId, name);
      await db
        .updateTable('event_types')
        .set(patch)
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .execute();
      return this.get(projectId, name);
    },
    async delete(projectId: string, name: string): Promise<boolean> {
      const r = await db
        .deleteFrom('event_types')
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      known.delete(`${projectId}\u0000${name}`);
      return Number(r.numDeletedRows) > 0;
    },
  };
}
export type EventTypesRepo = ReturnType<typeof eventTypesRepo>;
