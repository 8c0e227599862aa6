/**
 * The rating app under /v1: operators link contacts to chats without the bot (a CRM
 * import), read rating statistics and the CSV, and read what Okdesk sent.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../context.js';
import { AppError, found, invalid, notFound } from '../../errors.js';
import { DateTime, NoContent, Nullable, Ok, PageQuery, Paged, component, errors, iso, ok, page, ref } from '../../http/schemas.js';
import type { ContactRow, OkdeskStore, RatingRow } from './store.js';
import { ratingStats } from './stats.js';
import { ratingsCsv } from './csv.js';
import { parseDate } from '../../core/stats.js';

const ContactParams = Type.Object({ contactId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Okdesk contact id' }) });
const ContactBody = Type.Object(
  {
    telegramChatId: Type.Union([Type.String({ pattern: '^-?[0-9]{1,20}$' }), Type.Integer()], {
      description: "Telegram chat id (the user's id for a private chat, negative for a group): a non-zero integer within ±9007199254740991, as a number or a string of digits",
    }),
  },
  { additionalProperties: false },
);

/**
 * The chat id as stored and compared with what Telegram reports (`String(chat.id)`): the
 * decimal of a non-zero safe integer. Telegram's ids have at most 52 significant bits;
 * anything else (`1e21` stored as "1e+21", 20 digits, a leading 0) names no chat.
 */
function chatIdOf(v: string | number): string {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n === 0) {
    throw invalid(`\`telegramChatId\` must be a Telegram chat id: a non-zero integer within ±${Number.MAX_SAFE_INTEGER} (got ${JSON.stringify(v)})`, [
      { field: 'telegramChatId', message: 'is not a Telegram chat id (a non-zero safe integer)' },
    ]);
  }
  return String(n);
}
const Period = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO time; default: 30 days before `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO time; default: now' })),
});

const PeriodPage = Type.Composite([Period, PageQuery]);

const ContactView = component(
  'OkdeskContact',
  Type.Object({
    contactId: Type.String(),
    telegramChatId: Type.String(),
    phone: Nullable(Type.String()),
    name: Nullable(Type.String()),
    linkedBy: Type.Union([Type.Literal('bot'), Type.Literal('api')]),
    linkedAt: DateTime(),
  }),
);

const RatingView = component(
  'Rating',
  Type.Object({
    id: Type.String({ description: 'rtg_…' }),
    issueId: Type.String(),
    title: Nullable(Type.String()),
    contactId: Nullable(Type.String()),
    status: Type.Union(['pending', 'sent', 'rated', 'no_chat', 'blocked'].map((v) => Type.Literal(v)), {
      description: 'pending: to be asked; sent: asked in Telegram; rated; no_chat: no linked chat to ask; blocked: the user blocked the bot',
    }),
    score: Nullable(Type.Integer({ minimum: 1, maximum: 5 })),
    resolvedAt: DateTime(),
    sentAt: Nullable(DateTime()),
    ratedAt: Nullable(DateTime()),
  }),
);

const Spread = Type.Object({ average: Type.Number(), p50: Type.Number() }, { description: 'seconds' });
const RatingStatsView = component(
  'RatingStats',
  Type.Object({
    from: DateTime(),
    to: DateTime(),
    count: Type.Integer({ description: 'Ratings given' }),
    average: Type.Number(),
    distribution: Type.Object({ 1: Type.Integer(), 2: Type.Integer(), 3: Type.Integer(), 4: Type.Integer(), 5: Type.Integer() }),
    resolutionTime: Spread,
    ratingDelay: Spread,
    topProblems: Type.Array(Type.Object({ label: Type.String(), count: Type.Integer() })),
    requested: Type.Integer({ description: 'Rating requests in the period' }),
    noChat: Type.Integer({ description: 'Requests that found no Telegram chat to ask' }),
  }),
);

const OkdeskWebhookView = component(
  'OkdeskWebhook',
  Type.Object({
    id: Type.String(),
    eventType: Nullable(Type.String()),
    issueId: Nullable(Type.String()),
    outcome: Type.Union([Type.Literal('accepted'), Type.Literal('ignored'), Type.Literal('invalid')]),
    error: Nullable(Type.String()),
    body: Type.String({ description: 'As Okdesk sent it' }),
    receivedAt: DateTime(),
  }),
);

const contactView = (r: ContactRow): Static<typeof ContactView> => ({
  contactId: r.contact_id,
  telegramChatId: r.telegram_chat_id,
  phone: r.phone,
  name: r.name,
  linkedBy: r.linked_by,
  linkedAt: iso(r.linked_at),
});

const ratingView = (r: RatingRow): Static<typeof RatingView> => ({
  id: r.id,
  issueId: r.issue_id,
  title: r.title,
  contactId: r.contact_id,
  status: r.status,
  score: r.score,
  resolvedAt: iso(r.resolved_at),
  sentAt: iso(r.sent_at),
  ratedAt: iso(r.rated_at),
});

function period(q: Static<typeof Period>): { from: number; to: number } {
  // The schema's date-time format takes what no Date holds (a leap second, year 0): a 400 here.
  const at = (v: string, field: 'from' | 'to') => {
    const t = parseDate(v);
    if (t === undefined) throw new AppError('VALIDATION_ERROR', `\`${field}\` must be an ISO date-time from 1970 to 9999`, [{ field, message: 'is not a date this server can use' }], { status: 400 });
    return t;
  };
  const to = q.to ? at(q.to, 'to') : Date.now() + 1;
  const from = q.from ? at(q.from, 'from') : to - 30 * 86400_000;
  if (from >= to) throw new AppError('VALIDATION_ERROR', '`from` must be before `to`', [{ field: 'from', message: 'must be before to' }]);
  return { from, to };
}

export const ratingApiRoutes =
  (store: OkdeskStore): RouteModule =>
  (app) => {
    const tags = ['okdesk-rating'];
    app.get<{ Querystring: PageQuery }>('/v1/okdesk/contacts', { schema: { tags, summary: 'Okdesk contacts linked to Telegram chats', querystring: PageQuery, response: { 200: Paged(ref(ContactView)) } } }, async (req) => {
      const { items, total } = await store.contacts(req.caller.projectId, req.query.limit, req.query.offset);
      return page(items.map(contactView), total, req.query);
    });

    app.get<{ Params: Static<typeof ContactParams> }>('/v1/okdesk/contacts/:contactId', { schema: { tags, summary: 'The chat an Okdesk contact is linked to', params: ContactParams, response: { 200: Ok(ref(ContactView)), ...errors(404) } } }, async (req) => {
      const c = await store.contact(req.caller.projectId, req.params.contactId);
      if (!c) throw notFound('Linked contact', req.params.contactId);
      return ok(contactView(c));
    });

    app.put<{ Params: Static<typeof ContactParams>; Body: Static<typeof ContactBody> }>(
      '/v1/okdesk/contacts/:contactId',
      {
        schema: {
          tags,
          summary: 'Link an Okdesk contact to a Telegram chat (replaces an earlier link)',
          params: ContactParams,
          body: ContactBody,
          response: { 200: Ok(ref(ContactView)), ...errors(404, 422) },
        },
      },
      async (req) => {
        const { projectId } = req.caller;
        await store.linkContact({
          project_id: projectId,
          contact_id: req.params.contactId,
          telegram_chat_id: chatIdOf(req.body.telegramChatId),
          phone: null,
          name: null,
          linked_by: 'api',
          linked_at: Date.now(),
        });
        // Unlinked by a DELETE at the same moment: that one came second.
        return ok(contactView(found(await store.contact(projectId, req.params.contactId), 'Linked contact', req.params.contactId)));
      },
    );

    app.delete<{ Params: Static<typeof ContactParams> }>('/v1/okdesk/contacts/:contactId', { schema: { tags, summary: 'Unlink a contact', params: ContactParams, response: { 204: NoContent(), ...errors(404) } } }, async (req, reply) => {
      if (!(await store.unlinkContact(req.caller.projectId, req.params.contactId))) throw notFound('Linked contact', req.params.contactId);
      return reply.status(204).send();
    });

    app.get<{ Querystring: PageQuery }>('/v1/okdesk/webhooks', { schema: { tags, summary: 'Webhooks Okdesk sent, newest first (refused ones with the reason)', querystring: PageQuery, response: { 200: Paged(ref(OkdeskWebhookView)) } } }, async (req) => {
      const { items, total } = await store.webhooks(req.caller.projectId, req.query.limit, req.query.offset);
      const view = items.map((w) => ({ id: w.id, eventType: w.event_type, issueId: w.issue_id, outcome: w.outcome, error: w.error, body: w.body, receivedAt: iso(w.received_at) }));
      return page(view, total, req.query);
    });

    app.get<{ Querystring: Static<typeof PeriodPage> }>('/v1/ratings', { schema: { tags, summary: 'Rating requests of issues resolved in the period, oldest first, a page at a time', querystring: PeriodPage, response: { 200: Paged(ref(RatingView)), ...errors(422) } } }, async (req) => {
      const { from, to } = period(req.query);
      const { items, total } = await store.ratingsPage(req.caller.projectId, from, to, req.query.limit, req.query.offset);
      return page(items.map(ratingView), total, req.query);
    });

    app.get<{ Querystring: Static<typeof Period> }>(
      '/v1/ratings/stats',
      { schema: { tags, summary: 'Rating statistics for issues resolved in the period (times in seconds)', querystring: Period, response: { 200: Ok(ref(RatingStatsView)), ...errors(422) } } },
      async (req) => {
        const { from, to } = period(req.query);
        const rows = await store.ratingsBetween(req.caller.projectId, from, to);
        const stats = ratingStats(
          rows.map((r) => ({
            score: r.score,
            status: r.status,
            resolvedAt: r.resolved_at,
            issueCreatedAt: r.issue_created_at,
            requestedAt: r.sent_at ?? r.resolved_at,
            ratedAt: r.rated_at,
            label: r.label ?? r.title,
          })),
        );
        return ok({ from: iso(from), to: iso(to), ...stats });
      },
    );

    app.get<{ Querystring: Static<typeof Period> }>(
      '/v1/ratings/export.csv',
      {
        schema: {
          tags,
          summary: 'Ratings as CSV (UTF-8 with BOM, so Excel reads Cyrillic): one row per rating',
          querystring: Period,
          response: { 200: { description: 'issue id, title, contact, score, resolved at, rated at', content: { 'text/csv': { schema: Type.String() } } }, ...errors(422) },
        },
      },
      async (req, reply) => {
        const { from, to } = period(req.query);
        const rows = (await store.ratingsBetween(req.caller.projectId, from, to)).filter((r) => r.status === 'rated');
        const csv = ratingsCsv(rows.map((r) => ({ issueId: r.issue_id, title: r.title ?? '', contactId: r.contact_id ?? '', score: r.score!, resolvedAt: r.resolved_at, ratedAt: r.rated_at })));
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="ratings-${new Date(to).toISOString().slice(0, 10)}.csv"`)
          .send(csv);
      },
    );
  };
