/**
 * The rating app's tables (migrations.ts): which chat each Okdesk contact is linked
 * to, what it knows of each issue (so one resolution asks once), the rating requests,
 * and every webhook Okdesk sent.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { listPage } from '../../store/query.js';

interface ContactsTable {
  project_id: string;
  contact_id: string;
  telegram_chat_id: string;
  phone: string | null;
  name: string | null;
  linked_by: 'bot' | 'api';
  linked_at: number;
}
interface IssuesTable {
  project_id: string;
  issue_id: string;
  title: string | null;
  contact_id: string | null;
  chat_id: string | null;
  label: string | null;
  status_code: string | null;
  resolved: number;
  resolutions: number;
  issue_created_at: number | null;
  updated_at: number;
}
export type RatingStatus = 'pending' | 'sent' | 'rated' | 'no_chat' | 'blocked';
interface RatingsTable {
  id: string;
  project_id: string;
  issue_id: string;
  resolution: number;
  title: string | null;
  label: string | null;
  contact_id: string | null;
  chat_id: string | null;
  status: RatingStatus;
  score: number | null;
  message_id: number | null;
  issue_created_at: number | null;
  resolved_at: number;
  sent_at: number | null;
  rated_at: number | null;
}
interface WebhooksTable {
  id: string;
  project_id: string;
  event_type: string | null;
  issue_id: string | null;
  outcome: 'accepted' | 'ignored' | 'invalid';
  error: string | null;
  body: string;
  received_at: number;
}
export interface OkdeskDB {
  okdesk_contacts: ContactsTable;
  okdesk_issues: IssuesTable;
  okdesk_ratings: RatingsTable;
  okdesk_webhooks: WebhooksTable;
}
export type Db = Kysely<OkdeskDB>;
export type Trx = Transaction<OkdeskDB>;
export type ContactRow = Selectable<ContactsTable>;
export type IssueRow = Selectable<IssuesTable>;
export type RatingRow = Selectable<RatingsTable>;
export type WebhookRow = Selectable<WebhooksTable>;

/** What a webhook says of an issue; undefined fields leave what is known as it is. */
export interface IssueFacts {
  title?: string;
  contactId?: string;
  chatId?: string;
  label?: string;
  issueCreatedAt?: number;
}

/** Stored webhook bodies are for debugging: the first 64 KiB is plenty. */
const BODY_KEEP = 64 * 1024;

export function okdeskStore(anyDb: Kysely<any>) {
  const db = anyDb as Db;
  const resolvedBetween = (projectId: string, from: number, to: number) =>
    db.selectFrom('okdesk_ratings').where('project_id', '=', projectId).where('resolved_at', '>=', from).where('resolved_at', '<', to);
  return {
    db,
    transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
      return db.transaction().execute(fn);
    },

    async logWebhook(x: Kysely<OkdeskDB>, row: WebhookRow): Promise<void> {
      await x.insertInto('okdesk_webhooks').values({ ...row, body: row.body.slice(0, BODY_KEEP) }).execute();
    },

    /** Creates the issue row or adds what this webhook says of it. */
    async upsertIssue(x: Kysely<OkdeskDB>, projectId: string, issueId: string, f: IssueFacts, now: number): Promise<void> {
      await x
        .insertInto('okdesk_issues')
        .values({
          project_id: projectId,
          issue_id: issueId,
          title: f.title ?? null,
          contact_id: f.contactId ?? null,
          chat_id: f.chatId ?? null,
          label: f.label ?? null,
          status_code: null,
          resolved: 0,
          resolutions: 0,
          issue_created_at: f.issueCreatedAt ?? null,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['project_id', 'issue_id']).doNothing())
        .execute();
      const set: Partial<IssuesTable> = { updated_at: now };
      if (f.title !== undefined) set.title = f.title;
      if (f.contactId !== undefined) set.contact_id = f.contactId;
      if (f.chatId !== undefined) set.chat_id = f.chatId;
      if (f.label !== undefined) set.label = f.label;
      if (f.issueCreatedAt !== undefined) set.issue_created_at = f.issueCreatedAt;
      await x.updateTable('okdesk_issues').set(set).where('project_id', '=', projectId).where('issue_id', '=', issueId).execute();
    },

    /**
     * The status became a rating status. Answers the resolution's number when this call
     * made the issue resolved (so exactly one of several reports of it asks), else undefined.
     */
    async markResolved(x: Kysely<OkdeskDB>, projectId: string, issueId: string, statusCode: string, now: number): Promise<number | undefined> {
      const r = await x
        .updateTable('okdesk_issues')
        .set((eb) => ({ resolved: 1, resolutions: eb('resolutions', '+', 1), status_code: statusCode, updated_at: now }))
        .where('project_id', '=', projectId)
        .where('issue_id', '=', issueId)
        .where('resolved', '=', 0)
        .returning('resolutions')
        .executeTakeFirst();
      return r?.resolutions;
    },

    /** Any other status: the issue is open again, and its next resolution asks again. */
    async markOpen(x: Kysely<OkdeskDB>, projectId: string, issueId: string, statusCode: string, now: number): Promise<void> {
      await x
        .updateTable('okdesk_issues')
        .set({ resolved: 0, status_code: statusCode, updated_at: now })
        .where('project_id', '=', projectId)
        .where('issue_id', '=', issueId)
        .execute();
    },

    async issue(x: Kysely<OkdeskDB>, projectId: string, issueId: string): Promise<IssueRow | undefined> {
      return x.selectFrom('okdesk_issues').selectAll().where('project_id', '=', projectId).where('issue_id', '=', issueId).executeTakeFirst();
    },

    async insertRating(x: Kysely<OkdeskDB>, row: RatingRow): Promise<void> {
      await x.insertInto('okdesk_ratings').values(row).execute();
    },

    async rating(projectId: string, id: string): Promise<RatingRow | undefined> {
      return db.selectFrom('okdesk_ratings').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },

    async ratingSent(id: string, messageId: number, now: number): Promise<void> {
      await db.updateTable('okdesk_ratings').set({ status: 'sent', message_id: messageId, sent_at: now }).where('id', '=', id).where('status', 'in', ['pending', 'blocked']).execute();
    },

    async ratingBlocked(id: string): Promise<void> {
      await db.updateTable('okdesk_ratings').set({ status: 'blocked' }).where('id', '=', id).where('status', '=', 'pending').execute();
    },

    /** The first press wins: true when this call saved the score. */
    async rate(x: Kysely<OkdeskDB>, id: string, chatId: string, score: number, now: number): Promise<boolean> {
      const r = await x
        .updateTable('okdesk_ratings')
        .set({ status: 'rated', score, rated_at: now })
        .where('id', '=', id)
        .where('chat_id', '=', chatId)
        .where('status', 'in', ['pending', 'sent'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Every rating request of issues resolved in [from, to), oldest first (statistics, CSV). */
    async ratingsBetween(projectId: string, from: number, to: number): Promise<RatingRow[]> {
      return resolvedBetween(projectId, from, to).selectAll().orderBy('resolved_at').orderBy('id').execute();
    },

    /** One page of them, in the same order, with how many there are. */
    async ratingsPage(projectId: string, from: number, to: number, limit: number, offset: number): Promise<{ items: RatingRow[]; total: number }> {
      return listPage(resolvedBetween(projectId, from, to), (q) => q.selectAll().orderBy('resolved_at').orderBy('id'), { limit, offset }, (r) => r);
    },

    /** `x`: a transaction, when the read belongs to one. */
    async contact(projectId: string, contactId: string, x: Kysely<OkdeskDB> = db): Promise<ContactRow | undefined> {
      return x.selectFrom('okdesk_contacts').selectAll().where('project_id', '=', projectId).where('contact_id', '=', contactId).executeTakeFirst();
    },

    async contactByChat(projectId: string, chatId: string): Promise<ContactRow | undefined> {
      return db
        .selectFrom('okdesk_contacts')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('telegram_chat_id', '=', chatId)
        .orderBy('linked_at', 'desc')
        .executeTakeFirst();
    },

    async contacts(projectId: string, limit: number, offset: number): Promise<{ items: ContactRow[]; total: number }> {
      const base = db.selectFrom('okdesk_contacts').where('project_id', '=', projectId);
      return listPage(base, (q) => q.selectAll().orderBy('linked_at', 'desc').orderBy('contact_id'), { limit, offset }, (r) => r);
    },

    /** One chat per contact: linking again replaces the chat. */
    async linkContact(row: ContactRow): Promise<void> {
      await db
        .insertInto('okdesk_contacts')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['project_id', 'contact_id']).doUpdateSet({
            telegram_chat_id: row.telegram_chat_id,
            phone: row.phone,
            name: row.name,
            linked_by: row.linked_by,
            linked_at: row.linked_at,
          }),
        )
        .execute();
    },

    async unlinkContact(projectId: string, contactId: string): Promise<boolean> {
      const r = await db.deleteFrom('okdesk_contacts').where('project_id', '=', projectId).where('contact_id', '=', contactId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async webhooks(projectId: string, limit: number, offset: number): Promise<{ items: WebhookRow[]; total: number }> {
      const base = db.selectFrom('okdesk_webhooks').where('project_id', '=', projectId);
      return listPage(base, (q) => q.selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc'), { limit, offset }, (r) => r);
    },
  };
}
export type OkdeskStore = ReturnType<typeof okdeskStore>;
