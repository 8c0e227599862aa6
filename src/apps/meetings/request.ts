/**
 * The Mattermost plugin's request body: seed 000's five fields, plus what the
 * published plugin sends (its browser code: `instant_call`; its Go server:
 * `scheduled_meeting`). Only what the app reads is checked; every other field is
 * accepted as is and kept in the history. One schema serves the check and the
 * OpenAPI document.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Optional text: the plugin sends `null` for fields it has no value for. */
const Text = (maxLength: number, description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength }), Type.Null()], { description }));

export const MeetingRequestBody = Type.Object(
  {
    channel_id: Type.String({ minLength: 1, maxLength: 200, description: 'Mattermost channel id' }),
    user_id: Type.String({ minLength: 1, maxLength: 200, description: 'Mattermost id of the user who clicked' }),
    channel_name: Text(500, 'Display name of the channel (room title: "Meeting - {channel_name}")'),
    channel_type: Type.Optional(
      Type.Union([Type.Literal('O'), Type.Literal('P'), Type.Literal('D'), Type.Literal('G'), Type.Null()], {
        description: 'O open, P private, D direct, G group',
      }),
    ),
    username: Text(200, 'Mattermost username'),
    // The history's column holds 32 characters; the plugin's values are far shorter.
    operation_type: Text(32, 'instant_call (browser button) or scheduled_meeting (plugin server)'),
    title: Text(500, 'Title of a scheduled meeting (used as the room title)'),
    user_email: Text(500, 'E-mail of the user, when Mattermost has one'),
    start_time_utc: Text(100, 'Scheduled start (UTC)'),
    end_time_utc: Text(100, 'Scheduled end (UTC)'),
    start_time_msk: Text(100, 'Scheduled start (Moscow time)'),
    scheduled_at: Text(100, 'Scheduled start (the plugin server\'s name for it)'),
    timezone: Text(100, 'Time zone of the scheduled meeting'),
    timestamp: Text(100, 'When the plugin sent the request'),
    root_id: Text(200, 'Thread root post id'),
    duration_minutes: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Null()])),
    participants: Type.Optional(Type.Union([Type.Array(Type.Unknown()), Type.Null()])),
    is_thread_reply: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { additionalProperties: true, description: 'Seed 000 body; unknown fields are kept in the history' },
);
export type MeetingRequestBody = Static<typeof MeetingRequestBody>;

const check = TypeCompiler.Compile(MeetingRequestBody);

/** The fields the history stores in columns of their own. */
const STORED = ['channel_id', 'user_id', 'channel_name', 'channel_type', 'username', 'operation_type', 'title'] as const;

/** What the app works with, normalised from the body. */
export interface MeetingInput {
  channelId: string;
  channelName: string | null;
  channelType: string | null;
  userId: string;
  username: string | null;
  operationType: string | null;
  scheduled: boolean;
  /** Room title: the scheduled meeting's `title`, else `Meeting - {channel_name}`. */
  title: string;
  /** Start of a scheduled meeting as sent (any of the plugin versions' names), for dedupe. */
  startsAt: string | null;
  /** The body exactly as received (unknown fields included). */
  raw: Record<string, unknown>;
}

export type Parsed = { ok: true; input: MeetingInput } | { ok: false; message: string };

const blank = (s: string | null | undefined) => (s == null || s.trim() === '' ? null : s.trim());

export function parseMeetingRequest(body: unknown): Parsed {
  if (body === undefined || body === null || body === '') {
    return { ok: false, message: 'The request has no body: send a JSON object with channel_id and user_id (Content-Type: application/json)' };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'The body must be a JSON object with channel_id and user_id' };
  }
  if (!check.Check(body)) {
    const problems = [...check.Errors(body)].slice(0, 3).map(describe);
    return { ok: false, message: `Invalid meeting request: ${[...new Set(problems)].join('; ')}` };
  }
  const b = body as MeetingRequestBody;
  if (b.channel_id.trim() === '' || b.user_id.trim() === '') {
    return { ok: false, message: 'Invalid meeting request: channel_id and user_id must not be blank' };
  }
  // The history keeps these as text columns, and PostgreSQL refuses NUL in text.
  const withNul = STORED.find((k) => typeof b[k] === 'string' && (b[k] as string).includes('\u0000'));
  if (withNul) return { ok: false, message: `Invalid meeting request: ${withNul} must not contain NUL characters` };
  const scheduled = b.operation_type === 'scheduled_meeting';
  const channelName = blank(b.channel_name);
  const title = (scheduled && blank(b.title)) || `Meeting - ${channelName ?? b.channel_id}`;
  return {
    ok: true,
    input: {
      channelId: b.channel_id,
      channelName,
      channelType: b.channel_type ?? null,
      userId: b.user_id,
      username: blank(b.username),
      operationType: blank(b.operation_type),
      scheduled,
      title: title.slice(0, 500),
      startsAt: startOf(b as Record<string, unknown>),
      raw: b as Record<string, unknown>,
    },
  };
}

/** The start time of a scheduled meeting under any of the names plugin versions use. */
export function startOf(raw: Record<string, unknown>): string | null {
  for (const k of ['start_time_utc', 'scheduled_at', 'start_time_msk']) {
    const v = raw[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

type SchemaLike = { type?: string; const?: unknown; anyOf?: SchemaLike[]; maxLength?: number; minLength?: number; minimum?: number };

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** "channel_id is required", "duration_minutes must be a number" — for the plugin's alert. */
function describe(e: { path: string; message: string; schema: unknown; value: unknown }): string {
  const field = e.path.replace(/^\//, '').replace(/\//g, '.') || 'body';
  if (e.value === undefined) return `${field} is required`;
  const s = e.schema as SchemaLike;
  const options = (s.anyOf ?? [s]).filter((o) => o.type !== 'null');
  if (options.length && options.every((o) => o.const !== undefined)) {
    return `${field} must be one of ${options.map((o) => o.const).join(', ')}`;
  }
  // The value has the right type but breaks a bound of it.
  const same = options.find((o) => o.type === jsonType(e.value));
  if (same && typeof e.value === 'string') {
    return same.minLength && e.value.length < same.minLength ? `${field} must not be empty` : `${field} is too long`;
  }
  if (same && typeof e.value === 'number' && same.minimum !== undefined) return `${field} must be at least ${same.minimum}`;
  const type = options[0]?.type;
  if (type && !same) return `${field} must be ${type === 'array' ? 'an array' : `a ${type}`}`;
  return `${field}: ${e.message.toLowerCase()}`;
}
