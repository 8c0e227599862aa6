/** Small API helpers shared by delivery tests: webhooks on their own channel, publish, wait. */
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestServer, type TestServer } from './server.js';
import { startReceiver, type Receiver, type Responder } from './receiver.js';

/** A server (fresh database) for the whole test file: `set` gets it once it is up; stopped and dropped after. */
export function withServer(set: (s: TestServer) => void, env: Record<string, string> = {}): void {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(env);
    set(server);
  });
  afterAll(async () => server?.stop());
}

/** A loopback receiver for the whole test file, closed after it. */
export function withReceiver(set: (r: Receiver) => void, respond?: Responder): void {
  let rcv: Receiver | undefined;
  beforeAll(async () => {
    rcv = await startReceiver(respond);
    set(rcv);
  });
  afterAll(async () => rcv?.close());
}

/** Receivers made by tests as they need them, all closed after the file. */
export function receiverPool(): (respond?: Responder, hold?: (n: number) => number) => Promise<Receiver> {
  const all: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(all.map((r) => r.close()));
  });
  return async (respond, hold) => {
    const r = await startReceiver(respond, hold);
    all.push(r);
    return r;
  };
}

export interface Channel {
  name: string;
  webhook(url: string, extra?: Record<string, unknown>): Promise<any>;
  publish(data?: unknown, type?: string): Promise<any>;
}

/** A webhook per channel keeps tests in one server from seeing each other's deliveries. */
export function channel(s: TestServer): Channel {
  const name = `c${Math.random().toString(36).slice(2)}`;
  return {
    name,
    async webhook(url, extra = {}) {
      const r = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'], channels: [name], ...extra } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.data;
    },
    async publish(data = { n: 1 }, type = 'message.created') {
      const r = await s.api('POST', '/v1/events', { body: { type, data, channels: [name] } });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return r.body.data;
    },
  };
}

export async function waitForDelivery(s: TestServer, deliveryId: string, status: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.api('GET', `/v1/deliveries/${deliveryId}`);
    if (r.body.data.status === status) return r.body.data;
    if (Date.now() > deadline) throw new Error(`delivery ${deliveryId} is ${r.body.data.status}, expected ${status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
