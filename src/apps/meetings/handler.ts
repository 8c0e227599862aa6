/**
 * The meetings app (seed 000): a Mattermost click becomes a meeting room.
 * Framework-free so the env-configured route and `/v1/sources` actions share it:
 * validate → reserve a history row → rate limit / repeat click → provider →
 * record → `room.created` → answer.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { newId } from '../../ids.js';
import { withTimeout } from '../../core/timeout.js';
import { storable } from '../../core/text.js';
import type { MeetingRow, MeetingsRepo } from './store.js';
import { parseMeetingRequest, startOf, type MeetingInput } from './request.js';
import { roomNameFor, type MeetingProvider, type Room } from './providers/index.js';

/** How one meetings app is set up (the environment's, or a source's action). */
export interface MeetingsApp {
  projectId: string;
  /** null for the env-configured app at MEETINGS_PATH. */
  sourceId: string | null;
  provider: MeetingProvider;
  /** New rooms per user per minute. Default: 1 */
  rateLimit: number;
  /** The meetings history (and rate-limit window). */
  repo: MeetingsRepo;
}

export interface MeetingAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** The rate limit's window. */
export const WINDOW_MS = 60_000;
/** The plugin wants an answer within 5 s; everything (waits included) fits in this. */
const ANSWER_BUDGET_MS = 4_700;
/** What the provider gets at most. */
const PROVIDER_BUDGET_MS = 4_000;
/** Less than this left after waiting: answer 503 rather than a call doomed to time out. */
const MIN_PROVIDER_MS = 1_000;
/** A pending row older than this belongs to a process that died mid-call: ignored. */
const PENDING_STALE_MS = 15_000;
const POLL_MS = 100;

/**
 * The plugin shows `message` (or `error`) in an alert, so both are readable:
 * `error` is the status's reason phrase, `message` says what happened and what to do.
 */
export function errorAnswer(status: number, message: string, headers: Record<string, string> = {}): MeetingAnswer {
  return { status, body: { status: 'error', error: STATUS_CODES[status] ?? 'Error', message }, headers };
}

const successAnswer = (room: { room_url: string; room_id: string; room_name: string; created_at: number }): MeetingAnswer => ({
  status: 200,
  body: {
    room_url: room.room_url,
    // The published plugin reads meeting_url first; the seed reads room_url: the same room.
    meeting_url: room.room_url,
    room_id: room.room_id,
    room_name: room.room_name,
    created_at: new Date(room.created_at).toISOString(),
    status: 'success',
  },
  headers: {},
});

/**
 * A click's ids with more log fields. Not `{ ...ids, more }`: on Node 20 an object spread
 * followed by new keys takes several microseconds (each key a slow-path map change), and
 * two such log calls, built even when their level is off, were 3 % of a click's CPU.
 */
const withIds = (ids: Record<string, unknown>, more: Record<string, unknown>) => Object.assign({}, ids, more);

/** What an instant provider gets for a signal. */
const NEVER_ABORTED = new AbortController().signal;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sameMeeting(r: MeetingRow, input: MeetingInput): boolean {
  if (r.channel_id !== input.channelId) return false;
  const scheduled = r.operation_type === 'scheduled_meeting';
  if (scheduled !== input.scheduled) return false;
  if (!scheduled) return true;
  // A scheduled meeting is the same one only with the same title and start.
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(r.request);
  } catch {
    // unreadable history: not the same
  }
  return r.title === input.title && startOf(raw) === input.startsAt;
}

type Decision =
  | { kind: 'create' }
  | { kind: 'reuse'; row: MeetingRow }
  | { kind: 'limited'; retryAfter: number }
  | { kind: 'busy' };

/**
 * Our pending row is already inserted, and `rows` is the user's window read with it.
 * Every process ranks the user's live rows the same way (created_at, id), so of two
 * simultaneous clicks exactly one creates the room; the other sees it earlier in the
 * ranking and waits for its room.
 */
async function decide(app: MeetingsApp, mine: MeetingRow, rows: MeetingRow[], input: MeetingInput, deadline: number): Promise<Decision> {
  for (;;) {
    const now = Date.now();
    const live = rows.filter((r) => r.id === mine.id || r.status === 'created' || r.created_at > now - PENDING_STALE_MS);
    const at = live.findIndex((r) => r.id === mine.id);
    const earlier = at < 0 ? live : live.slice(0, at);
    const same = earlier.filter((r) => sameMeeting(r, input));
    const made = same.filter((r) => r.status === 'created' && r.room_url).at(-1);
    if (made) return { kind: 'reuse', row: made };
    if (same.length) {
      // The same click is being served by another request: wait for its room.
      if (Date.now() + POLL_MS > deadline) return { kind: 'busy' };
      await sleep(POLL_MS);
      rows = await app.repo.window(app.projectId, app.sourceId, input.userId, Date.now() - WINDOW_MS);
      continue;
    }
    if (earlier.length >= app.rateLimit) {
      const oldest = earlier[earlier.length - app.rateLimit]!;
      return { kind: 'limited', retryAfter: Math.max(1, Math.ceil((oldest.created_at + WINDOW_MS - now) / 1000)) };
    }
    return { kind: 'create' };
  }
}

function describeRoom(input: MeetingInput): string {
  const where = input.channelName ? `Mattermost channel "${input.channelName}"` : `Mattermost channel ${input.channelId}`;
  const who = input.username ? ` by @${input.username}` : '';
  const when = input.scheduled && input.startsAt ? `, scheduled for ${input.startsAt}` : '';
  return `Created from ${where}${who}${when}`;
}

/** A refused body's field for its history row, as the databases keep it (storable: NUL and lone surrogates as U+FFFD). */
const text = (v: unknown, max = 200) => (typeof v === 'string' ? storable(v).slice(0, max) : null);

/**
 * A request refused before any room was asked for (400, 401, 403, 413, 415): kept in the
 * history with its outcome, so an operator can see why a user's click did nothing.
 */
export async function recordRefusal(app: Pick<MeetingsApp, 'projectId' | 'sourceId' | 'repo'> & { providerName: string }, answer: MeetingAnswer, body: unknown, log: FastifyBaseLogger): Promise<MeetingAnswer> {
  const now = Date.now();
  const id = newId('mtg', now);
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const message = String(answer.body.message);
  try {
    await app.repo.insert({
      id,
      project_id: app.projectId,
      source_id: app.sourceId,
      channel_id: text(b.channel_id) ?? '',
      channel_name: text(b.channel_name, 1000),
      channel_type: text(b.channel_type, 8),
      user_id: text(b.user_id) ?? '',
      username: text(b.username, 1000),
      operation_type: text(b.operation_type, 32),
      title: null,
      provider: app.providerName,
      room_id: null,
      room_name: null,
      room_url: null,
      status: 'refused',
      answer_status: answer.status,
      error: message,
      request: body === undefined ? 'null' : JSON.stringify(body),
      created_at: now,
    });
  } catch (err) {
    log.error({ err, meeting_id: id }, 'a refused meeting request could not be recorded');
  }
  log.info({ meeting_id: id, status: answer.status, reason: message, channel_id: text(b.channel_id), user_id: text(b.user_id) }, 'meeting request refused');
  return answer;
}

export async function handleMeetingRequest(ctx: AppContext, app: MeetingsApp, body: unknown, log: FastifyBaseLogger): Promise<MeetingAnswer> {
  const started = Date.now();
  const parsed = parseMeetingRequest(body);
  if (!parsed.ok) return recordRefusal({ ...app, providerName: app.provider.name }, errorAnswer(400, parsed.message), body, log);
  const input = parsed.input;
  const id = newId('mtg', started);
  const ids = { meeting_id: id, channel_id: input.channelId, user_id: input.userId, source_id: app.sourceId };
  log.info(withIds(ids, { username: input.username, operation_type: input.operationType, provider: app.provider.name }), 'meeting requested');

  let mine: MeetingRow = {
    id,
    project_id: app.projectId,
    source_id: app.sourceId,
    channel_id: input.channelId,
    channel_name: input.channelName,
    channel_type: input.channelType,
    user_id: input.userId,
    username: input.username,
    operation_type: input.operationType,
    title: input.title,
    provider: app.provider.name,
    room_id: null,
    room_name: null,
    room_url: null,
    status: 'pending',
    answer_status: null,
    error: null,
    request: JSON.stringify(input.raw),
    created_at: started,
  };
  const reserved = await app.repo.reserve(mine, started - WINDOW_MS);
  mine = reserved.row;

  const deadline = started + ANSWER_BUDGET_MS;
  let decision = await decide(app, mine, reserved.window, input, deadline);
  // After waiting on another request that then failed, too little time may be left to ask the provider.
  if (decision.kind === 'create' && deadline - Date.now() < MIN_PROVIDER_MS) decision = { kind: 'busy' };
  if (decision.kind === 'reuse') {
    const r = decision.row;
    await app.repo.finish(id, { status: 'reused', answerStatus: 200, room: r });
    log.info(withIds(ids, { reused_meeting_id: r.id, room_id: r.room_id, room_url: r.room_url }), 'meeting room reused (repeat click inside the window)');
    // room_name in answers is the title (seed 000: "Meeting - Town Square"); the column keeps Talk's key.
    return successAnswer({ room_url: r.room_url!, room_id: r.room_id ?? '', room_name: r.title ?? '', created_at: r.created_at });
  }
  if (decision.kind === 'limited') {
    log.warn(withIds(ids, { limit: app.rateLimit, retry_after: decision.retryAfter }), 'meeting rate limit reached');
    const n = app.rateLimit === 1 ? 'one new meeting' : `${app.rateLimit} new meetings`;
    const message = `You can start ${n} a minute. Use the meeting you already started, or try again in ${decision.retryAfter} s.`;
    await app.repo.finish(id, { status: 'refused', answerStatus: 429, error: message });
    return errorAnswer(429, message, { 'retry-after': String(decision.retryAfter) });
  }
  if (decision.kind === 'busy') {
    log.warn(ids, 'meeting for this channel still being created by another request');
    const message = 'A meeting for this channel is still being created. Try again in a few seconds.';
    await app.repo.finish(id, { status: 'failed', answerStatus: 503, error: message });
    return errorAnswer(503, message, { 'retry-after': '2' });
  }

  const spec = { roomName: roomNameFor(input.channelId), title: input.title, description: describeRoom(input) };
  const budget = Math.min(PROVIDER_BUDGET_MS, deadline - Date.now());
  let room: Room;
  try {
    room = app.provider.instant ? await app.provider.createRoom(spec, NEVER_ABORTED) : await withTimeout(budget, 'The provider', (signal) => app.provider.createRoom(spec, signal));
  } catch (err) {
    const e =
      err instanceof AppError && err.status >= 500
        ? err
        : new AppError('BAD_GATEWAY', 'Could not create the meeting room: the meeting provider failed.', [{ message: String((err as Error)?.message ?? err) }], { cause: err });
    const detail = e.details[0]?.message;
    await app.repo.finish(id, { status: 'failed', answerStatus: e.status, error: detail && detail !== e.message ? `${e.message} (${detail})` : e.message });
    // A provider's own AppError says all there is; anything else keeps its stack.
    log.error(withIds(ids, { provider: app.provider.name, status: e.status, detail, ...(e === err ? {} : { err }) }), 'meeting room not created');
    const retryAfter = e.details[0]?.retryAfter;
    return errorAnswer(e.status, e.message, typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {});
  }

  if (app.repo.sharesCommits) {
    // Queued together, the row's outcome and `room.created` (usually) share one commit.
    await Promise.all([app.repo.complete(id, room), publishRoomCreated(ctx, app, id, input, room, started, log)]);
  } else {
    // Separate statements: the row says `created` before anyone can receive the event.
    await app.repo.complete(id, room);
    await publishRoomCreated(ctx, app, id, input, room, started, log);
  }
  log.info(withIds(ids, { room_id: room.roomId, room_url: room.roomUrl, provider: app.provider.name }), 'meeting room created');
  return successAnswer({ room_url: room.roomUrl, room_id: room.roomId, room_name: input.title, created_at: started });
}

/**
 * The room exists whatever happens here, so a failure to record the event is logged,
 * not turned into an error for the user who is waiting for the link.
 */
async function publishRoomCreated(ctx: AppContext, app: MeetingsApp, id: string, input: MeetingInput, room: Room, at: number, log: FastifyBaseLogger) {
  const data = {
    meeting_id: id,
    room_id: room.roomId,
    room_url: room.roomUrl,
    room_name: input.title,
    channel_id: input.channelId,
    channel_name: input.channelName,
    channel_type: input.channelType,
    user_id: input.userId,
    username: input.username,
    operation_type: input.operationType,
    provider: app.provider.name,
    created_at: new Date(at).toISOString(),
  };
  try {
    await ctx.publisher.publish(app.projectId, {
      type: 'room.created',
      data,
      // Webhooks may filter on Mattermost channels (their `channels` field).
      channels: [input.channelId],
      // No idempotency key: `id` is new for every request handled and its room is announced
      // once. A key could never match, and cost every click a lookup and an index entry
      // (about 5 % of a click's CPU on SQLite; a round trip first on PostgreSQL).
    });
  } catch (err) {
    log.error({ meeting_id: id, room_id: room.roomId, err }, 'room.created could not be published');
  }
}
