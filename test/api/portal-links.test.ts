/**
 * Portal links: a project hands its customer a link to the dashboard for that project only.
 * The credential is a token kind: hashed at rest, expiring, revocable, and scoped by the
 * API itself (other projects, admin routes and portal links are out of its reach).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createProject, createWebhook, expectError, expectOk } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

/** Creates a link with `token` and returns it with the credential read out of its URL. */
async function portalLink(token: string | undefined, body: unknown = {}, headers: Record<string, string> = {}) {
  const data = expectOk(await s.api('POST', '/v1/portal-links', { token, body, headers }), 201);
  const url = new URL(data.url);
  const credential = new URLSearchParams(url.hash.slice(1)).get('token')!;
  return { ...data, credential, parsed: url };
}

describe('POST /v1/portal-links', () => {
  it('answers 201 {id, url, expiresAt}: a /portal URL on the host the caller used, the credential in the fragment, an hour by default', async () => {
    const before = Date.now();
    const link = await portalLink(undefined);
    expect(link.id).toMatch(/^tok_/);
    expect(link.parsed.origin).toBe(s.url);
    expect(link.parsed.pathname).toBe('/portal');
    expect(link.parsed.search).toBe('');
    expect(link.credential).toMatch(/^hbp_[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(link.expiresAt) - before;
    expect(ttl).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(3600_000 + 5000);
  });

  it('expiresIn sets the lifetime; over 7 days, under 1 s, a non-integer, or an unknown field is a 422 naming it', async () => {
    const week = await portalLink(undefined, { expiresIn: 7 * 86400 });
    expect(Date.parse(week.expiresAt) - Date.now()).toBeGreaterThan(7 * 86400_000 - 10_000);
    for (const expiresIn of [7 * 86400 + 1, 0, -5, 1.5, '60']) {
      const err = expectError(await s.api('POST', '/v1/portal-links', { body: { expiresIn } }), 422, 'VALIDATION_ERROR');
      expect(JSON.stringify(err.details)).toContain('expiresIn');
    }
    const typo = expectError(await s.api('POST', '/v1/portal-links', { body: { expires_in: 60 } }), 422, 'VALIDATION_ERROR');
    expect(typo.details[0].field).toBe('expires_in');
  });

  it('the credential is stored only as a hash', async () => {
    const link = await portalLink(undefined);
    if (!s.db.file) return; // PostgreSQL: the hashing is the same code path
    const bytes = fs.readFileSync(s.db.file).toString('latin1') + (fs.existsSync(`${s.db.file}-wal`) ? fs.readFileSync(`${s.db.file}-wal`).toString('latin1') : '');
    expect(bytes).not.toContain(link.credential);
  });

  it('needs a token', async () => {
    expectError(await s.api('POST', '/v1/portal-links', { token: null, body: {} }), 401, 'UNAUTHORIZED');
  });
});

describe('what a portal credential can do', () => {
  it("sees its project's webhooks, deliveries, stats and catalog, can test, rotate and preview — and nothing of another project", async () => {
    const mine = await createProject(s, 'Customer A');
    const other = await createProject(s, 'Customer B');
    const hook = await createWebhook(s, { name: 'A hook' }, mine.token);
    const foreign = await createWebhook(s, { name: 'B hook' }, other.token);
    const { credential } = await portalLink(mine.token);

    expect(expectOk(await s.api('GET', '/v1/project', { token: credential })).id).toBe(mine.id);
    const list = expectOk(await s.api('GET', '/v1/webhooks', { token: credential }));
    expect(list.map((w: { id: string }) => w.id)).toEqual([hook.id]);
    expectOk(await s.api('GET', `/v1/webhooks/${hook.id}/logs`, { token: credential }));
    expectOk(await s.api('GET', `/v1/webhooks/${hook.id}/stats`, { token: credential }));
    expectOk(await s.api('GET', '/v1/deliveries?status=failed', { token: credential }));
    expectOk(await s.api('GET', '/v1/event-types?limit=5', { token: credential }));
    expectOk(await s.api('GET', `/v1/stats/series?webhookId=${hook.id}`, { token: credential }));
    const rotated = expectOk(await s.api('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { token: credential }));
    expect(rotated.secret).toMatch(/^whsec_/);
    expectOk(await s.api('POST', '/v1/webhooks/preview', { token: credential, body: { url: 'https://example.com/x', event: { type: 'message.created' } } }));

    // Another project's webhook is not there; naming the other project changes nothing.
    expectError(await s.api('GET', `/v1/webhooks/${foreign.id}`, { token: credential }), 404, 'NOT_FOUND');
    expectError(await s.api('GET', `/v1/stats/series?webhookId=${foreign.id}`, { token: credential }), 404, 'NOT_FOUND');
    const named = await s.api('GET', '/v1/webhooks', { token: credential, headers: { 'x-hookbridge-project': other.id } });
    expect(expectOk(named).map((w: { id: string }) => w.id)).toEqual([hook.id]);
  });

  it('cannot call admin routes, manage tokens or portal links, change the project, or reach sources, spaces, jobs or events', async () => {
    const mine = await createProject(s, 'Scoped');
    const { credential } = await portalLink(mine.token);
    const forbidden: Array<[string, string, unknown?]> = [
      ['GET', '/v1/projects'],
      ['POST', '/v1/projects', { name: 'x' }],
      ['POST', `/v1/projects/${mine.id}/tokens`, {}],
      ['DELETE', `/v1/tokens/${mine.tokenId}`],
      ['POST', '/v1/portal-links', {}],
      ['GET', '/v1/portal-links'],
      ['DELETE', '/v1/portal-links/tok_x'],
      ['PUT', '/v1/project', { name: 'taken over' }],
      ['POST', '/v1/event-types', { name: 'x.y' }],
      ['GET', '/v1/sources'],
      ['GET', '/v1/spaces'],
      ['POST', '/v1/spaces/s1/webhook', { url: 'https://example.com/s' }],
      ['GET', '/v1/jobs'],
      ['POST', '/v1/events', { type: 'message.created', data: {} }],
      ['GET', '/v1/meetings'],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await s.api(method, path, { token: credential, body });
      expect({ path: `${method} ${path}`, status: res.status, code: res.body?.error?.code }).toEqual({ path: `${method} ${path}`, status: 403, code: 'FORBIDDEN' });
    }
    // Nothing changed: the project token still works and the project kept its name.
    expect(expectOk(await s.api('GET', '/v1/project', { token: mine.token })).name).toBe('Scoped');
  });
});

describe('expiry and revocation', () => {
  it('an expired link answers 401', async () => {
    const mine = await createProject(s, 'Expiring');
    const link = await portalLink(mine.token, { expiresIn: 1 });
    expectOk(await s.api('GET', '/v1/webhooks', { token: link.credential }));
    await new Promise((r) => setTimeout(r, Date.parse(link.expiresAt) - Date.now() + 50));
    const err = expectError(await s.api('GET', '/v1/webhooks', { token: link.credential }), 401, 'UNAUTHORIZED');
    expect(err.message).toMatch(/expired/);
    const listed = expectOk(await s.api('GET', '/v1/portal-links', { token: mine.token }));
    expect(listed.find((l: { id: string }) => l.id === link.id)).toMatchObject({ expired: true });
  });

  it('GET lists the project\'s links without the credential; DELETE revokes one (401 at once), and 404 for another project\'s', async () => {
    const mine = await createProject(s, 'Revoking');
    const other = await createProject(s, 'Bystander');
    const link = await portalLink(mine.token);
    const theirs = await portalLink(other.token);
    const res = await s.api('GET', '/v1/portal-links', { token: mine.token });
    const listed = expectOk(res);
    expect(listed).toEqual([{ id: link.id, hint: expect.stringMatching(/^hbp_/), createdAt: expect.any(String), expiresAt: link.expiresAt, expired: false }]);
    expect(res.text).not.toContain(link.credential);
    expect(res.body.pagination).toMatchObject({ total: 1 });
    // Not a project token: the token lists leave it out.
    const tokens = expectOk(await s.api('GET', '/v1/tokens', { token: mine.token }));
    expect(tokens.map((t: { id: string }) => t.id)).toEqual([mine.tokenId]);

    expectError(await s.api('DELETE', `/v1/portal-links/${theirs.id}`, { token: mine.token }), 404, 'NOT_FOUND');
    expectOk(await s.api('GET', '/v1/project', { token: theirs.credential }));

    expectOk(await s.api('GET', '/v1/webhooks', { token: link.credential }));
    expect((await s.api('DELETE', `/v1/portal-links/${link.id}`, { token: mine.token })).status).toBe(204);
    expectError(await s.api('GET', '/v1/webhooks', { token: link.credential }), 401, 'UNAUTHORIZED');
    expectError(await s.api('DELETE', `/v1/portal-links/${link.id}`, { token: mine.token }), 404, 'NOT_FOUND');
    expect(expectOk(await s.api('GET', '/v1/portal-links', { token: mine.token }))).toEqual([]);
  });

  it('a link is revocable like a token (DELETE /v1/tokens/{id}), and the admin makes links for the project it names', async () => {
    const mine = await createProject(s, 'AdminMade');
    const link = await portalLink(undefined, {}, { 'x-hookbridge-project': mine.id });
    expect(expectOk(await s.api('GET', '/v1/project', { token: link.credential })).id).toBe(mine.id);
    expect((await s.api('DELETE', `/v1/tokens/${link.id}`, { token: mine.token })).status).toBe(204);
    expectError(await s.api('GET', '/v1/project', { token: link.credential }), 401, 'UNAUTHORIZED');
  });
});
