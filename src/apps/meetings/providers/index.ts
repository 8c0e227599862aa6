/**
 * Room providers: who makes the meeting room. `mock` is seed 000's test workflow,
 * `ktalk` the real Kontur.Talk API. A provider throws AppError with
 * BAD_GATEWAY / SERVICE_UNAVAILABLE / GATEWAY_TIMEOUT and a message a person can read.
 */
import { pooledRandomBytes } from '../../../ids.js';

export interface RoomSpec {
  /** Room key: lowercase latin letters and digits (Talk's rule for roomName). */
  roomName: string;
  title: string;
  description: string;
}

export interface Room {
  roomId: string;
  roomName: string;
  /** https URL people open to join. */
  roomUrl: string;
}

export interface MeetingProvider {
  readonly name: 'mock' | 'ktalk';
  /**
   * Answers at once, without I/O (the mock): asked without a deadline. An AbortController
   * and a timer per click were 4 % of a click's CPU for a provider that cannot hang.
   */
  readonly instant?: boolean;
  createRoom(spec: RoomSpec, signal: AbortSignal): Promise<Room>;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `{channel}{suffix}`: up to 20 characters of the channel id reduced to [a-z0-9]
 * (so a room can be traced to its channel), then 8 random ones (so every new room is
 * a new room: Talk's PUT would otherwise update, and reuse, the channel's old room).
 */
export function roomNameFor(channelId: string): string {
  const stem = channelId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'room';
  let suffix = '';
  for (const b of pooledRandomBytes(8)) suffix += ALNUM[b % 36];
  return stem + suffix;
}

/** Talk's space host, e.g. `https://{space}.ktalk.ru`. */
export const spaceOrigin = (space: string) => `https://${space}.ktalk.ru`;
