/**
 * A PostgreSQL `DATABASE_URL` read once, the same way by the configuration check and by
 * the store: what pg connects to, and the schema Hookbridge's tables live in.
 * Pure: no connection is made here.
 */

export interface PostgresTarget {
  /** The URL without `?schema=`, for pg. */
  connectionString: string;
  /** `?schema=name`; undefined: the connection's search_path. */
  schema?: string;
}

/** What PostgreSQL takes as an unquoted identifier, lowercase, at most 63 characters. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The target of a `postgres://…` URL, or why it is not one (a sentence naming the part at fault, never the password). */
export function postgresTarget(databaseUrl: string): PostgresTarget | { problem: string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return { problem: 'not a valid URL: expected postgres://user@host:port/database' };
  }
  const given = url.searchParams.getAll('schema');
  url.searchParams.delete('schema');
  const connectionString = url.toString();
  if (!given.length) return { connectionString };
  if (given.length > 1) return { problem: `?schema= is given ${given.length} times: name one schema` };
  const [schema] = given;
  // An empty value would quietly mean "no schema" (the search_path, usually public): almost always a typo.
  if (schema === '') return { problem: '?schema= is empty: name the schema (e.g. ?schema=hookbridge), or leave the parameter out to use the search_path' };
  if (!SCHEMA_NAME.test(schema)) return { problem: `?schema=${JSON.stringify(schema)}: use lowercase letters, digits and _ (at most 63, not starting with a digit)` };
  return { connectionString, schema };
}
