/** parseMeetingRequest: what is accepted, how the title is chosen, what a person reads on a 400. */
import { describe, expect, it } from 'vitest';
import { parseMeetingRequest } from '../../src/apps/meetings/request.js';

const base = { channel_id: 'c1', user_id: 'u1' };
const message = (body: unknown) => {
  const p = parseMeetingRequest(body);
  expect(p.ok).toBe(false);
  return p.ok ? '' : p.message;
};

describe('parseMeetingRequest', () => {
  it('needs only channel_id and user_id; null optional fields are fine', () => {
    const p = parseMeetingRequest({ ...base, channel_name: null, username: null, user_email: null, channel_type: null, description: null });
    expect(p.ok && p.input).toMatchObject({ channelId: 'c1', userId: 'u1', title: 'Meeting - c1', scheduled: false, channelType: null });
  });

  it('titles: channel name, scheduled title, blank title falls back', () => {
    const t = (b: Record<string, unknown>) => {
      const p = parseMeetingRequest({ ...base, ...b });
      return p.ok ? p.input.title : p.message;
    };
    expect(t({ channel_name: ' Town Square ' })).toBe('Meeting - Town Square');
    expect(t({ channel_name: 'Town Square', title: 'Ignored for instant calls' })).toBe('Meeting - Town Square');
    expect(t({ operation_type: 'scheduled_meeting', channel_name: 'x', title: 'Retro' })).toBe('Retro');
    expect(t({ operation_type: 'scheduled_meeting', channel_name: 'x', title: '  ' })).toBe('Meeting - x');
  });

  it('the start of a scheduled meeting under each plugin version\'s name', () => {
    for (const k of ['start_time_utc', 'scheduled_at', 'start_time_msk']) {
      const p = parseMeetingRequest({ ...base, operation_type: 'scheduled_meeting', [k]: '2030-01-01T10:00:00Z' });
      expect(p.ok && p.input.startsAt).toBe('2030-01-01T10:00:00Z');
    }
  });

  it('keeps the body as received, unknown fields included', () => {
    const body = { ...base, extra: { a: [1] }, is_thread_reply: false };
    const p = parseMeetingRequest(body);
    expect(p.ok && p.input.raw).toEqual(body);
  });

  it('readable messages', () => {
    expect(message(undefined)).toMatch(/no body/);
    expect(message('text')).toMatch(/JSON object/);
    expect(message({ user_id: 'u' })).toMatch(/channel_id is required/);
    expect(message({ ...base, channel_id: '' })).toMatch(/channel_id must not be empty/);
    expect(message({ ...base, user_id: 7 })).toMatch(/user_id must be a string/);
    expect(message({ ...base, username: 7 })).toMatch(/username must be a string/);
    expect(message({ ...base, duration_minutes: '60' })).toMatch(/duration_minutes must be a number/);
    expect(message({ ...base, duration_minutes: -5 })).toMatch(/duration_minutes must be at least 0/);
    expect(message({ ...base, is_thread_reply: 'yes' })).toMatch(/is_thread_reply must be a boolean/);
    expect(message({ ...base, channel_id: 'x'.repeat(201) })).toMatch(/channel_id is too long/);
  });
});
