import type { Kysely } from 'kysely';

/**
 * Test sends (`POST /v1/webhooks/{id}/test`) are stored as events so the worker can send
 * them, but they are not events of the project: marked here, they stay out of the event
 * log and are never replayed to other webhooks.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').addColumn('test', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
