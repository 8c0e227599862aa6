import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * PostgreSQL: events no longer carry a foreign key to their project. Hookbridge writes an
 * event only for a project it has just read (the caller's token, a source or an app names
 * it) and never deletes projects, so the key checked nothing the code does not; deliveries
 * and attempts never had one. Its check looked the project row up for every event inserted
 * and share-locked that row, which every concurrent publish batch of the project then
 * shared: 5–8 µs of the server per event in batches of 20, measured on the statement alone.
 * SQLite keeps the declaration (dropping it means rebuilding the table, and its check is an
 * index probe of under a microsecond).
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  // By catalog, not by name: 001 let PostgreSQL name the constraint.
  await sql
    .raw(
      `do $$
declare c text;
begin
  for c in select conname from pg_constraint where conrelid = 'events'::regclass and contype = 'f' loop
    execute format('alter table events drop constraint %I', c);
  end loop;
end $$`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
