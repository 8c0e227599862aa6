/** Small API helpers shared by delivery tests: webhooks on their own channel, publish, wait. */
import { expect } from 'vitest';
import type { TestServer } from './server.js';

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
