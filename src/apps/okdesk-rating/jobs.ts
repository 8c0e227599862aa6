/**
 * The app's side effects as durable jobs: ask for a rating in Telegram, save a rating
 * as an Okdesk comment, edit the message to thank the user, create an issue, tell the
 * user. Each is retried by the job worker; a permanent failure (the bot blocked, no
 * such issue) ends the job `failed` with the reason.
 */
import type { Api } from 'grammy';
import type { JobKind } from '../../delivery/jobs.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import type { OkdeskClient } from './okdesk-client.js';
import type { OkdeskStore } from './store.js';
import { issueCreated, ratingComment, ratingRequest, ratingThanks, type BotMessage } from './messages.js';
import { blocked, notModified, telegramError } from './telegram.js';
import { JOB_COMMENT, JOB_CREATE_ISSUE, JOB_NOTIFY, JOB_SEND_RATING, JOB_THANK } from './intake.js';

export interface JobDeps {
  ctx: AppContext;
  store: OkdeskStore;
  okdesk: OkdeskClient;
  api: Api;
  projectId: string;
}

const gone = (what: string) => new AppError('NOT_FOUND', `${what} no longer exists`, [], { retryable: false });

export function ratingJobs({ ctx, store, okdesk, api, projectId }: JobDeps): Record<string, JobKind> {
  const ratingOf = async (id: string) => (await store.rating(projectId, id)) ?? Promise.reject(gone(`rating ${id}`));

  return {
    [JOB_SEND_RATING]: {
      async run({ ratingId }: { ratingId: string }) {
        const r = await ratingOf(ratingId);
        // `blocked`: an operator redrove the failed send (POST /v1/jobs/{id}/retry): ask again.
        if (r.status !== 'pending' && r.status !== 'blocked') return { skipped: `rating is ${r.status}` };
        const m = ratingRequest({ ratingId: r.id, issueId: r.issue_id, title: r.title ?? undefined });
        try {
          const sent = await api.sendMessage(r.chat_id!, m.text, { reply_markup: m.reply_markup });
          await store.ratingSent(r.id, sent.message_id, Date.now());
          return { messageId: sent.message_id };
        } catch (err) {
          if (blocked(err)) await store.ratingBlocked(r.id);
          throw telegramError(err, `the rating request for issue ${r.issue_id}`);
        }
      },
    },

    [JOB_COMMENT]: {
      async run({ ratingId }: { ratingId: string }) {
        const r = await ratingOf(ratingId);
        if (r.score === null) throw new AppError('CONFLICT', `rating ${r.id} has no score`, [], { retryable: false });
        if (!r.contact_id) throw new AppError('VALIDATION_ERROR', `issue ${r.issue_id} has no contact to write the comment as`, [], { retryable: false });
        const c = await okdesk.addComment(r.issue_id, { content: ratingComment(r.score), authorId: r.contact_id });
        return { commentId: c.id };
      },
    },

    [JOB_THANK]: {
      async run({ ratingId }: { ratingId: string }) {
        const r = await ratingOf(ratingId);
        if (r.score === null || r.message_id === null || !r.chat_id) return { skipped: 'nothing to edit' };
        const m = ratingThanks({ issueId: r.issue_id, title: r.title ?? undefined, score: r.score });
        try {
          await api.editMessageText(r.chat_id, Number(r.message_id), m.text, { reply_markup: m.reply_markup });
        } catch (err) {
          if (!notModified(err)) throw telegramError(err, `the thank-you for issue ${r.issue_id}`);
        }
        return { edited: true };
      },
    },

    [JOB_CREATE_ISSUE]: {
      /** Hazard: a crash after Okdesk created the issue but before this job was recorded creates it again on retry. */
      async run(p: { chatId: string; contactId: string; title: string; description: string }) {
        const issue = await okdesk.createIssue({ title: p.title, description: p.description, contactId: p.contactId });
        await store.transaction(async (trx) => {
          await store.upsertIssue(trx, projectId, issue.id, { title: p.title, contactId: p.contactId, chatId: p.chatId, issueCreatedAt: Date.now() }, Date.now());
          await ctx.jobs.enqueue({ projectId, kind: JOB_NOTIFY, payload: { chatId: p.chatId, message: { text: issueCreated(issue.id) } } }, trx);
        });
        ctx.jobs.wake();
        return { issueId: issue.id };
      },
    },

    [JOB_NOTIFY]: {
      async run(p: { chatId: string; message: BotMessage }) {
        try {
          const sent = await api.sendMessage(p.chatId, p.message.text, p.message.reply_markup ? { reply_markup: p.message.reply_markup as never } : {});
          return { messageId: sent.message_id };
        } catch (err) {
          throw telegramError(err, 'a message');
        }
      },
    },
  };
}
