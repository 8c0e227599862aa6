import { sql, type Kysely } from 'kysely';

/**
 * Scale-out and operations: FIFO webhooks (one delivery at a time, in publish order,
 * across all workers), per-project retention, and the PostgreSQL fallback for
 * cluster-wide endpoint limits (leases per webhook).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('ordering', 'varchar(16)', (c) => c.notNull().defaultTo('parallel')).execute();
  /** Copied from the webhook when the delivery is made: the claim needs no join to know. */
  await db.schema.alterTable('deliveries').addColumn('fifo', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // The head of a FIFO line: the oldest pending delivery of the webhook.
  await db.schema
    .createIndex('deliveries_fifo_idx')
    .on('deliveries')
    .columns(['webhook_id', 'created_at', 'id'])
    .where(sql.ref('fifo'), '=', 1)
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.alterTable('projects').addColumn('retention_days', 'integer', (c) => c.notNull().defaultTo(30)).execute();
  // Retention walks a project's old inbound requests by time (events and jobs have such an index).
  await db.schema.createIndex('inbound_requests_project_idx').on('inbound_requests').columns(['project_id', 'received_at']).execute();

  /** One row per in-flight request to a webhook's endpoint, across processes (no Redis). */
  await db.schema
    .createTable('endpoint_leases')
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('endpoint_leases_pk', ['webhook_id', 'holder'])
    .execute();
  /** Requests sent to a webhook's endpoint in the last second, across processes (no Redis). */
  await db.schema
    .createTable('endpoint_sends')
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('endpoint_sends_idx').on('endpoint_sends').columns(['webhook_id', 'sent_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
