/**
 * Seed 000's test workflow: no call to anyone, an https room URL derived from the
 * channel. Good for trying the Mattermost plugin before a Talk API key exists.
 */
import { spaceOrigin, type MeetingProvider } from './index.js';

/** `space`: KTALK_SPACE when set, else `meet` (https://meet.ktalk.ru/{roomName}). */
export function mockProvider(space = 'meet'): MeetingProvider {
  return {
    name: 'mock',
    instant: true,
    async createRoom(spec) {
      return { roomId: spec.roomName, roomName: spec.roomName, roomUrl: `${spaceOrigin(space)}/${spec.roomName}` };
    },
  };
}
