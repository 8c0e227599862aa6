/**
 * What an inbound source hands an accepted request to. `publish` is built in; apps
 * (meetings, okdesk-rating) add their own types, collected per server in
 * `AppContext.actions`. An action answers the HTTP request itself when it has
 * something to say (the meetings app returns the room); otherwise the pipeline answers 202.
 */
import type { AppContext } from '../context.js';
import type { ErrorDetail } from '../errors.js';

export interface InboundRequest {
  /** inbound_requests.id of the stored request. */
  id: string;
  sourceId: string;
  projectId: string;
  method: string;
  /** Path and query as received. */
  url: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Raw body bytes as received. */
  raw: Buffer;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  receivedAt: number;
}

export interface ActionAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ActionResult {
  /** Stored with the request (visible at GET /v1/sources/{id}/requests). */
  result?: unknown;
  /** When set, the HTTP answer; otherwise 202 {received: true, id}. */
  answer?: ActionAnswer;
}

/** An action's own settings are whatever follows `type` in the source's `action` object. */
export type ActionHandler = (ctx: AppContext, action: Record<string, unknown>, req: InboundRequest) => Promise<ActionResult>;

export interface ActionSpec {
  handle: ActionHandler;
  /** Save-time check of the action's settings (422 details); empty when they are fine. */
  check?(ctx: AppContext, projectId: string, action: Record<string, unknown>): Promise<ErrorDetail[]>;
}
