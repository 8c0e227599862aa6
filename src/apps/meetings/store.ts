/**
 * The meetings app's history (seed 000): one row per room asked of a provider.
 * A row is `pending` while the provider is asked, then `created` or `failed`; the
 * per-user rate limit reads the same rows, so it holds across restarts and processes.
 * (On SQLite, one process per database, the pending row lives in memory until its
 * outcome is stored: store-sqlite.ts.)
 */
import type { Kysely, Selectable } from 'kysely';
import { listPage } from '../../store/query.js';
import { sqliteParts, type Store } from '../../store/db.js';
import { sqliteMeetings } from './store-sqlite.js';
import { postgresMeetings } from './store-postgres.js';

export interface MeetingsTable {
  id: string;
  project_id: string;
  source_id: string | null;
  channel_id: string;
  channel_name: string | null;
  channel_type: string | null;
  user_id: string;
  username: string | null;
  operation_type: string | null;
  title: string | null;
  provider: string;
  room_id: string | null;
  room_name: string | null;
  room_url: string | null;
  /**
   * `pending` while the provider is asked (it reserves the user's slot across processes;
   * stored on PostgreSQL only);
   * then `created`, `reused` (a repeat click got the room already made), `failed` (the
   * provider failed, or another request still held the channel) or `refused` (400, 401,
   * 403, 429: nothing was asked of the provider).
   */
  status: 'pending' | 'created' | 'reused' | 'failed' | 'refused';
  /** The HTTP status the request was answered with (null while pending). */
  answer_status: number | null;
  error: string | null;
  /** JSON: the plugin's whole request body. */
  request: string;
  created_at: number;
}

export interface DB {
  meetings: MeetingsTable;
}

export type MeetingRow = Selectable<MeetingsTable>;
export type MeetingStatus = MeetingsTable['status'];

/** The API shape (`GET /v1/meetings`). */
export interface Meeting {
  id: string;
  sourceId: string | null;
  channelId: string;
  channelName: string | null;
  channelType: string | null;
  userId: string;
  username: string | null;
  operationType: string | null;
  title: string | null;
  provider: string;
  roomId: string | null;
  roomName: string | null;
  roomUrl: string | null;
  status: MeetingStatus;
  /** The HTTP status the plugin got. */
  answerStatus: number | null;
  error: string | null;
  /** The plugin's whole request body, unknown fields included. */
  request: unknown;
  createdAt: string;
}

export function toMeeting(r: MeetingRow): Meeting {
  let request: unknown = null;
  try {
    request = JSON.parse(r.request);
  } catch {
    request = r.request;
  }
  return {
    id: r.id,
    sourceId: r.source_id,
    channelId: r.channel_id,
    channelName: r.channel_name,
    channelType: r.channel_type,
    userId: r.user_id,
    username: r.username,
    operationType: r.operation_type,
    title: r.title,
    provider: r.provider,
    roomId: r.room_id,
    roomName: r.room_name,
    roomUrl: r.room_url,
    status: r.status,
    answerStatus: r.answer_status,
    error: r.error,
    request,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export interface MeetingListQuery {
  limit: number;
  offset: number;
  userId?: string;
  channelId?: string;
  status?: MeetingStatus;
}

/** How a request ended: the columns `complete` and `finish` set (room columns only when given). */
export interface MeetingEnd {
  status: MeetingStatus;
  answer_status: number;
  error: string | null;
  room_id?: string | null;
  room_name?: string | null;
  room_url?: string | null;
}

/**
 * The history's writes and the rate-limit window, one implementation per dialect
 * (store-sqlite.ts, store-postgres.ts); the repository picks one and ranks the windows.
 */
export interface MeetingWrites {
  /** Writes queued together share one commit (SQLite's writer); else each is its own statement. */
  sharesCommits: boolean;
  insert(row: MeetingRow): Promise<void>;
  /** The pending row ranked after the user's newest, and the user's window since `since` read with it. */
  reserve(row: MeetingRow, since: number): Promise<{ row: MeetingRow; window: MeetingRow[] }>;
  end(id: string, e: MeetingEnd): Promise<void>;
  window(projectId: string, sourceId: string | null, userId: string, since: number): Promise<MeetingRow[]>;
}

/** A user's rows of one app in rank order; compared in JS as well, so both dialects' collations agree on the id tie-break. */
const ranked = (rows: MeetingRow[]) => rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The history over the store; `store.ts` reads, the dialect's MeetingWrites writes. */
export function meetingsRepo(store: Store) {
  const db = store.db as unknown as Kysely<DB>;
  const lite = sqliteParts(store);
  const writes: MeetingWrites = lite ? sqliteMeetings(lite) : postgresMeetings(db);

  return {
    sharesCommits: writes.sharesCommits,

    insert: (row: MeetingRow): Promise<void> => writes.insert(row),

    /**
     * Inserts a user's pending row so that it ranks after every row of the user already
     * committed, and answers it with the user's window since `since` (its own row in it).
     * Two clicks in the same millisecond would otherwise tie on created_at, and the later
     * one, with a smaller random id, could rank first after the earlier one had already
     * decided to make the room (two rooms). Serialised per user (an advisory lock on
     * PostgreSQL; SQLite's one writer), created_at is bumped past the user's newest row.
     */
    async reserve(row: MeetingRow, since: number): Promise<{ row: MeetingRow; window: MeetingRow[] }> {
      const r = await writes.reserve(row, since);
      return { row: r.row, window: ranked(r.window) };
    },

    complete: (id: string, room: { roomId: string; roomName: string; roomUrl: string }): Promise<void> =>
      writes.end(id, { status: 'created', answer_status: 200, error: null, room_id: room.roomId, room_name: room.roomName, room_url: room.roomUrl }),

    /** The request ended without a new room: its outcome, and the room it got when it reused one. */
    finish(id: string, e: { status: Exclude<MeetingStatus, 'pending' | 'created'>; answerStatus: number; error?: string; room?: MeetingRow }): Promise<void> {
      const room = e.room;
      return writes.end(id, { status: e.status, answer_status: e.answerStatus, error: e.error ?? null, ...(room && { room_id: room.room_id, room_name: room.room_name, room_url: room.room_url }) });
    },

    /**
     * A user's pending and created rows of one app (source, or the env app when
     * `sourceId` is null) since `since`, oldest first — the rate limit's window.
     * The order (created_at, id) is total, so every process ranks the rows alike.
     */
    window: async (projectId: string, sourceId: string | null, userId: string, since: number): Promise<MeetingRow[]> =>
      ranked(await writes.window(projectId, sourceId, userId, since)),

    async get(projectId: string, id: string): Promise<Meeting | undefined> {
      const r = await db.selectFrom('meetings').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r && toMeeting(r);
    },

    async list(projectId: string, opts: MeetingListQuery): Promise<{ items: Meeting[]; total: number }> {
      let q = db.selectFrom('meetings').where('project_id', '=', projectId);
      if (opts.userId) q = q.where('user_id', '=', opts.userId);
      if (opts.channelId) q = q.where('channel_id', '=', opts.channelId);
      if (opts.status) q = q.where('status', '=', opts.status);
      return listPage(q, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), opts, toMeeting);
    },
  };
}
export type MeetingsRepo = ReturnType<typeof meetingsRepo>;
