/** A real HTTP receiver on loopback that records every request it gets. */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (req: Received, index: number) => { status?: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang' | 'destroy';

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  respond: Responder;
  /** The most requests this receiver held at once: read in full, not answered yet (a hanging one stays held). */
  peakInFlight: number;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * `hold(n)`: ms to leave the n-th request (0-based, in the order they come in) unread, as
 * if it were held up on the way; it is stamped (`at`) when it is read.
 */
export async function startReceiver(respond: Responder = () => ({ status: 200, body: 'OK' }), hold?: (n: number) => number): Promise<Receiver> {
  const requests: Received[] = [];
  let started = 0;
  const waiters: Array<() => void> = [];
  const hanging = new Set<http.ServerResponse>();
  const rcv = { requests, respond, peakInFlight: 0 } as Receiver;
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const held = hold?.(started++) ?? 0;
    if (held > 0) {
      req.pause();
      setTimeout(() => req.resume(), held);
    }
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = requests.push(r) - 1;
      waiters.splice(0).forEach((w) => w());
      rcv.peakInFlight = Math.max(rcv.peakInFlight, ++inFlight);
      const answer = rcv.respond(r, index);
      if (answer === 'hang') return void hanging.add(res);
      if (answer === 'destroy') return void (inFlight--, req.socket.destroy());
      const send = () => {
        inFlight--;
        res.writeHead(answer.status ?? 200, answer.headers ?? {});
        res.end(answer.body ?? 'OK');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  rcv.port = port;
  rcv.url = `http://127.0.0.1:${port}`;
  rcv.waitFor = async (count, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (requests.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver got ${requests.length} requests, expected ${count} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return requests;
  };
  rcv.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return rcv;
}

/**
 * The bench's receiver (bench/receiver.mjs) in a process of its own: it answers 200 at once
 * and stamps each event's first arrival there. For tests that judge arrival times while
 * this process also runs the servers under test: a receiver in here would stamp late
 * whenever this process stalls, and requests it had not read yet would look simultaneous.
 */
export interface OutsideReceiver {
  url: string;
  /** Every event's first arrival time (ms since the epoch), oldest first. */
  times(): Promise<number[]>;
  /** Requests received, and distinct events among them. */
  stats(): Promise<{ requests: number; unique: number }>;
  /** The arrival times once `count` events have arrived (throws after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<number[]>;
  close(): void;
}

export async function startOutsideReceiver(): Promise<OutsideReceiver> {
  const script = fileURLToPath(new URL('../../bench/receiver.mjs', import.meta.url));
  const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { type?: string; port?: number }) => (m.type === 'ready' ? resolve(m.port!) : reject(new Error(`receiver said ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const get = async <T>(p: string) => (await (await fetch(base + p)).json()) as T;
  const times = async () => Object.values(await get<Record<string, number>>('/__times')).sort((a, b) => a - b);
  return {
    url: `${base}/hook`,
    times,
    stats: () => get('/__stats'),
    async waitFor(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = await times();
        if (at.length >= count) return at;
        if (Date.now() > deadline) throw new Error(`receiver got ${at.length} events, expected ${count} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => void child.kill(),
  };
}

/**
 * The most arrivals in any one second of `at` (sorted), and the arrivals around that
 * second in ms after the first — on a failure they tell a burst from a stall.
 */
export function worstSecond(at: number[]): { count: number; around: string } {
  let count = 0;
  let from = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    if (i - j + 1 > count) [count, from] = [i - j + 1, j];
  }
  const around = at.slice(Math.max(0, from - 3), from + count + 3).map((t) => Math.round(t - at[0]!));
  return { count, around: around.join(' ') };
}
