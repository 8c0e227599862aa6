import type { Kysely, Selectable } from 'kysely';
import type { DB, ProjectsTable } from './schema.js';
import { newId } from '../ids.js';
import { SEED_EVENT_TYPES } from '../core/catalog.js';
import { listPage } from './query.js';
import { TtlCache } from '../core/ttl-cache.js';
import { SETTINGS_CACHE_MS } from './webhooks.js';

export interface Project {
  id: string;
  name: string;
  headerPrefix: string;
  userAgent: string;
  isDefault: boolean;
  /** Days events, deliveries, attempts, inbound requests and finished jobs are kept. Default: 30 */
  retentionDays: number;
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_HEADER_PREFIX = 'Hookbridge';
export const DEFAULT_USER_AGENT = 'Hookbridge-Webhooks/1.0';

const toProject = (r: Selectable<ProjectsTable>): Project => ({
  id: r.id,
  name: r.name,
  headerPrefix: r.header_prefix,
  userAgent: r.user_agent,
  isDefault: r.is_default === 1,
  retentionDays: r.retention_days,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export function projectsRepo(db: Kysely<DB>) {
  const recent = new TtlCache<Project>(SETTINGS_CACHE_MS);
  return {
    async get(id: string): Promise<Project | undefined> {
      const r = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toProject(r);
    },
    /** For the worker: kept as webhooks' settings are (SETTINGS_CACHE_MS). */
    async byIds(ids: string[]): Promise<Map<string, Project>> {
      return recent.many(ids, async (missing) => {
        const rows = await db.selectFrom('projects').selectAll().where('id', 'in', missing).execute();
        return new Map(rows.map((r) => [r.id, toProject(r)]));
      });
    },
    async list(limit: number, offset: number): Promise<{ items: Project[]; total: number }> {
      return listPage(db.selectFrom('projects'), (q) => q.selectAll().orderBy('id'), { limit, offset }, toProject);
    },
    /** Creates the project and pre-loads the seed event catalog, in one transaction. */
    async create(input: { name: string; isDefault?: boolean; id?: string }, now = Date.now()): Promise<Project> {
      const id = input.id ?? newId('prj', now);
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('projects')
          .values({
            id,
            name: input.name,
            header_prefix: DEFAULT_HEADER_PREFIX,
            user_agent: DEFAULT_USER_AGENT,
            is_default: input.isDefault ? 1 : 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await tx
          .insertInto('event_types')
          .values(SEED_EVENT_TYPES.map((t) => ({ project_id: id, ...t, created_at: now })))
          .execute();
      });
      return (await this.get(id))!;
    },
    async update(id: string, patch: { name?: string; headerPrefix?: string; userAgent?: string; retentionDays?: number }, now = Date.now()) {
      await db
        .updateTable('projects')
        .set({
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.headerPrefix !== undefined && { header_prefix: patch.headerPrefix }),
          ...(patch.userAgent !== undefined && { user_agent: patch.userAgent }),
          ...(patch.retentionDays !== undefined && { retention_days: patch.retentionDays }),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      recent.delete(id);
      return this.get(id);
    },
  };
}
export type ProjectsRepo = ReturnType<typeof projectsRepo>;
