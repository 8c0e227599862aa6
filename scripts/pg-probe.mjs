/** Whether PostgreSQL answers: used by `npm run test:pg` and by the test suite's PostgreSQL check. */
import pg from 'pg';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The URL without credentials, for messages. */
export const shown = (url) => url.replace(/\/\/[^@]*@/, '//');

/** Undefined when `select 1` answers within 3 s, else why not, in words. */
export async function probePostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {
    /* a late socket error after a failed connect; the rejection below already says why */
  });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return `${shown(url)} is not reachable (${[err?.code, err?.message].filter(Boolean).join(': ') || String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
