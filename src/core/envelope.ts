/**
 * The outbound body (seed 001): exactly `JSON.stringify({id, type, createdAt, data})`,
 * built once per event and shared by every webhook it fans out to. Key order matters:
 * a receiver that re-serialises the parsed body must get the same bytes.
 */
export interface Envelope {
  id: string;
  type: string;
  createdAt: string;
  data: unknown;
}

export function buildEnvelope(e: Envelope): string {
  return JSON.stringify({ id: e.id, type: e.type, createdAt: e.createdAt, data: e.data });
}
