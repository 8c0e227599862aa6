import type { Kysely } from 'kysely';

/**
 * Due rows per webhook: when some endpoints' lanes are full, the claim asks each other
 * webhook for its due rows through this index, instead of scanning past the full
 * lanes' backlog (which made every such claim O(backlog)).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('deliveries_webhook_due_idx').on('deliveries').columns(['status', 'webhook_id', 'next_attempt_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
