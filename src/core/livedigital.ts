/**
 * Seed 002 (livedigital) per-space delivery body: `{"signature", "body": {eventName,
 * roomId, spaceId, recordId}}`, signed exactly as the seed's Node one-liner checks it.
 */
import { bodySchemeWrap } from './signing.js';

export function livedigitalBody(secret: string, envelope: { type: string; data: unknown }, space: string | null): string {
  const data = (envelope.data && typeof envelope.data === 'object' ? envelope.data : {}) as Record<string, unknown>;
  const body: Record<string, unknown> = { eventName: envelope.type };
  // Key order matters: the receiver re-serialises `body` to check the signature.
  if (data.roomId !== undefined) body.roomId = data.roomId;
  const spaceId = space ?? data.spaceId;
  if (spaceId !== undefined && spaceId !== null) body.spaceId = spaceId;
  if (data.recordId !== undefined) body.recordId = data.recordId;
  return bodySchemeWrap(secret, body);
}
