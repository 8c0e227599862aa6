/** SPEC §2: the caller's project, projects and tokens (admin), and how the admin token picks a project. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createProject, expectError, expectOk } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

describe('GET/PUT /v1/project', () => {
  it('the admin token acts on the default project with the seed 001-style defaults', async () => {
    const p = expectOk(await s.api('GET', '/v1/project'));
    expect(p).toMatchObject({ id: 'prj_default', isDefault: true, headerPrefix: 'Hookbridge', userAgent: 'Hookbridge-Webhooks/1.0' });
  });

  it('PUT is a partial update: only the fields sent change', async () => {
    const { id, token } = await createProject(s, 'Partial');
    const before = expectOk(await s.api('GET', '/v1/project', { token }));
    expect(before).toMatchObject({ id, name: 'Partial', headerPrefix: 'Hookbridge' });

    const after = expectOk(await s.api('PUT', '/v1/project', { token, body: { headerPrefix: 'Katya', userAgent: 'Katya-Webhooks/1.0' } }));
    expect(after).toMatchObject({ id, name: 'Partial', headerPrefix: 'Katya', userAgent: 'Katya-Webhooks/1.0' });
    expect(expectOk(await s.api('GET', '/v1/project', { token }))).toMatchObject({ name: 'Partial', headerPrefix: 'Katya' });

    const renamed = expectOk(await s.api('PUT', '/v1/project', { token, body: { name: 'Renamed' } }));
    expect(renamed).toMatchObject({ name: 'Renamed', headerPrefix: 'Katya', userAgent: 'Katya-Webhooks/1.0' });

    // The default project was not touched.
    expect(expectOk(await s.api('GET', '/v1/project'))).toMatchObject({ id: 'prj_default', headerPrefix: 'Hookbridge' });
  });

  it('PUT rejects a header prefix that cannot be an HTTP header name, and changes nothing', async () => {
    const { token } = await createProject(s, 'BadPrefix');
    const err = expectError(await s.api('PUT', '/v1/project', { token, body: { headerPrefix: 'Bad Prefix!' } }), 422, 'VALIDATION_ERROR');
    expect(JSON.stringify(err.details)).toContain('headerPrefix');
    expectError(await s.api('PUT', '/v1/project', { token, body: { name: '' } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('PUT', '/v1/project', { token, body: { userAgent: 42 } }), 422, 'VALIDATION_ERROR');
    expect(expectOk(await s.api('GET', '/v1/project', { token }))).toMatchObject({ name: 'BadPrefix', headerPrefix: 'Hookbridge' });
  });
});

describe('/v1/projects (admin)', () => {
  it('POST creates a project and answers its first token, which works and is scoped to it', async () => {
    const res = await s.api('POST', '/v1/projects', { body: { name: 'Shop' } });
    const data = expectOk(res, 201);
    expect(data.id).toMatch(/^prj_/);
    expect(data).toMatchObject({ name: 'Shop', isDefault: false, headerPrefix: 'Hookbridge' });
    expect(data.token.token).toMatch(/^hb_/);
    expect(data.token).toMatchObject({ projectId: data.id, isAdmin: false });
    expect(data.token.id).toMatch(/^tok_/);

    const mine = expectOk(await s.api('GET', '/v1/project', { token: data.token.token }));
    expect(mine.id).toBe(data.id);
  });

  it('POST validates the name', async () => {
    expectError(await s.api('POST', '/v1/projects', { body: {} }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/projects', { body: { name: '' } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/projects', { body: { name: 7 } }), 422, 'VALIDATION_ERROR');
  });

  it('GET lists every project with pagination', async () => {
    const a = await createProject(s, 'ListA');
    const b = await createProject(s, 'ListB');
    const res = await s.api('GET', '/v1/projects?limit=1000');
    const data = expectOk(res);
    const ids = data.map((p: { id: string }) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['prj_default', a.id, b.id]));
    expect(res.body.pagination).toEqual({ total: ids.length, limit: 1000, offset: 0, hasMore: false });

    const first = await s.api('GET', '/v1/projects?limit=1&offset=0');
    expect(first.body.data).toHaveLength(1);
    expect(first.body.pagination).toEqual({ total: ids.length, limit: 1, offset: 0, hasMore: true });
    const last = await s.api('GET', `/v1/projects?limit=1&offset=${ids.length - 1}`);
    expect(last.body.data).toHaveLength(1);
    expect(last.body.pagination.hasMore).toBe(false);
  });

  it('a project token gets 403 on every admin route', async () => {
    const { id, token } = await createProject(s, 'NotAdmin');
    expectError(await s.api('GET', '/v1/projects', { token }), 403, 'FORBIDDEN');
    expectError(await s.api('POST', '/v1/projects', { token, body: { name: 'sneaky' } }), 403, 'FORBIDDEN');
    expectError(await s.api('POST', `/v1/projects/${id}/tokens`, { token, body: { name: 'more' } }), 403, 'FORBIDDEN');
    // Nothing was created by the refused POST.
    const names = expectOk(await s.api('GET', '/v1/projects?limit=1000')).map((p: { name: string }) => p.name);
    expect(names).not.toContain('sneaky');
  });
});

describe('project tokens', () => {
  it('POST /v1/projects/{id}/tokens issues a working token shown once; DELETE /v1/tokens/{id} revokes it', async () => {
    const { id } = await createProject(s, 'Tokens');
    const issued = expectOk(await s.api('POST', `/v1/projects/${id}/tokens`, { body: { name: 'ci' } }), 201);
    expect(issued).toMatchObject({ projectId: id, name: 'ci', isAdmin: false });
    expect(issued.token).toMatch(/^hb_[A-Za-z0-9_-]{40,}$/);
    expect(issued.hint).toBe(`${issued.token.slice(0, 7)}…`);
    expect(expectOk(await s.api('GET', '/v1/project', { token: issued.token })).id).toBe(id);

    // No body at all is fine too (name defaults).
    const unnamed = expectOk(await s.api('POST', `/v1/projects/${id}/tokens`), 201);
    expect(unnamed.token).toMatch(/^hb_/);
    expect(unnamed.token).not.toBe(issued.token);

    const del = await s.api('DELETE', `/v1/tokens/${issued.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expectError(await s.api('GET', '/v1/project', { token: issued.token }), 401, 'UNAUTHORIZED');
    // The other token of the project still works.
    expect((await s.api('GET', '/v1/project', { token: unnamed.token })).status).toBe(200);
    // Deleting again: gone.
    expectError(await s.api('DELETE', `/v1/tokens/${issued.id}`), 404, 'NOT_FOUND');
  });

  it('a blank project or token name is a 422 naming the field, and nothing is made; names are kept trimmed', async () => {
    const before = expectOk(await s.api('GET', '/v1/projects?limit=100')).length;
    for (const name of ['   ', '\t\n']) {
      const err = expectError(await s.api('POST', '/v1/projects', { body: { name } }), 422, 'VALIDATION_ERROR');
      expect(err.details).toEqual([{ field: 'name', message: 'name must not be blank' }]);
    }
    expect(expectOk(await s.api('GET', '/v1/projects?limit=100')).length).toBe(before);

    const { id, token } = await createProject(s, 'Labels');
    const tokensBefore = expectOk(await s.api('GET', `/v1/projects/${id}/tokens`));
    expectError(await s.api('POST', `/v1/projects/${id}/tokens`, { body: { name: '   ' } }), 422, 'VALIDATION_ERROR');
    expect(expectOk(await s.api('GET', `/v1/projects/${id}/tokens`))).toEqual(tokensBefore);
    expect(expectOk(await s.api('POST', `/v1/projects/${id}/tokens`, { body: { name: '  ci bot  ' } }), 201).name).toBe('ci bot');

    expectError(await s.api('PUT', '/v1/project', { token, body: { name: '  ' } }), 422, 'VALIDATION_ERROR');
    expect(expectOk(await s.api('GET', '/v1/project', { token })).name).toBe('Labels');
    expect(expectOk(await s.api('PUT', '/v1/project', { token, body: { name: ' Labels 2 ' } })).name).toBe('Labels 2');
  });

  it('issuing a token for an unknown project is a 404', async () => {
    expectError(await s.api('POST', '/v1/projects/prj_nope/tokens', { body: { name: 'x' } }), 404, 'NOT_FOUND');
  });

  it('a project token may revoke its own project\'s tokens, never the admin token', async () => {
    const { id, token } = await createProject(s, 'SelfRevoke');
    const second = expectOk(await s.api('POST', `/v1/projects/${id}/tokens`, { body: { name: 'second' } }), 201);
    expect((await s.api('DELETE', `/v1/tokens/${second.id}`, { token })).status).toBe(204);
    expectError(await s.api('GET', '/v1/project', { token: second.token }), 401, 'UNAUTHORIZED');

    // The admin token answers exactly like an id that does not exist, and keeps working.
    const admin = await s.repos.tokens.findByToken(ADMIN_TOKEN);
    expect(admin?.is_admin).toBe(1);
    expectError(await s.api('DELETE', `/v1/tokens/${admin!.id}`, { token }), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', '/v1/tokens/tok_does_not_exist', { token }), 404, 'NOT_FOUND');
    expect((await s.api('GET', '/v1/projects')).status).toBe(200);
  });
});

describe('admin token and X-Hookbridge-Project', () => {
  it('the header makes the admin act on the named project', async () => {
    const b = await createProject(s, 'HeaderB');
    const asB = expectOk(await s.api('GET', '/v1/project', { headers: { 'x-hookbridge-project': b.id } }));
    expect(asB.id).toBe(b.id);

    const hook = expectOk(
      await s.api('POST', '/v1/webhooks', {
        headers: { 'x-hookbridge-project': b.id },
        body: { url: 'https://example.com/b', events: ['*'] },
      }),
      201,
    );
    // B's own token sees it; the admin without the header (default project) does not.
    expect((await s.api('GET', `/v1/webhooks/${hook.id}`, { token: b.token })).status).toBe(200);
    expectError(await s.api('GET', `/v1/webhooks/${hook.id}`), 404, 'NOT_FOUND');

    const put = expectOk(await s.api('PUT', '/v1/project', { headers: { 'x-hookbridge-project': b.id }, body: { name: 'HeaderB2' } }));
    expect(put.id).toBe(b.id);
    expect(expectOk(await s.api('GET', '/v1/project', { token: b.token })).name).toBe('HeaderB2');
    expect(expectOk(await s.api('GET', '/v1/project')).id).toBe('prj_default');
  });

  it('an unknown project in the header is a 404', async () => {
    const err = expectError(await s.api('GET', '/v1/project', { headers: { 'x-hookbridge-project': 'prj_unknown' } }), 404, 'NOT_FOUND');
    expect(err.message).toContain('prj_unknown');
    expectError(
      await s.api('POST', '/v1/webhooks', {
        headers: { 'x-hookbridge-project': 'prj_unknown' },
        body: { url: 'https://example.com/x', events: ['*'] },
      }),
      404,
      'NOT_FOUND',
    );
  });

  it('a project token cannot switch projects with the header', async () => {
    const a = await createProject(s, 'HeaderA');
    const b = await createProject(s, 'HeaderC');
    const seen = expectOk(await s.api('GET', '/v1/project', { token: a.token, headers: { 'x-hookbridge-project': b.id } }));
    expect(seen.id).toBe(a.id);
  });
});

describe('authentication', () => {
  it('missing, wrong and malformed Authorization are 401 with the envelope', async () => {
    const noToken = expectError(await s.api('GET', '/v1/webhooks', { token: null }), 401, 'UNAUTHORIZED');
    expect(noToken.message).toMatch(/Bearer/);
    expectError(await s.api('GET', '/v1/webhooks', { token: 'hb_not_a_real_token_at_all_000000000000' }), 401, 'UNAUTHORIZED');
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Token abc', 'Bearer a b', 'hba_test_admin_token_0123456789']) {
      const res = await s.api('GET', '/v1/project', { token: null, headers: { authorization } });
      expectError(res, 401, 'UNAUTHORIZED');
    }
  });

  it('401 comes before body parsing and validation, and nothing is written', async () => {
    const before = (await s.api('GET', '/v1/webhooks')).body.pagination.total;
    expectError(await s.api('POST', '/v1/webhooks', { token: null, body: { url: 'https://example.com/x', events: ['*'] } }), 401, 'UNAUTHORIZED');
    expectError(await s.api('POST', '/v1/webhooks', { token: 'wrong', raw: '{not json', headers: { 'content-type': 'application/json' } }), 401, 'UNAUTHORIZED');
    expect((await s.api('GET', '/v1/webhooks')).body.pagination.total).toBe(before);
  });

  it('the bearer scheme is case-insensitive', async () => {
    const res = await s.api('GET', '/v1/project', { token: null, headers: { authorization: 'bearer hba_test_admin_token_0123456789' } });
    expect(res.status).toBe(200);
  });
});
