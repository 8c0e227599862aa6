/**
 * PostgreSQL LISTEN/NOTIFY wake-ups: an `api` process publishing an event wakes the
 * `worker` processes at once instead of at their next poll.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export const CHANNEL = 'hookbridge_deliveries';

/**
 * The payload is the sender's tag: a listener ignores its own server's notifications
 * (that server woke its worker in-process already), so a publish does not wake its own
 * worker twice.
 */
export async function notifyDeliveries(pool: pg.Pool, tag: string): Promise<void> {
  await pool.query(`select pg_notify('${CHANNEL}', $1)`, [tag]);
}

/** Listens until closed; reconnects (bounded back-off) when the connection drops. */
export function listenForDeliveries(config: pg.ClientConfig, onNotify: () => void, logger: Logger, ownTag?: string) {
  let client: pg.Client | undefined;
  let closed = false;
  let delay = 250;
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client(config);
    c.on('notification', (msg) => {
      if (!ownTag || msg.payload !== ownTag) onNotify();
    });
    c.on('error', (err) => {
      logger.warn({ err }, 'LISTEN connection lost; reconnecting');
      c.end().catch(() => {});
      if (!closed) setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, 5000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (closed) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      delay = 250;
      onNotify(); // anything published while we were away
    } catch (err) {
      logger.warn({ err }, 'LISTEN failed; retrying');
      c.end().catch(() => {});
      if (!closed) setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, 5000);
    }
  };
  void connect();
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
