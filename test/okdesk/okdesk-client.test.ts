/** The Okdesk REST client against the fake Okdesk: what it sends and how failures map. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createOkdeskClient, normalisePhone, okdeskBase } from '../../src/apps/okdesk-rating/okdesk-client.js';
import { startFakeOkdesk, type FakeOkdesk } from './fake-okdesk.js';
import { freePort } from '../helpers/wait.js';

let fake: FakeOkdesk;
beforeAll(async () => {
  fake = await startFakeOkdesk();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  fake.addContact({ id: 95, name: 'Иванов Иван Петрович', phone: '+7 (912) 345-67-89' });
});

const client = (over: { apiUrl?: string; apiToken?: string; timeoutMs?: number } = {}) =>
  createOkdeskClient({ apiUrl: `${fake.url}/api/v1/`, apiToken: fake.token, ...over });

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('helpers', () => {
  it('normalisePhone keeps digits and turns a Russian 8 into 7', () => {
    expect(normalisePhone('+7 (912) 345-67-89')).toBe('79123456789');
    expect(normalisePhone('8 912 345 67 89')).toBe('79123456789');
    expect(normalisePhone('89123')).toBe('89123');
    expect(normalisePhone('+44 20 7946 0958')).toBe('442079460958');
  });

  it('okdeskBase accepts the three spellings of OKDESK_API_URL', () => {
    for (const u of ['https://x.okdesk.ru/api/v1/', 'https://x.okdesk.ru/api/v1', 'https://x.okdesk.ru', 'https://x.okdesk.ru/']) {
      expect(okdeskBase(u)).toBe('https://x.okdesk.ru');
    }
    expect(okdeskBase('http://127.0.0.1:9/prefix/api/v1/')).toBe('http://127.0.0.1:9/prefix');
  });
});

describe('Okdesk client', () => {
  it('finds a contact by phone with ?api_token= and ?phone=', async () => {
    for (const apiUrl of [`${fake.url}/api/v1/`, `${fake.url}/api/v1`, fake.url]) {
      expect(await client({ apiUrl }).findContactByPhone('8 (912) 345-67-89')).toEqual({ id: '95', name: 'Иванов Иван Петрович', phone: '+7 (912) 345-67-89' });
    }
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/api/v1/contacts/', query: { api_token: fake.token, phone: '+79123456789' } });
    expect(await client().findContactByPhone('+7 999 000-00-00')).toBeUndefined();
  });

  it('creates an issue for a contact and lists it', async () => {
    const { id } = await client().createIssue({ title: 'Не печатает принтер', description: '3 этаж, кабинет 301', contactId: '95' });
    expect(id).toMatch(/^\d+$/);
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/api/v1/issues/',
      body: { issue: { title: 'Не печатает принтер', description: '3 этаж, кабинет 301', contact_id: 95 } },
    });
    fake.addIssue({ title: 'Чужая', contact_id: 1 });
    expect(await client().listIssues('95')).toEqual([{ id, title: 'Не печатает принтер', statusCode: 'opened', statusName: 'Открыта' }]);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/api/v1/issues/list', query: { 'contact_ids[]': '95' } });
  });

  it('adds a public comment authored by the contact', async () => {
    const issue = fake.addIssue({ title: 'x', contact_id: 95 });
    const content = '<p>Оценка клиента: ⭐⭐⭐⭐ 4 из 5 (Хорошо)</p>';
    expect(await client().addComment(String(issue.id), { content, authorId: '95' })).toEqual({ id: '1' });
    expect(fake.comments).toEqual([{ issueId: issue.id, body: { content, author_id: 95, author_type: 'contact', public: true } }]);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: `/api/v1/issues/${issue.id}/comments` });
  });
});

describe('failures', () => {
  it('503 and 429 are retryable BAD_GATEWAY; the call succeeds once Okdesk is back', async () => {
    const issue = fake.addIssue({ title: 'x', contact_id: 95 });
    fake.setDown(true);
    const down = await failure(client().addComment(String(issue.id), { content: 'c', authorId: '95' }));
    expect(down).toMatchObject({ code: 'BAD_GATEWAY', retryable: true, status: 502 });
    expect(down.details[0]).toMatchObject({ upstreamStatus: 503 });
    fake.setDown(false);
    fake.failNext(1, 429);
    expect(await failure(client().listIssues('95'))).toMatchObject({ retryable: true });
    expect(await client().listIssues('95')).toHaveLength(1);
    expect(fake.comments).toEqual([]);
  });

  it('404 on an unknown issue is not retryable and names the issue', async () => {
    const err = await failure(client().addComment('123', { content: 'c', authorId: '95' }));
    expect(err).toMatchObject({ code: 'BAD_GATEWAY', retryable: false, message: 'Okdesk: no issue 123 (404)' });
  });

  it('a bad token is not retryable', async () => {
    const err = await failure(client({ apiToken: 'wrong' }).createIssue({ title: 't', description: 'd', contactId: '95' }));
    expect(err).toMatchObject({ retryable: false });
    expect(err.message).toMatch(/refused the API token \(401\)/);
    fake.failNext(1, 403);
    expect(await failure(client().findContactByPhone('79123456789'))).toMatchObject({ retryable: false });
  });

  it("other 4xx are not retryable and carry Okdesk's error text", async () => {
    const err = await failure(client().createIssue({ title: ' ', description: 'd', contactId: '95' }));
    expect(err).toMatchObject({ retryable: false });
    expect(err.message).toBe('Okdesk rejected POST /api/v1/issues/ (400): title: не может быть пустым');
  });

  it('a refused connection and a timeout are retryable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const refused = await failure(client({ apiUrl: closed }).listIssues('95'));
    expect(refused).toMatchObject({ code: 'BAD_GATEWAY', retryable: true });
    expect(refused.message).toMatch(/could not be reached/);

    const http = await import('node:http');
    const silent = http.createServer(() => undefined); // never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const slow = await failure(client({ apiUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 }).listIssues('95'));
      expect(slow).toMatchObject({ retryable: true, message: 'Okdesk did not answer within 0.2 s' });
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
