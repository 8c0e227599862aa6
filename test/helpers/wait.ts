/** Bounded waiting and free loopback ports, for tests that drive processes and servers. */
import net from 'node:net';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * A port that was free a moment ago on 127.0.0.1, below the kernel's ephemeral range
 * (32768–60999 on Linux). A port from `listen(0)` comes from that range, which is also where
 * outgoing connections get their local ports: with the suites' many database and HTTP
 * connections, one took such a port between this check and the server's listen (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port in 20000–31999 on 127.0.0.1');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
