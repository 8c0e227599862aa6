import type { Kysely, Migration } from 'kysely';

/** The rating app's tables: contacts linked to chats, issues it has seen, rating requests, and the webhook log. */
const m001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('okdesk_contacts')
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('contact_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('telegram_chat_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('phone', 'varchar(32)')
      .addColumn('name', 'text')
      /** `bot` (shared their phone) or `api` (an operator linked them). */
      .addColumn('linked_by', 'varchar(8)', (c) => c.notNull())
      .addColumn('linked_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('okdesk_contacts_pk', ['project_id', 'contact_id'])
      .execute();
    await db.schema.createIndex('okdesk_contacts_chat_idx').on('okdesk_contacts').columns(['project_id', 'telegram_chat_id']).execute();

    await db.schema
      .createTable('okdesk_issues')
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('issue_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('title', 'text')
      .addColumn('contact_id', 'varchar(64)')
      /** The chat that created it through the bot, if any. */
      .addColumn('chat_id', 'varchar(64)')
      .addColumn('label', 'text')
      .addColumn('status_code', 'varchar(64)')
      /** 1 while the status is a rating status. */
      .addColumn('resolved', 'integer', (c) => c.notNull())
      /** How many times it was resolved: one rating request each. */
      .addColumn('resolutions', 'integer', (c) => c.notNull())
      .addColumn('issue_created_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('okdesk_issues_pk', ['project_id', 'issue_id'])
      .execute();

    await db.schema
      .createTable('okdesk_ratings')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('issue_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('resolution', 'integer', (c) => c.notNull())
      .addColumn('title', 'text')
      .addColumn('label', 'text')
      .addColumn('contact_id', 'varchar(64)')
      .addColumn('chat_id', 'varchar(64)')
      /** pending (to send) → sent → rated; no_chat: the contact has no linked chat; blocked: Telegram refused. */
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('score', 'integer')
      .addColumn('message_id', 'bigint')
      .addColumn('issue_created_at', 'bigint')
      .addColumn('resolved_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .addColumn('rated_at', 'bigint')
      .execute();
    await db.schema.createIndex('okdesk_ratings_resolution_uq').on('okdesk_ratings').columns(['project_id', 'issue_id', 'resolution']).unique().execute();
    await db.schema.createIndex('okdesk_ratings_time_idx').on('okdesk_ratings').columns(['project_id', 'resolved_at']).execute();

    await db.schema
      .createTable('okdesk_webhooks')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('event_type', 'varchar(100)')
      .addColumn('issue_id', 'varchar(64)')
      /** accepted, ignored (an event type the app does not use) or invalid (400). */
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('okdesk_webhooks_time_idx').on('okdesk_webhooks').columns(['project_id', 'received_at']).execute();
  },
};

export const okdeskRatingMigrations: Record<string, Migration> = { app_okdesk_rating_001: m001 };
