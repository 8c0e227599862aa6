/**
 * Requests that race each other on one item: a write or a read-back against a delete of the
 * same webhook, space webhook or source; two deletes; the same event type created at once.
 * Each request answers as if it came first or second — 2xx or 404/409 with the envelope,
 * never a 500 (on PostgreSQL, where requests really run side by side, the write used to
 * read back nothing and fail). Dates at the edge of what JavaScript can hold are a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';
import { API_ONLY, createWebhook } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

const ROUNDS = 8;

/** Every answer is one of `allowed`, and a 4xx carries the envelope. */
function expectAnswers(answers: ApiResponse[], allowed: number[], what: string) {
  for (const r of answers) {
    expect(allowed, `${what}: ${r.status} ${r.text}`).toContain(r.status);
    if (r.status >= 400) expect(r.body?.error?.code, `${what}: ${r.text}`).toMatch(/^(NOT_FOUND|CONFLICT)$/);
  }
}

describe('writes racing a delete of the same item', () => {
  it('webhooks: update, rotate, test send and a second delete answer 2xx or 404, and one delete wins', async () => {
    await s.api('POST', '/v1/event-types', { body: { name: 'race.test' } });
    for (let round = 0; round < ROUNDS; round++) {
      const w = await createWebhook(s, { url: 'http://127.0.0.1:9/race', events: ['race.test'] });
      const path = `/v1/webhooks/${w.id}`;
      const [del1, del2, put, rotate, test] = await Promise.all([
        s.api('DELETE', path),
        s.api('DELETE', path),
        s.api('PUT', path, { body: { name: `renamed ${round}` } }),
        s.api('POST', `${path}/rotate-secret`),
        s.api('POST', `${path}/test`, { body: { eventType: 'race.test' } }),
      ]);
      expectAnswers([del1, del2], [204, 404], 'delete');
      expect([del1.status, del2.status].filter((x) => x === 204), 'exactly one delete removes it').toHaveLength(1);
      expectAnswers([put, rotate, test], [200, 404], 'write beside the delete');
      expect((await s.api('GET', path)).status).toBe(404);
    }
  });

  it('space webhooks: update, refresh-secret and a second delete answer 2xx or 404', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const path = `/v1/spaces/race-${round}/webhook`;
      expect((await s.api('POST', path, { body: { url: 'http://127.0.0.1:9/space' } })).status).toBe(200);
      const [del1, del2, put, refresh] = await Promise.all([
        s.api('DELETE', path),
        s.api('DELETE', path),
        s.api('PUT', path, { body: { isActive: false } }),
        s.api('PUT', `${path}/refresh-secret`),
      ]);
      expectAnswers([del1, del2], [204, 404], 'delete');
      expect([del1.status, del2.status].filter((x) => x === 204)).toHaveLength(1);
      expectAnswers([put, refresh], [200, 404], 'write beside the delete');
    }
  });

  it('sources: an update and a second delete answer 2xx or 404', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const src = await s.api('POST', '/v1/sources', { body: { name: `race ${round}`, path: `race-${round}`, verification: { type: 'none' }, action: { type: 'publish', eventType: 'race.test' } } });
      expect(src.status, src.text).toBe(201);
      const path = `/v1/sources/${src.body.data.id}`;
      const [del1, del2, put] = await Promise.all([s.api('DELETE', path), s.api('DELETE', path), s.api('PUT', path, { body: { name: 'renamed' } })]);
      expectAnswers([del1, del2], [204, 404], 'delete');
      expect([del1.status, del2.status].filter((x) => x === 204)).toHaveLength(1);
      expectAnswers([put], [200, 404], 'update beside the delete');
    }
  });
});

describe('the same thing created at once', () => {
  it('one event type made by 12 requests at once: one 201, the others 409', async () => {
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 12 }, () => s.api('POST', '/v1/event-types', { body: { name: `dup.round${round}` } })));
      expectAnswers(answers, [201, 409], 'create');
      expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of answers.filter((r) => r.status === 409)) expect(r.body.error.message).toContain(`dup.round${round}`);
    }
  });
});

describe('dates at the edge of what JavaScript holds', () => {
  it('stats and series with an endDate whose default window would start before it are a 400, not a 500', async () => {
    const w = await createWebhook(s);
    for (const end of ['-271821-04-20T00:00:00Z', '-271821-04-20T12:00:00Z', '+275760-09-13T00:00:00Z', '1969-12-31']) {
      for (const path of [`/v1/webhooks/${w.id}/stats?endDate=${encodeURIComponent(end)}`, `/v1/stats/series?endDate=${encodeURIComponent(end)}`]) {
        const r = await s.api('GET', path);
        expect(r.status, `${path}: ${r.text}`).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_ERROR');
      }
    }
    // Not a date at all, though Date.parse would read one: refused too.
    expect((await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since: '1' } })).status).toBe(422);
    // What the API documents still works: a day, a date-time, with an offset.
    for (const end of ['2026-01-02', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.678+03:00', '2026-01-02T03:04']) {
      expect((await s.api('GET', `/v1/webhooks/${w.id}/stats?endDate=${encodeURIComponent(end)}`)).status, end).toBe(200);
    }
  });

  it('a day that is not on the calendar (2026-02-30, 2025-02-29, 2026-04-31) is refused like any bad date, not read as early next month', async () => {
    const w = await createWebhook(s);
    for (const day of ['2026-02-30', '2025-02-29', '2026-04-31', '2026-02-30T10:00:00Z', '2026-06-31T00:00:00+03:00']) {
      const q = encodeURIComponent(day);
      for (const path of [`/v1/webhooks/${w.id}/stats?startDate=${q}&endDate=2026-12-01`, `/v1/webhooks/${w.id}/stats?endDate=${q}`, `/v1/stats/series?startDate=${q}&endDate=2026-12-01`, `/v1/stats/series?endDate=${q}`]) {
        const r = await s.api('GET', path);
        expect(r.status, `${path}: ${r.text}`).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_ERROR');
      }
      expect((await s.api('POST', `/v1/webhooks/${w.id}/replay`, { body: { since: day } })).status, day).toBe(422);
    }
    // The last day of each month, a leap day in a leap year, still are dates.
    for (const day of ['2024-02-29', '2026-02-28', '2026-04-30', '2026-12-31T23:59:59Z']) {
      const r = await s.api('GET', `/v1/stats/series?startDate=${encodeURIComponent(day)}&endDate=2027-01-01`);
      expect(r.status, `${day}: ${r.text}`).toBe(200);
      expect(r.body.data.period.startDate.slice(0, 10)).toBe(day.slice(0, 10));
    }
  });
});
