/**
 * Seed 004 end to end: Okdesk (a fake written from its API docs) and Telegram (the
 * telegram-test-api Bot API emulator) on loopback, Hookbridge between them, driven as
 * a client, the helpdesk and the operator would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { BOT_TOKEN, okdeskWebhook, realStatus, seedStatus, startRig, withKeyboard, type Rig } from './_support.js';
import { pressButton, sendCommand, sendText, shareContact } from './telegram.js';
import { sleep, until } from '../helpers/wait.js';

let rig: Rig;
let user: TelegramClient;
const CHAT = 501;
let issueId: number;

beforeAll(async () => {
  rig = await startRig();
  user = rig.tg.client(BOT_TOKEN, { chatId: CHAT, userId: CHAT, firstName: 'Иван' });
  rig.okdesk.addContact({ id: 95, name: 'Иванов Иван Петрович', phone: '+7 (912) 345-67-89' });
});
afterAll(async () => {
  await rig?.stop();
});

const messages = (chat = CHAT) => rig.tg.botMessages(BOT_TOKEN, chat);
/** Rating requests, before and after their thank-you edit. */
const ratingMessages = (chat = CHAT) => messages(chat).filter((m) => /оцените качество|Спасибо за оценку заявки/.test(m.text));
const jobs = async (kind: string) => (await rig.s.api('GET', `/v1/jobs?kind=${kind}`)).body.data as any[];
const scoreButton = (m: ReturnType<typeof messages>[number], score: number) => withKeyboard(m)!.flat().find((b) => b.callback_data.endsWith(`:${score}`))!.callback_data;

describe('Okdesk webhook endpoint', () => {
  it('GET answers readiness exactly as seed 004', async () => {
    const res = await fetch(`${rig.s.url}/okdesk-webhook`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Webhook endpoint is ready', path: '/okdesk-webhook' });
  });

  it('WEBHOOK_SECRET is required as ?token= or X-Webhook-Secret', async () => {
    const ev = { event: { event_type: 'issue.assigned' }, issue: { id: 1 } };
    expect((await okdeskWebhook(rig.s, ev, { query: '' })).status).toBe(401);
    const wrong = await okdeskWebhook(rig.s, ev, { query: '?token=nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body!.message).toMatch(/token/);
    expect((await okdeskWebhook(rig.s, ev)).status).toBe(202);
    expect((await okdeskWebhook(rig.s, ev, { query: '', headers: { 'x-webhook-secret': 'okdesk-webhook-secret-1' } })).status).toBe(202);
  });

  it('malformed JSON and a payload without an issue id are 400 with a message, kept for debugging; an unknown event is 202 and ignored', async () => {
    const bad = await okdeskWebhook(rig.s, undefined, { raw: '{"event": ' });
    expect(bad.status).toBe(400);
    expect(bad.body!.message).toMatch(/not valid JSON/);
    const noId = await okdeskWebhook(rig.s, { event: { event_type: 'issue.status_changed' }, issue: { title: 'x' } });
    expect(noId.status).toBe(400);
    expect(noId.body!.message).toMatch(/issue id/);
    const unknown = await okdeskWebhook(rig.s, { event: { event_type: 'new_ticket_rate' }, issue: { id: '5' } });
    expect(unknown.status).toBe(202);
    expect(unknown.body!.ignored).toBe(true);
    const log = (await rig.s.api('GET', '/v1/okdesk/webhooks')).body.data as any[];
    expect(log.find((w) => w.id === bad.body!.id)).toMatchObject({ outcome: 'invalid', body: '{"event": ' });
    expect(log.find((w) => w.id === noId.body!.id)).toMatchObject({ outcome: 'invalid', eventType: null });
    expect(log.find((w) => w.id === unknown.body!.id)).toMatchObject({ outcome: 'ignored', eventType: 'new_ticket_rate' });
  });

  it('odd values (NUL, over-long ids and codes, fractional or huge times, a malformed Content-Type) are taken or refused alike on every database, never a 500', async () => {
    const status = (issue: Record<string, unknown>) => ({ event: { event_type: 'issue.status_changed' }, issue: { status: { code: 'opened' }, ...issue } });
    const answers: Array<[string, Awaited<ReturnType<typeof okdeskWebhook>>]> = [
      ['NUL in the title', await okdeskWebhook(rig.s, status({ id: '7001', title: 'a\u0000b' }))],
      ['fractional created_at', await okdeskWebhook(rig.s, status({ id: '7002', created_at: 1700000000123.5 }))],
      ['created_at past any date', await okdeskWebhook(rig.s, status({ id: '7003', created_at: 1e300 }))],
      ['an over-long status code and contact id', await okdeskWebhook(rig.s, status({ id: '7004', status: { code: 'x'.repeat(65) }, client: { contact: { id: 'c'.repeat(65) } } }))],
      ['an event type with NUL', await okdeskWebhook(rig.s, { event: { event_type: 'custom\u0000event' }, issue: { id: '7005' } })],
    ];
    for (const [what, r] of answers) expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(202);
    const refused: Array<[string, Awaited<ReturnType<typeof okdeskWebhook>>, RegExp]> = [
      ['an over-long issue id', await okdeskWebhook(rig.s, status({ id: '9'.repeat(65) })), /longer than 64/],
      ['an over-long event type', await okdeskWebhook(rig.s, { event: { event_type: 'e'.repeat(101) }, issue: { id: '1' } }), /longer than 100/],
      ['a raw NUL byte in the body', await okdeskWebhook(rig.s, undefined, { raw: '{"event":"x"}\u0000' }), /not valid JSON/],
    ];
    for (const [what, r, message] of refused) {
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body!.message).toMatch(message);
    }
    const log = (await rig.s.api('GET', '/v1/okdesk/webhooks?limit=100')).body.data as any[];
    // Every one is in the log (the refused with their reason), NUL kept as U+FFFD.
    for (const [, r] of [...answers, ...refused]) expect(log.some((w) => w.id === r.body!.id)).toBe(true);
    expect(log.find((w) => w.id === refused[2]![1].body!.id)).toMatchObject({ outcome: 'invalid', body: '{"event":"x"}\uFFFD' });
    expect(log.find((w) => w.id === answers[4]![1].body!.id)).toMatchObject({ outcome: 'ignored', eventType: 'custom\uFFFDevent' });

    for (const type of ['json', 'a/b c', ';;;===']) {
      const r = await okdeskWebhook(rig.s, status({ id: '7006' }), { headers: { 'content-type': type } });
      expect(r.status, type).toBe(415);
      expect(r.body!.message).toMatch(/Content-Type/);
    }
  });
});

describe('the rating flow', () => {
  it('a user links by sharing their phone, creates an issue in the bot, and Okdesk receives it', async () => {
    await sendCommand(user, '/start');
    await until('the greeting', 5000, () => messages().some((m) => /поделитесь номером/.test(m.text)));
    const greeting = messages().at(-1)!;
    expect((greeting.replyMarkup as any).keyboard[0][0]).toMatchObject({ request_contact: true });

    await shareContact(user, { phone: '8 912 345-67-89' });
    await until('the link confirmation', 5000, () => messages().some((m) => m.text.includes('Иванов Иван Петрович')));
    const contact = await rig.s.api('GET', '/v1/okdesk/contacts/95');
    expect(contact.body.data).toMatchObject({ contactId: '95', telegramChatId: String(CHAT), linkedBy: 'bot' });

    await sendCommand(user, '/new');
    await until('the title prompt', 5000, () => messages().some((m) => /тема заявки/.test(m.text)));
    await sendText(user, 'Не работает принтер');
    await until('the description prompt', 5000, () => messages().some((m) => /подробнее/.test(m.text)));
    await sendText(user, 'Принтер в 301 кабинете не печатает');
    await until('the issue in Okdesk', 8000, () => rig.okdesk.issues.size === 1);
    const [issue] = [...rig.okdesk.issues.values()];
    expect(issue).toMatchObject({ title: 'Не работает принтер', description: 'Принтер в 301 кабинете не печатает', contact_id: 95 });
    issueId = issue!.id;
    await until('the created confirmation', 5000, () => messages().some((m) => m.text.includes(`№${issueId} создана`)));

    await sendCommand(user, '/my');
    await until('the issue list', 5000, () => messages().some((m) => m.text.includes(`№${issueId} «Не работает принтер»`)));
  });

  it('the status webhook three times (seed status_changed, seed updated, real new_ticket_status) → exactly one rating message with five buttons', async () => {
    for (const body of [seedStatus(issueId, 'resolved', 95), seedStatus(issueId, 'resolved', 95, 'Не работает принтер', 'issue.updated'), realStatus(issueId, 'resolved', 95)]) {
      expect((await okdeskWebhook(rig.s, body)).status).toBe(202);
    }
    await until('the rating request', 8000, () => ratingMessages().length > 0);
    await sleep(500);
    expect(ratingMessages()).toHaveLength(1);
    const m = ratingMessages()[0]!;
    expect(m.text).toContain(`№${issueId}`);
    expect(withKeyboard(m)!.map((row) => row.map((b) => b.text))).toEqual([
      ['⭐⭐⭐⭐⭐ Отлично (5)'],
      ['⭐⭐⭐⭐ Хорошо (4)'],
      ['⭐⭐⭐ Нормально (3)'],
      ['⭐⭐ Плохо (2)'],
      ['⭐ Ужасно (1)'],
    ]);
    expect(await jobs('okdesk-rating.send-rating')).toHaveLength(1);
  });

  it('pressing 4 posts one comment to Okdesk and edits the message; a second press adds nothing; stats and CSV show it', async () => {
    const m = ratingMessages()[0]!;
    await pressButton(user, scoreButton(m, 4), m.messageId);
    await until('the comment in Okdesk', 8000, () => rig.okdesk.comments.length === 1);
    const c = rig.okdesk.comments[0]!;
    expect(c.issueId).toBe(issueId);
    expect(c.body).toMatchObject({ author_id: 95, author_type: 'contact', public: true });
    expect(String(c.body.content)).toContain('4 из 5');
    const sent = rig.okdesk.requests.find((r) => r.method === 'POST' && r.path === `/api/v1/issues/${issueId}/comments`)!;
    expect(sent.query.api_token).toBe(rig.okdesk.token);
    expect(Object.keys(sent.body as object)).toEqual(['comment']);
    await until('the thank-you edit', 5000, () => messages().find((x) => x.messageId === m.messageId)!.text.includes('Спасибо за оценку'));
    const edited = messages().find((x) => x.messageId === m.messageId)!;
    expect(withKeyboard(edited)).toEqual([[{ text: 'Создать новую заявку', callback_data: 'new_issue' }]]);

    await pressButton(user, scoreButton(m, 1), m.messageId);
    await sleep(700);
    expect(rig.okdesk.comments).toHaveLength(1);

    const stats = (await rig.s.api('GET', '/v1/ratings/stats')).body.data;
    expect(stats).toMatchObject({ count: 1, average: 4, distribution: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 0 } });
    const csv = await fetch(`${rig.s.url}/v1/ratings/export.csv`, { headers: { authorization: `Bearer ${(rig.s.env as any).HOOKBRIDGE_ADMIN_TOKEN}` } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const text = Buffer.from(await csv.arrayBuffer()).toString('utf8');
    expect(text.startsWith('\uFEFFissue_id,title,contact_id,score,resolved_at,rated_at\r\n')).toBe(true);
    expect(text).toContain(`${issueId},Не работает принтер,95,4,`);
  });

  it('reopened and resolved again → a second request; Okdesk down (503) during the press → the comment arrives once it is back, the failed attempts in the job log', async () => {
    expect((await okdeskWebhook(rig.s, realStatus(issueId, 'opened', 95))).status).toBe(202);
    expect((await okdeskWebhook(rig.s, realStatus(issueId, 'completed', 95))).status).toBe(202);
    await until('the second rating request', 8000, () => ratingMessages().length === 2);
    const second = ratingMessages()[1]!;

    rig.okdesk.setDown(true);
    await pressButton(user, scoreButton(second, 2), second.messageId);
    await until('two failed comment attempts', 8000, async () => (await jobs('okdesk-rating.comment')).some((j) => j.log.filter((l: any) => l.error).length >= 2));
    expect(rig.okdesk.comments).toHaveLength(1);
    rig.okdesk.setDown(false);
    await until('the second comment', 8000, () => rig.okdesk.comments.length === 2);
    expect(String(rig.okdesk.comments[1]!.body.content)).toContain('2 из 5');
    const job = await until('the comment job to finish', 5000, async () => (await jobs('okdesk-rating.comment')).find((j) => j.status === 'done' && j.attempts > 1));
    void job;
    const done = (await jobs('okdesk-rating.comment')).find((j) => j.attempts > 1)!;
    expect(done.status).toBe('done');
    expect(done.log.filter((l: any) => l.error).every((l: any) => /503/.test(l.error))).toBe(true);
    expect(done.log.at(-1).error).toBeNull();
    const stats = (await rig.s.api('GET', '/v1/ratings/stats')).body.data;
    expect(stats).toMatchObject({ count: 2, average: 3 });
  });

  it('a forged press (score outside 1–5, another chat pressing this chat\'s rating) changes nothing', async () => {
    expect((await okdeskWebhook(rig.s, realStatus(issueId, 'opened', 95))).status).toBe(202);
    expect((await okdeskWebhook(rig.s, realStatus(issueId, 'done', 95))).status).toBe(202);
    await until('the third rating request', 8000, () => ratingMessages().length === 3);
    const third = ratingMessages()[2]!;
    const ratingId = scoreButton(third, 5).split(':')[1];
    await pressButton(user, `rate:${ratingId}:9`, third.messageId);
    const stranger = rig.tg.client(BOT_TOKEN, { chatId: 999, userId: 999 });
    await pressButton(stranger, `rate:${ratingId}:5`, third.messageId);
    await sleep(700);
    expect(rig.okdesk.comments).toHaveLength(2);
    const ratings = (await rig.s.api('GET', '/v1/ratings')).body.data as any[];
    expect(ratings.find((r) => r.id === ratingId)).toMatchObject({ status: 'sent', score: null });
  });
});

describe('when the client cannot be asked', () => {
  it('a contact with no linked chat is recorded as such and counted in stats', async () => {
    expect((await okdeskWebhook(rig.s, realStatus(3001, 'resolved', 97, 'Нет доступа к почте'))).status).toBe(202);
    const ratings = (await rig.s.api('GET', '/v1/ratings')).body.data as any[];
    expect(ratings.find((r) => r.issueId === '3001')).toMatchObject({ status: 'no_chat', contactId: '97' });
    expect((await rig.s.api('GET', '/v1/ratings/stats')).body.data.noChat).toBe(1);
  });

  it('the bot blocked by the user (Telegram 403) → the send job fails once, with that reason', async () => {
    const put = await rig.s.api('PUT', '/v1/okdesk/contacts/96', { body: { telegramChatId: 777 } });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ contactId: '96', telegramChatId: '777', linkedBy: 'api' });
    rig.proxy.blocked.add('777');
    expect((await okdeskWebhook(rig.s, seedStatus(2001, 'closed', 96, 'Сломан монитор'))).status).toBe(202);
    const failed = await until('the failed send', 8000, async () => (await jobs('okdesk-rating.send-rating')).find((j) => j.status === 'failed'));
    void failed;
    const job = (await jobs('okdesk-rating.send-rating')).find((j) => j.status === 'failed')!;
    expect(job.attempts).toBe(1);
    expect(job.lastError).toMatch(/403.*blocked/);
    await sleep(500);
    expect(rig.proxy.refused.filter((r) => r.chatId === '777')).toHaveLength(1);
    const ratings = (await rig.s.api('GET', '/v1/ratings')).body.data as any[];
    expect(ratings.find((r) => r.issueId === '2001')).toMatchObject({ status: 'blocked' });
  });
});

describe('GET /v1/ratings, a page at a time', () => {
  it('pages through the period oldest first with the usual pagination block; a bad limit is a 400', async () => {
    // Issues 5001–5005 resolved for contacts with no chat: five more rows in the period.
    for (let id = 5001; id <= 5005; id++) expect((await okdeskWebhook(rig.s, realStatus(id, 'resolved', 98, `Заявка ${id}`))).status).toBe(202);
    const all = (await rig.s.api('GET', '/v1/ratings?limit=1000')).body;
    const total = all.pagination.total as number;
    expect(total).toBe(all.data.length);
    expect(all.data.map((r: any) => r.issueId)).toEqual(expect.arrayContaining(['5001', '5002', '5003', '5004', '5005']));

    const seen: string[] = [];
    for (let offset = 0; offset < total; offset += 2) {
      const r = await rig.s.api('GET', `/v1/ratings?limit=2&offset=${offset}`);
      expect(r.status).toBe(200);
      expect(r.body.pagination).toEqual({ total, limit: 2, offset, hasMore: offset + 2 < total });
      expect(r.body.data.length).toBe(Math.min(2, total - offset));
      seen.push(...r.body.data.map((x: any) => x.id));
    }
    // The pages together are the whole list, in its order, each row once.
    expect(seen).toEqual(all.data.map((r: any) => r.id));
    const resolved = all.data.map((r: any) => Date.parse(r.resolvedAt));
    expect(resolved).toEqual([...resolved].sort((a, b) => a - b));

    // The default page is 50; the period still applies.
    const empty = await rig.s.api('GET', '/v1/ratings?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z');
    expect(empty.body).toEqual({ success: true, data: [], pagination: { total: 0, limit: 50, offset: 0, hasMore: false } });

    const bad = await rig.s.api('GET', '/v1/ratings?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
  });
});
