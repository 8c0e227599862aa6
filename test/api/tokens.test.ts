/**
 * Token listing (SPEC §2): `GET /v1/projects/{id}/tokens` (admin) and `GET /v1/tokens`
 * (the caller's project) show ids, names, hints and times — never a token — and
 * `lastUsedAt` is kept coarsely (written at most once a minute per token).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';
import { sleep } from '../helpers/wait.js';
import { API_ONLY, createProject, expectError, expectOk } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

async function issue(projectId: string, name: string) {
  return expectOk(await s.api('POST', `/v1/projects/${projectId}/tokens`, { body: { name } }), 201) as { id: string; token: string; hint: string; createdAt: string };
}

describe('listing tokens', () => {
  it('the admin lists a project\'s tokens: ids, names, hints and times, in the order issued, never a token', async () => {
    const p = await createProject(s, 'Listed');
    const ci = await issue(p.id, 'ci');
    const deploy = await issue(p.id, 'deploy');
    const other = await createProject(s, 'Other');

    const res = await s.api('GET', `/v1/projects/${p.id}/tokens`);
    const list = expectOk(res);
    expect(list).toEqual([
      { id: p.tokenId, name: 'default', hint: p.token.slice(0, 7) + '…', createdAt: expect.any(String), lastUsedAt: null },
      { id: ci.id, name: 'ci', hint: ci.hint, createdAt: ci.createdAt, lastUsedAt: null },
      { id: deploy.id, name: 'deploy', hint: deploy.hint, createdAt: deploy.createdAt, lastUsedAt: null },
    ]);
    expect(res.body.pagination).toEqual({ total: 3, limit: 50, offset: 0, hasMore: false });
    for (const secret of [p.token, ci.token, deploy.token, other.token, ADMIN_TOKEN]) expect(res.text).not.toContain(secret);
    // Paginated like every list.
    const second = await s.api('GET', `/v1/projects/${p.id}/tokens?limit=1&offset=1`);
    expect(expectOk(second).map((t: { id: string }) => t.id)).toEqual([ci.id]);
    expect(second.body.pagination).toEqual({ total: 3, limit: 1, offset: 1, hasMore: true });
  });

  it('a project token lists its own project\'s tokens at /v1/tokens, and nothing of another project', async () => {
    const p = await createProject(s, 'Own');
    const extra = await issue(p.id, 'extra');
    const other = await createProject(s, 'Neighbour');
    const res = await s.api('GET', '/v1/tokens', { token: p.token });
    expect(expectOk(res).map((t: { name: string }) => t.name)).toEqual(['default', 'extra']);
    expect(res.text).not.toContain(extra.token);
    expect(res.text).not.toContain(other.tokenId);

    expectError(await s.api('GET', `/v1/projects/${p.id}/tokens`, { token: p.token }), 403, 'FORBIDDEN');
    expectError(await s.api('GET', '/v1/projects/prj_nope/tokens'), 404, 'NOT_FOUND');
    expectError(await s.api('GET', '/v1/tokens', { token: null }), 401, 'UNAUTHORIZED');
    // The admin token lists the project it acts on.
    const viaHeader = expectOk(await s.api('GET', '/v1/tokens', { headers: { 'x-hookbridge-project': other.id } }));
    expect(viaHeader.map((t: { id: string }) => t.id)).toEqual([other.tokenId]);
  });

  it('a revoked token leaves the list', async () => {
    const p = await createProject(s, 'Revoke');
    const gone = await issue(p.id, 'gone');
    expect((await s.api('DELETE', `/v1/tokens/${gone.id}`)).status).toBe(204);
    expect(expectOk(await s.api('GET', `/v1/projects/${p.id}/tokens`)).map((t: { id: string }) => t.id)).toEqual([p.tokenId]);
  });
});

describe('lastUsedAt', () => {
  const lastUsed = async (projectId: string, tokenId: string) =>
    (expectOk(await s.api('GET', `/v1/projects/${projectId}/tokens`)) as Array<{ id: string; lastUsedAt: string | null }>).find((t) => t.id === tokenId)!
      .lastUsedAt;

  it('is set by the first use, then kept for a minute however many requests follow', async () => {
    const p = await createProject(s, 'Used');
    const unused = await issue(p.id, 'unused');
    expect(await lastUsed(p.id, p.tokenId)).toBeNull();

    const before = Date.now();
    expectOk(await s.api('GET', '/v1/project', { token: p.token }));
    const first = await lastUsed(p.id, p.tokenId);
    expect(first).not.toBeNull();
    expect(Date.parse(first!)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(first!)).toBeLessThanOrEqual(Date.now());

    // More requests within the minute do not move it: no write per request.
    await sleep(20);
    for (let i = 0; i < 20; i++) expectOk(await s.api('GET', '/v1/webhooks', { token: p.token }));
    expect(await lastUsed(p.id, p.tokenId)).toBe(first);
    expect(await lastUsed(p.id, unused.id)).toBeNull();

    // A minute later the next request records the new time.
    const later = Date.parse(first!) + 61_000;
    expect(await s.repos.tokens.touch(p.tokenId, later)).toBe(true);
    expect(await lastUsed(p.id, p.tokenId)).toBe(new Date(later).toISOString());
    expect(await s.repos.tokens.touch(p.tokenId, later + 30_000)).toBe(false);
    expect(await lastUsed(p.id, p.tokenId)).toBe(new Date(later).toISOString());
  });
});
