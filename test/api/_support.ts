/** Small shared assertions for the API suite (not a test file itself). */
import { expect } from 'vitest';
import type { ApiResponse, TestServer } from '../helpers/server.js';

/** The seed 001 error envelope with the given status and code; returns the error object. */
export function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, res.text).toEqual({ status, code });
  expect(res.body.success).toBe(false);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(5);
  expect(Array.isArray(res.body.error.details)).toBe(true);
  return res.body.error as { code: string; message: string; details: any[] };
}

/** Asserts a success answer with the given status; returns `data`. */
export function expectOk(res: ApiResponse, status = 200) {
  expect(res.status, res.text).toBe(status);
  expect(res.body?.success).toBe(true);
  return res.body.data;
}

/** A new project (admin call) with its first token. */
export async function createProject(s: TestServer, name: string): Promise<{ id: string; token: string; tokenId: string }> {
  const data = expectOk(await s.api('POST', '/v1/projects', { body: { name } }), 201);
  return { id: data.id, token: data.token.token, tokenId: data.token.id };
}

/** Creates a webhook (defaults: public URL, message.created) and returns its data. */
export async function createWebhook(s: TestServer, body: Record<string, unknown> = {}, token?: string) {
  const res = await s.api('POST', '/v1/webhooks', {
    token,
    body: { name: 'hook', url: 'https://example.com/hook', events: ['message.created'], ...body },
  });
  return expectOk(res, 201);
}

/** Total of a paginated list. */
export async function totalOf(s: TestServer, path: string, token?: string): Promise<number> {
  const res = await s.api('GET', path, { token });
  expect(res.status, res.text).toBe(200);
  return res.body.pagination.total;
}

/**
 * Issue 2 is the API: these suites run API-only servers so published deliveries stay
 * `pending` and nothing is sent to the (unreachable) example URLs.
 */
export const API_ONLY = { HOOKBRIDGE_ROLE: 'api' } as const;
