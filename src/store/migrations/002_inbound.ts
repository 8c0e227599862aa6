import { sql, type Kysely } from 'kysely';

/** Inbound sources and the requests they accepted. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sources')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    /** Mount point: `/webhook/{path}`, or an absolute path (`/…`) for built-in apps. Unique across projects. */
    .addColumn('path', 'varchar(500)', (c) => c.notNull().unique())
    /** JSON, sealed with the secret box (it holds tokens, passwords and HMAC secrets). */
    .addColumn('verification_enc', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('allowed_origins', 'text', (c) => c.notNull())
    .addColumn('rate_limit', 'text')
    .addColumn('dedupe', 'text')
    .addColumn('body_limit', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sources_project_idx').on('sources').columns(['project_id', 'created_at']).execute();

  await db.schema
    .createTable('inbound_requests')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('source_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('method', 'varchar(16)', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    /** `utf8` or `base64` (a body that is not valid UTF-8). */
    .addColumn('body_encoding', 'varchar(8)', (c) => c.notNull())
    .addColumn('verification', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'varchar(500)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('action_result', 'text')
    .addColumn('error', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('inbound_requests_dedupe_uq')
    .on('inbound_requests')
    .columns(['source_id', 'dedupe_key'])
    .unique()
    .where(sql.ref('dedupe_key'), 'is not', null)
    .execute();
  await db.schema.createIndex('inbound_requests_source_idx').on('inbound_requests').columns(['source_id', 'received_at']).execute();
  // The meetings app's table moved to the meetings app's own migration,
  // which creates it only where this migration, in its first form, did not.
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
