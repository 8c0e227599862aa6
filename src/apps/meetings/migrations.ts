import type { Kysely, Migration } from 'kysely';

/**
 * The meetings app's history table. Databases made before apps had their own
 * migrations already have it (the core's 002 created it then), hence `ifNotExists`.
 */
const m001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('meetings')
      .ifNotExists()
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('source_id', 'varchar(64)')
      .addColumn('channel_id', 'varchar(200)', (c) => c.notNull())
      .addColumn('channel_name', 'text')
      .addColumn('channel_type', 'varchar(8)')
      .addColumn('user_id', 'varchar(200)', (c) => c.notNull())
      .addColumn('username', 'text')
      .addColumn('operation_type', 'varchar(32)')
      .addColumn('title', 'text')
      .addColumn('provider', 'varchar(32)', (c) => c.notNull())
      .addColumn('room_id', 'varchar(200)')
      .addColumn('room_name', 'text')
      .addColumn('room_url', 'text')
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('error', 'text')
      /** The plugin's whole request body, unknown fields included. */
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('meetings_project_idx').ifNotExists().on('meetings').columns(['project_id', 'created_at']).execute();
    await db.schema.createIndex('meetings_user_idx').ifNotExists().on('meetings').columns(['project_id', 'user_id', 'created_at']).execute();
  },
};

/** Every request is kept with the HTTP status it got, refusals included. */
const m002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('meetings').addColumn('answer_status', 'integer').execute();
    // Rows from before: created ones answered 200, failed ones an error (502 is the usual).
    await db.updateTable('meetings').set({ answer_status: 200 }).where('status', '=', 'created').execute();
  },
};

export const meetingsMigrations: Record<string, Migration> = { app_meetings_001: m001, app_meetings_002: m002 };
