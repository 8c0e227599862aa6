/**
 * The jobs API (GET /v1/jobs, GET /v1/jobs/{id}, POST /v1/jobs/{id}/retry) as an
 * operator uses it on the rating app: find the send that failed for good, redrive it once
 * the cause is gone, and see the client get the message. Other projects see none of it;
 * bad input is a 4xx with the error envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_TOKEN, okdeskWebhook, seedStatus, startRig, withKeyboard, type Rig } from './_support.js';
import { until } from '../helpers/wait.js';

const CHAT = 777;
const CONTACT = 96;
const ISSUE = 2001;
const SEND = 'okdesk-rating.send-rating';

let rig: Rig;
let jobId: string;
let ratingId: string;
let otherToken: string;

const ratingMessages = () => rig.tg.botMessages(BOT_TOKEN, CHAT).filter((m) => /оцените качество/.test(m.text));
const job = async (id: string, token?: string) => rig.s.api('GET', `/v1/jobs/${id}`, { token });
const envelope = (code: string) => ({ success: false, error: { code, message: expect.any(String), details: expect.any(Array) } });

beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.stop();
});

describe('redriving a failed job', () => {
  it('the bot blocked (Telegram 403) → the send job is failed for good and listed as such', async () => {
    rig.proxy.blocked.add(String(CHAT));
    expect((await rig.s.api('PUT', `/v1/okdesk/contacts/${CONTACT}`, { body: { telegramChatId: CHAT } })).status).toBe(200);
    const hook = await okdeskWebhook(rig.s, seedStatus(ISSUE, 'closed', CONTACT, 'Сломан монитор'));
    expect(hook.status).toBe(202);
    ratingId = hook.body!.ratingId as string;

    await until('the send job to fail', 8000, async () => (await rig.s.api('GET', `/v1/jobs?kind=${SEND}&status=failed`)).body.data.length === 1);
    const failed = await rig.s.api('GET', `/v1/jobs?kind=${SEND}&status=failed`);
    expect(failed.body.pagination.total).toBe(1);
    const j = failed.body.data[0];
    expect(j).toMatchObject({ kind: SEND, status: 'failed', attempts: 1, payload: { ratingId }, nextAttemptAt: null });
    expect(j.lastError).toMatch(/403.*blocked/);
    expect(j.log).toHaveLength(1);
    jobId = j.id;
    expect((await rig.s.api('GET', `/v1/jobs?kind=${SEND}&status=done`)).body.data).toEqual([]);
    expect(ratingMessages()).toHaveLength(0);
  });

  it('unblocked, POST /v1/jobs/{id}/retry → 202, the job ends done and the client gets the request with five buttons', async () => {
    rig.proxy.blocked.delete(String(CHAT));
    const r = await rig.s.api('POST', `/v1/jobs/${jobId}/retry`);
    expect(r.status, r.text).toBe(202);
    expect(r.body).toMatchObject({ success: true, data: { id: jobId, status: 'pending' } });

    await until('the retried job to finish', 8000, async () => (await job(jobId)).body.data.status !== 'pending');
    const done = (await job(jobId)).body.data;
    expect(done).toMatchObject({ status: 'done', attempts: 2, lastError: null });
    expect(done.log.map((l: any) => l.error === null)).toEqual([false, true]);

    await until('the rating request in Telegram', 5000, () => ratingMessages().length > 0);
    expect(ratingMessages()).toHaveLength(1);
    const m = ratingMessages()[0]!;
    expect(m.text).toContain(`№${ISSUE}`);
    expect(withKeyboard(m)!.flat().map((b) => b.callback_data)).toEqual([5, 4, 3, 2, 1].map((n) => `rate:${ratingId}:${n}`));
    const ratings = (await rig.s.api('GET', '/v1/ratings')).body.data as any[];
    expect(ratings.find((x) => x.id === ratingId)).toMatchObject({ status: 'sent' });
  });

  it('retrying a job that is done → 409 with the error envelope, and nothing is sent again', async () => {
    const r = await rig.s.api('POST', `/v1/jobs/${jobId}/retry`);
    expect(r.status).toBe(409);
    expect(r.body).toEqual(envelope('CONFLICT'));
    expect(r.body.error.message).toMatch(/already succeeded/);
    expect((await job(jobId)).body.data.status).toBe('done');
    expect(ratingMessages()).toHaveLength(1);
  });

  it('an unknown job id → 404 on GET and on retry', async () => {
    const get = await job('job_does_not_exist');
    expect(get.status).toBe(404);
    expect(get.body).toEqual(envelope('NOT_FOUND'));
    const retry = await rig.s.api('POST', '/v1/jobs/job_does_not_exist/retry');
    expect(retry.status).toBe(404);
    expect(retry.body).toEqual(envelope('NOT_FOUND'));
  });
});

describe('project isolation', () => {
  beforeAll(async () => {
    const p = await rig.s.api('POST', '/v1/projects', { body: { name: 'another tenant' } });
    expect(p.status, p.text).toBe(201);
    otherToken = p.body.data.token.token;
    expect(otherToken).toEqual(expect.any(String));
  });

  it("another project's token sees none of the default project's jobs", async () => {
    const list = await rig.s.api('GET', '/v1/jobs', { token: otherToken });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
    expect(list.body.pagination.total).toBe(0);
    expect((await rig.s.api('GET', `/v1/jobs?kind=${SEND}`, { token: otherToken })).body.data).toEqual([]);

    const get = await job(jobId, otherToken);
    expect(get.status).toBe(404);
    expect(get.body).toEqual(envelope('NOT_FOUND'));
    // Not even the difference between "done" (409) and "not yours" shows.
    const retry = await rig.s.api('POST', `/v1/jobs/${jobId}/retry`, { token: otherToken });
    expect(retry.status).toBe(404);
    expect(retry.body).toEqual(envelope('NOT_FOUND'));
    // The default project still sees it.
    expect((await rig.s.api('GET', `/v1/jobs?kind=${SEND}`)).body.data.map((j: any) => j.id)).toContain(jobId);
  });

  it('retrying another project\'s failed job is refused and leaves it failed', async () => {
    rig.proxy.blocked.add('778');
    expect((await rig.s.api('PUT', '/v1/okdesk/contacts/98', { body: { telegramChatId: 778 } })).status).toBe(200);
    expect((await okdeskWebhook(rig.s, seedStatus(2002, 'closed', 98, 'Нет сети'))).status).toBe(202);
    let failedId = '';
    await until('the second send to fail', 8000, async () => {
      const f = (await rig.s.api('GET', `/v1/jobs?kind=${SEND}&status=failed`)).body.data as any[];
      failedId = f[0]?.id ?? '';
      return f.length === 1;
    });
    const retry = await rig.s.api('POST', `/v1/jobs/${failedId}/retry`, { token: otherToken });
    expect(retry.status).toBe(404);
    expect((await job(failedId)).body.data).toMatchObject({ status: 'failed', attempts: 1 });
  });
});

describe('bad input', () => {
  it('GET /v1/jobs?status=bogus → 400/422 with the error envelope, never 500', async () => {
    const r = await rig.s.api('GET', '/v1/jobs?status=bogus');
    expect([400, 422]).toContain(r.status);
    expect(r.body).toEqual(envelope('VALIDATION_ERROR'));
    expect(r.body.error.message + JSON.stringify(r.body.error.details)).toMatch(/status/);
  });
});
