/**
 * Client of the Kontur.Talk public API ("Talk API"): create-or-update a room with
 * `PUT {apiUrl}/Rooms/{roomName}`, header `X-Auth-Token`, body TalkRoomParams
 * (`{title, description, …}`); it answers the TalkRoom (`{roomName, title, …}`).
 * The room is joined at `https://{space}.ktalk.ru/{roomName}`.
 *
 * Error mapping (what the Mattermost user sees in the plugin's alert):
 * - 429 and 503 from Talk → 503: Talk asks us to come back later, so does our answer;
 * - any other non-2xx (400, 401, 403, 404, 409, 5xx, 3xx) and connection failures → 502;
 * - no complete answer within the budget → 504.
 */
import { withTimeout } from '../../../core/timeout.js';
import { request, type Dispatcher } from 'undici';
import { AppError } from '../../../errors.js';
import { parseRetryAfter } from '../../../core/retry.js';
import { spaceOrigin, type MeetingProvider, type Room, type RoomSpec } from './index.js';

export interface KtalkOptions {
  /** e.g. https://company.ktalk.ru/api (no trailing slash). */
  apiUrl: string;
  apiKey: string;
  /** Space name: rooms are at https://{space}.ktalk.ru/{roomName}. */
  space: string;
  /** Whole-call budget in ms (headers and body). Default: 4000 */
  timeoutMs?: number;
  /** undici dispatcher; sources configured through the API pass an SSRF-guarded one. */
  dispatcher?: Dispatcher;
}

/** What Talk said went wrong, for the log and the history (its errors carry `errorMessage`). */
function upstreamDetail(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    for (const k of ['errorMessage', 'message', 'detail', 'title', 'error']) {
      if (typeof j[k] === 'string' && j[k]) return (j[k] as string).slice(0, 300);
    }
  } catch {
    // not JSON: the text itself, shortened
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

const REASONS: Record<number, string> = {
  400: 'Kontur.Talk refused the room request (400 Bad Request)',
  401: 'Kontur.Talk rejected the API key (401 Unauthorized): check KTALK_API_KEY',
  403: 'Kontur.Talk refused access (403 Forbidden): the API key may not create rooms in this space',
  404: 'Kontur.Talk answered 404 Not Found: check KTALK_SPACE and KTALK_API_URL',
  409: 'Kontur.Talk reported a conflict for this room (409 Conflict)',
  429: 'Kontur.Talk is limiting requests right now (429); try again in a minute',
  503: 'Kontur.Talk is temporarily unavailable (503); try again in a minute',
};

export function statusError(status: number, detail: string, retryAfter?: number): AppError {
  const busy = status === 429 || status === 503;
  const message = REASONS[status] ?? (status >= 500 ? `Kontur.Talk failed to create the room (${status})` : `Kontur.Talk answered ${status} instead of creating the room`);
  return new AppError(busy ? 'SERVICE_UNAVAILABLE' : 'BAD_GATEWAY', `Could not create the meeting room: ${message}.`, [
    { message: detail || `HTTP ${status}`, upstreamStatus: status, ...(retryAfter !== undefined && { retryAfter }) },
  ], { retryable: busy || status >= 500 });
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_ABORTED', 'ABORT_ERR']);

function transportError(err: unknown, timeoutMs: number, signal: AbortSignal): AppError {
  const e = err as { code?: string; name?: string; message?: string };
  if (signal.aborted || TIMEOUT_CODES.has(e.code ?? '') || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return new AppError('GATEWAY_TIMEOUT', `Could not create the meeting room: Kontur.Talk did not answer within ${timeoutMs / 1000} s. Try again.`, [
      { message: e.message ?? 'timeout' },
    ], { retryable: true, cause: err });
  }
  return new AppError('BAD_GATEWAY', `Could not create the meeting room: Kontur.Talk could not be reached (${e.code ?? e.message ?? 'connection failed'}).`, [
    { message: e.message ?? String(err) },
  ], { retryable: true, cause: err });
}

/** Talk's `Retry-After`, in whole seconds for our own answer's header. */
function retryAfterSeconds(h: string | string[] | undefined): number | undefined {
  const ms = parseRetryAfter(h, Date.now());
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

export function ktalkProvider(opts: KtalkOptions): MeetingProvider {
  const timeoutMs = opts.timeoutMs ?? 4000;
  return {
    name: 'ktalk',
    async createRoom(spec: RoomSpec, outer: AbortSignal): Promise<Room> {
      const url = `${opts.apiUrl}/Rooms/${encodeURIComponent(spec.roomName)}`;
      const { status, text, retryAfter } = await withTimeout(timeoutMs, 'Kontur.Talk', async (own) => {
        const signal = AbortSignal.any([outer, own]);
        try {
          const res = await request(url, {
            method: 'PUT',
            headers: { 'x-auth-token': opts.apiKey, 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ title: spec.title, description: spec.description }),
            signal,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
            ...(opts.dispatcher && { dispatcher: opts.dispatcher }),
          });
          const retryAfter = retryAfterSeconds(res.headers['retry-after']);
          return { status: res.statusCode, retryAfter, text: await res.body.text() };
        } catch (err) {
          throw transportError(err, timeoutMs, signal);
        }
      });
      if (status < 200 || status >= 300) throw statusError(status, upstreamDetail(text), retryAfter);
      // Talk answers the TalkRoom; its roomName is the key (ours, unless Talk normalised it).
      let roomName = spec.roomName;
      try {
        const room = JSON.parse(text) as { roomName?: unknown };
        if (typeof room.roomName === 'string' && /^[a-z0-9]+$/.test(room.roomName)) roomName = room.roomName;
      } catch {
        // A 2xx without a JSON body still made the room we named.
      }
      return { roomId: roomName, roomName, roomUrl: `${spaceOrigin(opts.space)}/${roomName}` };
    },
  };
}
