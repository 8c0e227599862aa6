/** /v1/sources: CRUD, masking, validation, path uniqueness and project isolation (SPEC §2, §5b). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createProject, expectError, expectOk } from '../api/_support.js';
import { send } from './_support.js';

let s: TestServer;
let A: { id: string; token: string };
let B: { id: string; token: string };
beforeAll(async () => {
  s = await startTestServer({ HOOKBRIDGE_ROLE: 'api' });
  A = await createProject(s, 'Inbound A');
  B = await createProject(s, 'Inbound B');
});
afterAll(async () => s?.stop());

const github = { type: 'github', secret: 'gh_secret_value_1234' };

describe('/v1/sources CRUD', () => {
  it('creates with defaults, reveals the secret once, masks it on every read', async () => {
    const created = expectOk(
      await s.api('POST', '/v1/sources', { token: A.token, body: { name: 'GitHub', path: 'github', verification: github, action: { type: 'publish', eventType: 'message.created' } } }),
      201,
    );
    expect(created).toMatchObject({
      id: expect.stringMatching(/^src_/),
      name: 'GitHub',
      path: 'github',
      url: '/webhook/github',
      verification: github,
      action: { type: 'publish', eventType: 'message.created' },
      allowedOrigins: [],
      rateLimit: null,
      dedupe: null,
      bodyLimit: 262144,
      active: true,
    });
    const read = expectOk(await s.api('GET', `/v1/sources/${created.id}`, { token: A.token }));
    expect(read.verification).toEqual({ type: 'github', secret: 'gh_****1234' });
    const list = await s.api('GET', '/v1/sources', { token: A.token });
    expect(list.body.pagination).toMatchObject({ total: 1, limit: 50, offset: 0, hasMore: false });
    expect(JSON.stringify(list.body)).not.toContain('gh_secret_value_1234');
  });

  it('updates partially; a masked or omitted secret keeps the stored one', async () => {
    const src = expectOk(await s.api('POST', '/v1/sources', { token: A.token, body: { path: 'upd', verification: github, action: { type: 'probe' } } }), 201);
    const masked = expectOk(await s.api('GET', `/v1/sources/${src.id}`, { token: A.token })).verification;
    const upd = expectOk(
      await s.api('PUT', `/v1/sources/${src.id}`, { token: A.token, body: { name: 'renamed', verification: masked, rateLimit: { requests: 10, perSeconds: 1 }, dedupe: false } }),
    );
    expect(upd).toMatchObject({ name: 'renamed', path: 'upd', rateLimit: { requests: 10, perSeconds: 1 }, dedupe: false });
    const stored = await s.repos.sources.get(A.id, src.id);
    expect(stored!.verification).toEqual(github);
    await s.api('PUT', `/v1/sources/${src.id}`, { token: A.token, body: { verification: { type: 'github', secret: 'a_brand_new_secret' } } });
    expect((await s.repos.sources.get(A.id, src.id))!.verification).toEqual({ type: 'github', secret: 'a_brand_new_secret' });
    expect(expectOk(await s.api('PUT', `/v1/sources/${src.id}`, { token: A.token, body: { active: false } })).active).toBe(false);
  });

  it('an action credential (the meetings apiKey) is masked on read, kept when sent back masked, and not stored in plain text', async () => {
    const apiKey = 'ktalk_api_key_plaintext_98765';
    const action = { type: 'meetings', provider: 'ktalk', space: 'acme', apiUrl: 'https://acme.ktalk.ru/api', apiKey };
    const created = expectOk(await s.api('POST', '/v1/sources', { token: A.token, body: { name: 'Talk', path: 'talk-secret', action } }), 201);
    expect(created.action.apiKey).toBe(apiKey);
    const read = expectOk(await s.api('GET', `/v1/sources/${created.id}`, { token: A.token }));
    expect(read.action).toEqual({ ...action, apiKey: 'ktalk_****8765' });
    expectOk(await s.api('PUT', `/v1/sources/${created.id}`, { token: A.token, body: { action: read.action } }));
    const stored = await s.repos.store.db.selectFrom('sources').select('action').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(stored.action).not.toContain(apiKey);
    const again = await s.repos.sources.get(A.id, created.id);
    expect((again!.action as Record<string, unknown>).apiKey).toBe(apiKey);
  });

  it("the meetings app's path (MEETINGS_PATH) cannot be taken by a source", async () => {
    const r = await s.api('POST', '/v1/sources', { token: A.token, body: { name: 'x', path: 'kontur-create', action: { type: 'publish', eventType: 'message.created' } } });
    expectError(r, 409, 'CONFLICT');
  });

  it('deletes (204) with its stored requests', async () => {
    const src = expectOk(await s.api('POST', '/v1/sources', { token: A.token, body: { path: 'gone', action: { type: 'probe' } } }), 201);
    expect((await send(s, '/webhook/gone', { body: '{}' })).status).toBe(202);
    expect((await s.repos.sources.listRequests(src.id, { limit: 10, offset: 0 })).total).toBe(1);
    expect((await s.api('DELETE', `/v1/sources/${src.id}`, { token: A.token })).status).toBe(204);
    expect((await s.repos.sources.listRequests(src.id, { limit: 10, offset: 0 })).total).toBe(0);
    expect((await send(s, '/webhook/gone', { body: '{}' })).status).toBe(404);
    expectError(await s.api('GET', `/v1/sources/${src.id}`, { token: A.token }), 404, 'NOT_FOUND');
  });

  it('a path is unique across projects, however it is spelt (409)', async () => {
    expectOk(await s.api('POST', '/v1/sources', { token: A.token, body: { path: 'shared/orders', action: { type: 'probe' } } }), 201);
    expectError(await s.api('POST', '/v1/sources', { token: B.token, body: { path: 'shared/orders', action: { type: 'probe' } } }), 409, 'CONFLICT');
    expectError(await s.api('POST', '/v1/sources', { token: B.token, body: { path: '/webhook/shared/orders', action: { type: 'probe' } } }), 409, 'CONFLICT');
    const other = expectOk(await s.api('POST', '/v1/sources', { token: A.token, body: { path: '/webhook/other', action: { type: 'probe' } } }), 201);
    expect(other.url).toBe('/webhook/other');
    expect((await send(s, '/webhook/other', { body: '{}' })).status).toBe(202);
    expectError(await s.api('PUT', `/v1/sources/${other.id}`, { token: A.token, body: { path: 'shared/orders' } }), 409, 'CONFLICT');
    expect((await send(s, '/webhook/shared/orders', { body: '{}' })).status).toBe(202);
  });

  it('validates paths, modes, origins and actions (422 with the field)', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const e = expectError(await s.api('POST', '/v1/sources', { token: A.token, body: { path: 'valid-path', action: { type: 'probe' }, ...body } }), 422, 'VALIDATION_ERROR');
      expect(e.details.map((d) => d.field)).toContain(field);
      return e;
    };
    await bad({ path: '/okdesk-webhook' }, 'path');
    await bad({ path: 'a/../b' }, 'path');
    await bad({ path: 'has space' }, 'path');
    await bad({ verification: { type: 'github' } }, 'verification.secret');
    await bad({ verification: { type: 'basic', username: 'u' } }, 'verification.password');
    await bad({ verification: { type: 'hmac', secret: 'x' } }, 'verification.header');
    await bad({ verification: { type: 'hmac', header: 'X-Sig', secret: 'x', payload: '{timestamp}.{body}' } }, 'verification.payload');
    await bad({ verification: { type: 'hookbridge', secret: 'x', prefix: 'Bad Prefix' } }, 'verification.prefix');
    await bad({ allowedOrigins: ['https://ok.example', 'https://x.example/path'] }, 'allowedOrigins');
    const e = await bad({ action: { type: 'nope' } }, 'action.type');
    expect(e.message).toMatch(/one of: .*publish/);
    expectError(await s.api('POST', '/v1/sources', { token: A.token, body: { path: 'p', action: { type: 'probe' }, verification: { type: 'magic' } } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/sources', { token: A.token, body: { path: 'p', action: { type: 'probe' }, bodyLimit: 0 } }), 422, 'VALIDATION_ERROR');
  });
});

describe('project isolation', () => {
  it("another project's source and its requests answer 404, and stay untouched", async () => {
    const bSrc = expectOk(await s.api('POST', '/v1/sources', { token: B.token, body: { name: 'b-src', path: 'b-only', verification: github, action: { type: 'probe' } } }), 201);
    const r = await send(s, '/webhook/b-only', { body: '{}' });
    expect(r.status).toBe(401);
    const t = A.token;
    expectError(await s.api('GET', `/v1/sources/${bSrc.id}`, { token: t }), 404, 'NOT_FOUND');
    expectError(await s.api('PUT', `/v1/sources/${bSrc.id}`, { token: t, body: { name: 'hijacked', verification: { type: 'none' } } }), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', `/v1/sources/${bSrc.id}`, { token: t }), 404, 'NOT_FOUND');
    expectError(await s.api('GET', `/v1/sources/${bSrc.id}/requests`, { token: t }), 404, 'NOT_FOUND');
    expectError(await s.api('GET', `/v1/sources/${bSrc.id}/requests/req_x`, { token: t }), 404, 'NOT_FOUND');
    const aList = await s.api('GET', '/v1/sources?limit=1000', { token: t });
    expect(aList.body.data.map((x: { id: string }) => x.id)).not.toContain(bSrc.id);

    const still = expectOk(await s.api('GET', `/v1/sources/${bSrc.id}`, { token: B.token }));
    expect(still).toMatchObject({ name: 'b-src', verification: { type: 'github' } });
  });
});
