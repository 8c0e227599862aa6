/**
 * What an Okdesk webhook does, in one transaction with its log row: learn what it
 * says of the issue, and when the status has just become a rating status, create the
 * rating request and its Telegram job. Several reports of one resolution (Okdesk's
 * status event, seed 004's `issue.updated` backup, a retry) ask once: only the report
 * that flips the issue from open to resolved creates a request.
 */
import type { AppContext } from '../../context.js';
import { newId } from '../../ids.js';
import { storable } from '../../core/text.js';
import { parseOkdeskWebhook, type ParsedWebhook } from './payload.js';
import type { OkdeskStore, Trx } from './store.js';

export interface IntakeAnswer {
  status: number;
  body: Record<string, unknown>;
}

export const JOB_SEND_RATING = 'okdesk-rating.send-rating';
export const JOB_COMMENT = 'okdesk-rating.comment';
export const JOB_THANK = 'okdesk-rating.thank';
export const JOB_CREATE_ISSUE = 'okdesk-rating.create-issue';
export const JOB_NOTIFY = 'okdesk-rating.notify';

export interface Intake {
  /** `raw`: the body as received; `json`: parsed, or undefined when it is not JSON. */
  take(raw: string, json: unknown, now?: number): Promise<IntakeAnswer>;
}

export function createIntake(ctx: AppContext, store: OkdeskStore, projectId: string, ratingStatuses: string[]): Intake {
  const rating = new Set(ratingStatuses);
  const log = ctx.logger.child({ app: 'okdesk-rating' });

  async function apply(trx: Trx, p: Extract<ParsedWebhook, { issueId: string }>, now: number): Promise<string | undefined> {
    await store.upsertIssue(trx, projectId, p.issueId, { title: p.title, contactId: p.contactId, label: p.issueType, issueCreatedAt: p.issueCreatedAt }, now);
    if (p.kind !== 'status' || !p.statusCode) return undefined;
    const code = p.statusCode.toLowerCase();
    if (!rating.has(code)) {
      await store.markOpen(trx, projectId, p.issueId, code, now);
      return undefined;
    }
    const resolution = await store.markResolved(trx, projectId, p.issueId, code, now);
    if (resolution === undefined) return undefined; // already asked for this resolution
    const issue = (await store.issue(trx, projectId, p.issueId))!;
    // The client's linked chat; else the chat that created the issue through the bot.
    const contact = issue.contact_id ? await store.contact(projectId, issue.contact_id, trx) : undefined;
    const chatId = contact?.telegram_chat_id ?? issue.chat_id;
    const id = newId('rtg', now);
    await store.insertRating(trx, {
      id,
      project_id: projectId,
      issue_id: p.issueId,
      resolution,
      title: issue.title,
      label: issue.label,
      contact_id: issue.contact_id,
      chat_id: chatId,
      status: chatId ? 'pending' : 'no_chat',
      score: null,
      message_id: null,
      issue_created_at: issue.issue_created_at,
      resolved_at: now,
      sent_at: null,
      rated_at: null,
    });
    if (chatId) await ctx.jobs.enqueue({ projectId, kind: JOB_SEND_RATING, payload: { ratingId: id } }, trx);
    log.info({ issue_id: p.issueId, rating_id: id, resolution, chat: chatId ? 'linked' : 'none' }, chatId ? 'rating requested' : 'issue resolved; the contact has no linked Telegram chat');
    return id;
  }

  return {
    async take(raw, json, now = Date.now()) {
      const id = newId('okw', now);
      const base = { id, project_id: projectId, received_at: now, body: storable(raw) };
      if (json === undefined) {
        const error = raw.trim() === '' ? 'The webhook body is empty: Okdesk sends JSON' : 'The webhook body is not valid JSON';
        await store.logWebhook(store.db, { ...base, event_type: null, issue_id: null, outcome: 'invalid', error });
        log.info({ webhook_id: id, error }, 'okdesk webhook refused');
        return { status: 400, body: { message: error, id } };
      }
      const p = parseOkdeskWebhook(json);
      if ('error' in p) {
        await store.logWebhook(store.db, { ...base, event_type: null, issue_id: null, outcome: 'invalid', error: p.error });
        log.info({ webhook_id: id, error: p.error }, 'okdesk webhook refused');
        return { status: 400, body: { message: p.error, id } };
      }
      if (p.kind === 'ignored') {
        await store.logWebhook(store.db, { ...base, event_type: p.eventType, issue_id: p.issueId ?? null, outcome: 'ignored', error: null });
        return { status: 202, body: { message: `Event ${p.eventType} is not used; ignored`, id, ignored: true } };
      }
      const ratingId = await store.transaction(async (trx) => {
        await store.logWebhook(trx, { ...base, event_type: p.eventType, issue_id: p.issueId, outcome: 'accepted', error: null });
        return apply(trx, p, now);
      });
      if (ratingId) ctx.jobs.wake();
      return { status: 202, body: { message: 'Accepted', id, ...(ratingId && { ratingId }) } };
    },
  };
}
