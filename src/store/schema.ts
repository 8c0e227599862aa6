/**
 * Table types for Kysely. Times are integer milliseconds since the epoch on both
 * dialects (bigint on PostgreSQL, parsed back to number); JSON columns are TEXT.
 */
import type { ColumnType, Generated } from 'kysely';

type Json = string;

export interface ProjectsTable {
  id: string;
  name: string;
  header_prefix: string;
  user_agent: string;
  is_default: number;
  /** Events, deliveries, attempts and inbound requests older than this are pruned. */
  retention_days: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface TokensTable {
  id: string;
  project_id: string | null;
  is_admin: number;
  name: string;
  token_hash: string;
  /** First characters of the token, so a person can tell tokens apart. */
  hint: string;
  created_at: number;
  last_used_at: number | null;
  /** `api` (a project or admin token) or `portal` (a portal link's credential, SPEC §8). Default: api */
  kind: ColumnType<TokenKind, TokenKind | undefined, TokenKind>;
  /** When the token stops working (portal links); null: never. */
  expires_at: number | null;
}

export type TokenKind = 'api' | 'portal';

export interface EventTypesTable {
  project_id: string;
  name: string;
  description: string;
  category: string;
  created_at: number;
}

export interface WebhooksTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  url: string;
  events: Json;
  secret_enc: string;
  old_secret_enc: string | null;
  old_secret_expires_at: number | null;
  active: number;
  retry_policy: Json;
  signature: string;
  headers: Json;
  request: Json | null;
  timeout_ms: number;
  rate_limit: number | null;
  max_concurrency: number;
  spaces: Json;
  channels: Json;
  filter: Json | null;
  /** Set for seed 002 per-space webhooks (one per space). */
  space_id: string | null;
  /** `parallel` (default) or `fifo`: one delivery at a time, in publish order. */
  ordering: Generated<string>;
  disabled_reason: string | null;
  failing_since: number | null;
  last_delivery_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  project_id: string;
  id: string;
  type: string;
  /** The envelope bytes exactly as sent: `JSON.stringify({id,type,createdAt,data})`. */
  payload: string;
  space: string | null;
  channels: Json;
  idempotency_key: string | null;
  /** 1 for a test send: kept out of the event log and never replayed. */
  test: Generated<number>;
  created_at: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveriesTable {
  id: string;
  project_id: string;
  event_id: string;
  event_type: string;
  webhook_id: string;
  /** 1 when the webhook was FIFO when the delivery was made: claimed only at the head of its line. */
  fifo: Generated<number>;
  status: DeliveryStatus;
  attempts: number;
  /** Attempts made before the last manual retry/replay; the retry budget counts from here. */
  attempt_base: number;
  next_attempt_at: number;
  /** While set and in the future, a worker owns the row; an expired lease is retaken. */
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_reason: string | null;
  last_response_ms: number | null;
  last_response_body: string | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AttemptsTable {
  id: string;
  delivery_id: string;
  project_id: string;
  webhook_id: string;
  attempt: number;
  status: 'success' | 'failure';
  request_url: string;
  request_method: string;
  request_headers: Json;
  /** NULL when the body sent was the event payload itself (stored once, in events). */
  request_body: string | null;
  response_status: number | null;
  response_headers: Json | null;
  response_body: string | null;
  duration_ms: number | null;
  error: string | null;
  retry_reason: string | null;
  /** What a person should know about the attempt, e.g. template placeholders that were missing. */
  notes: string | null;
  created_at: number;
}

export interface SourcesTable {
  id: string;
  project_id: string;
  name: string;
  path: string;
  verification_enc: string;
  action: Json;
  allowed_origins: Json;
  rate_limit: Json | null;
  dedupe: Json | null;
  body_limit: number;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface InboundRequestsTable {
  id: string;
  source_id: string;
  project_id: string;
  method: string;
  url: string;
  headers: Json;
  body: string;
  body_encoding: 'utf8' | 'base64';
  verification: string;
  dedupe_key: string | null;
  /** `refused`: 401/403/413/429, never reached the action (`error` says why). */
  status: 'accepted' | 'duplicate' | 'processed' | 'failed' | 'refused';
  action_result: Json | null;
  error: string | null;
  received_at: number;
}

export type JobStatus = 'pending' | 'done' | 'failed';

export interface JobsTable {
  id: string;
  project_id: string;
  kind: string;
  payload: Json;
  status: JobStatus;
  attempts: number;
  /** Attempts made before the last manual retry; the attempt budget counts from here. */
  attempt_base: number;
  max_attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_error: string | null;
  log: Json;
  result: Json | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface EndpointLeasesTable {
  webhook_id: string;
  holder: string;
  expires_at: number;
}

export interface EndpointSendsTable {
  webhook_id: string;
  holder: string;
  sent_at: number;
}

export interface DB {
  projects: ProjectsTable;
  tokens: TokensTable;
  event_types: EventTypesTable;
  webhooks: WebhooksTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  attempts: AttemptsTable;
  sources: SourcesTable;
  inbound_requests: InboundRequestsTable;
  jobs: JobsTable;
  endpoint_leases: EndpointLeasesTable;
  endpoint_sends: EndpointSendsTable;
}
