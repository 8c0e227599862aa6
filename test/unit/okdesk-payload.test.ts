/** parseOkdeskWebhook over seed 004's payload and the one real Okdesk sends. */
import { describe, expect, it } from 'vitest';
import { parseOkdeskWebhook } from '../../src/apps/okdesk-rating/payload.js';

/** Seed 004, "Структура данных webhook'а для смены статуса", verbatim. */
const seed = {
  event: { event_type: 'issue.status_changed' },
  issue: {
    id: 1380,
    title: 'Название заявки',
    status: { code: 'resolved', name: 'Решена' },
    old_status: { code: 'opened', name: 'Открыта' },
    client: { contact: { id: 95 }, company: { id: 147 } },
  },
};

/** Real Okdesk (apidocs.okdesk.ru/webhookdoc): issue part with string ids, event part. */
const real = {
  issue: {
    title: 'Требуется мастер на выезд',
    id: '153',
    parent_id: null,
    description: 'Обнаружена неисправность на объекте',
    created_at: '2024-03-01T09:00:00.000+03:00',
    type: { code: 'service', name: 'Обслуживание', inner: false },
    priority: { code: 'low', name: 'Низкий' },
    status: { code: 'completed', name: 'Решена' },
    old_status: { code: 'opened', name: 'Открыта' },
    client: {
      company: { name: 'ООО Транспортное обслуживание', id: '15' },
      contact: { first_name: 'Николай', last_name: 'Ставрогин', patronymic: 'Всеволодович', id: '21' },
    },
  },
  event: {
    event_type: 'new_ticket_status',
    author: { id: '3', type: 'employee' },
    old_status: { code: 'opened', name: 'Открыта' },
    new_status: { code: 'completed', name: 'Решена' },
  },
};

describe('parseOkdeskWebhook', () => {
  it("seed 004's status change", () => {
    expect(parseOkdeskWebhook(seed)).toEqual({
      kind: 'status',
      eventType: 'issue.status_changed',
      issueId: '1380',
      statusCode: 'resolved',
      statusName: 'Решена',
      oldStatusCode: 'opened',
      title: 'Название заявки',
      contactId: '95',
      companyId: '147',
    });
  });

  it('real new_ticket_status with string ids, type and created_at', () => {
    expect(parseOkdeskWebhook(real)).toEqual({
      kind: 'status',
      eventType: 'new_ticket_status',
      issueId: '153',
      statusCode: 'completed',
      statusName: 'Решена',
      oldStatusCode: 'opened',
      title: 'Требуется мастер на выезд',
      contactId: '21',
      companyId: '15',
      issueType: 'Обслуживание',
      issueCreatedAt: Date.parse('2024-03-01T06:00:00Z'),
    });
  });

  it('the new status is read from event.new_status first, then issue.status', () => {
    const eventOnly = { ...real, issue: { ...real.issue, status: undefined, old_status: undefined } };
    expect(parseOkdeskWebhook(eventOnly)).toMatchObject({ statusCode: 'completed', oldStatusCode: 'opened' });
    const issueOnly = { ...real, event: { event_type: 'new_ticket_status' } };
    expect(parseOkdeskWebhook(issueOnly)).toMatchObject({ statusCode: 'completed', oldStatusCode: 'opened' });
  });

  it('issue.updated carrying a status is a status report; without one it is ignored', () => {
    const updated = { ...seed, event: { event_type: 'issue.updated' } };
    expect(parseOkdeskWebhook(updated)).toMatchObject({ kind: 'status', eventType: 'issue.updated', issueId: '1380', statusCode: 'resolved' });
    const noStatus = { event: { event_type: 'issue.updated' }, issue: { id: 7, title: 'x' } };
    expect(parseOkdeskWebhook(noStatus)).toMatchObject({ kind: 'ignored', issueId: '7' });
  });

  it('comment.created and new_comment', () => {
    const seedComment = { event: { event_type: 'comment.created' }, issue: { id: 1380 }, comment: { id: 9, content: 'ok' } };
    expect(parseOkdeskWebhook(seedComment)).toEqual({ kind: 'comment', eventType: 'comment.created', issueId: '1380', commentId: '9' });
    const realComment = {
      issue: { ...real.issue, status: { code: 'opened', name: 'Открыта' } },
      event: { event_type: 'new_comment', comment: { id: '77', is_public: true, content: '<p>Спасибо</p>' }, author: { id: '21', type: 'contact' } },
    };
    expect(parseOkdeskWebhook(realComment)).toMatchObject({ kind: 'comment', eventType: 'new_comment', issueId: '153', commentId: '77', contactId: '21' });
  });

  it('new_ticket is a created issue', () => {
    const created = { issue: { ...real.issue, status: { code: 'opened', name: 'Открыта' }, old_status: null }, event: { event_type: 'new_ticket' } };
    expect(parseOkdeskWebhook(created)).toMatchObject({ kind: 'created', issueId: '153', statusCode: 'opened', contactId: '21' });
  });

  it('unknown event types are ignored and need no issue id', () => {
    expect(parseOkdeskWebhook({ event: { event_type: 'new_csat_rate' }, issue: { id: '5' } })).toMatchObject({ kind: 'ignored', eventType: 'new_csat_rate', issueId: '5' });
    expect(parseOkdeskWebhook({ event: { event_type: 'company.updated' } })).toEqual({ kind: 'ignored', eventType: 'company.updated' });
    expect(parseOkdeskWebhook({ event: { event_type: 'constructor' } })).toEqual({ kind: 'ignored', eventType: 'constructor' });
  });

  it('malformed bodies get an English error', () => {
    for (const bad of [null, 'text', 42, [seed]]) expect(parseOkdeskWebhook(bad)).toEqual({ error: 'The webhook body must be a JSON object' });
    expect(parseOkdeskWebhook({ issue: seed.issue })).toEqual({ error: 'The webhook has no event type (event.event_type)' });
    expect(parseOkdeskWebhook({ event: { event_type: 'issue.status_changed' }, issue: { title: 'x' } })).toEqual({
      error: 'The issue.status_changed webhook has no issue id (issue.id must be a string or a number)',
    });
    expect(parseOkdeskWebhook({ event: { event_type: 'new_ticket_status' }, issue: { id: { nested: 1 } } })).toHaveProperty('error');
    expect(parseOkdeskWebhook({ event: { event_type: 'new_comment' }, issue: { id: '  ' } })).toHaveProperty('error');
  });
});

describe('parseRateCallback and the rating messages', async () => {
  const m = await import('../../src/apps/okdesk-rating/messages.js');

  it('accepts only rate:<id>:<1-5>', () => {
    expect(m.parseRateCallback('rate:rtg_0abc:5')).toEqual({ ratingId: 'rtg_0abc', score: 5 });
    expect(m.parseRateCallback(m.rateCallback('rtg_x', 1))).toEqual({ ratingId: 'rtg_x', score: 1 });
    for (const bad of ['rate:rtg_x:0', 'rate:rtg_x:6', 'rate::3', 'rate:a:b:3', 'rate:rtg_x:3 ', 'new_issue', 'rate:rtg_x:4.5']) {
      expect(m.parseRateCallback(bad)).toBeUndefined();
    }
  });

  it("the rating request has seed 004's five buttons, one per row, best first", () => {
    const msg = m.ratingRequest({ ratingId: 'rtg_1', issueId: '1380', title: 'Название заявки' });
    expect(msg.text).toContain('№1380 «Название заявки»');
    expect(msg.reply_markup!.inline_keyboard).toEqual([
      [{ text: '⭐⭐⭐⭐⭐ Отлично (5)', callback_data: 'rate:rtg_1:5' }],
      [{ text: '⭐⭐⭐⭐ Хорошо (4)', callback_data: 'rate:rtg_1:4' }],
      [{ text: '⭐⭐⭐ Нормально (3)', callback_data: 'rate:rtg_1:3' }],
      [{ text: '⭐⭐ Плохо (2)', callback_data: 'rate:rtg_1:2' }],
      [{ text: '⭐ Ужасно (1)', callback_data: 'rate:rtg_1:1' }],
    ]);
    const thanks = m.ratingThanks({ issueId: '1380', score: 4 });
    expect(thanks.text).toContain('⭐⭐⭐⭐ 4 из 5 (Хорошо)');
    expect(thanks.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Создать новую заявку', callback_data: 'new_issue' }]] });
  });

  it('the Okdesk comment is escaped HTML', () => {
    expect(m.ratingComment(4)).toBe('<p>Оценка клиента: ⭐⭐⭐⭐ 4 из 5 (Хорошо)</p>');
    expect(m.ratingComment(1, '<b>плохо</b> & долго')).toBe('<p>Оценка клиента: ⭐ 1 из 5 (Ужасно)</p><p>&lt;b&gt;плохо&lt;/b&gt; &amp; долго</p>');
    expect(m.startGreeting().reply_markup!.keyboard).toEqual([[{ text: '📱 Поделиться номером телефона', request_contact: true }]]);
  });
});
