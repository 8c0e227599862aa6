import type { Kysely } from 'kysely';

/**
 * Portal links (SPEC §8) are a kind of token: stored hashed in `tokens` like any other,
 * revoked by deleting the row, with an expiry. Existing tokens are `api` and never expire.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('api')).execute();
  await db.schema.alterTable('tokens').addColumn('expires_at', 'bigint').execute();
  await db.schema.createIndex('tokens_project_kind_idx').on('tokens').columns(['project_id', 'kind']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
