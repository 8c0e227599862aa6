/** The API's shapes the dashboard reads (as the public API answers them). */
export interface RetryPolicy {
  maxRetries: number;
  retryDelay: number;
  backoffMultiplier: number;
  maxRetryDelay: number;
}

export type ParamType = 'text' | 'array' | 'object' | 'md5' | 'crc32' | 'sha1' | 'sha256';
export interface TemplateParam {
  name: string;
  type: ParamType;
  value: string | string[] | TemplateParam[];
}
export interface RequestTemplate {
  method?: 'GET' | 'POST' | 'PUT';
  format?: 'json' | 'raw' | 'json-rpc' | 'form';
  headers?: Record<string, string | null>;
  params?: TemplateParam[];
  rawBody?: string;
  rpcMethod?: string;
  dateFormat?: string;
}

export interface Webhook {
  id: string;
  name: string;
  url: string;
  events: string[];
  secret: string;
  active: boolean;
  createdAt: string;
  lastDelivery: string | null;
  retryPolicy: RetryPolicy;
  description: string;
  signature: 'hmac-sha256' | 'standard' | 'body' | 'none';
  headers: Record<string, string>;
  request: RequestTemplate | null;
  timeout: number;
  disabledReason: string | null;
  secretRotation: { previousSecretValidUntil: string } | null;
}

export interface EventType {
  name: string;
  description: string;
  category: string;
}

export interface LogRecord {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  responseTime: number | null;
  attempts: number;
  deliveredAt: string | null;
  response: { statusCode: number | null; body: string | null } | null;
  webhookId: string;
  error: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  webhookName?: string | null;
  statusCode?: number | null;
}

export interface Attempt {
  id: string;
  attempt: number;
  status: 'success' | 'failure';
  createdAt: string;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { statusCode: number; headers: Record<string, string>; body: string | null } | null;
  duration: number | null;
  error: string | null;
  retryReason: string | null;
  notes: string | null;
}

export interface WebhookStats {
  delivery: { total: number; successful: number; failed: number; successRate: number };
  /** Deliveries by event type. */
  events: Record<string, number>;
  responseTimes: { average: number; p50: number; p95: number; p99: number };
}

/** Whether an event-type pattern (`message.*`, `*`, a name) covers an event type. */
export const patternMatches = (pattern: string, type: string) =>
  pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)));

export const EVENT_PAGE = '/v1/event-types?limit=1000';
export const WEBHOOK_PAGE = '/v1/webhooks?limit=1000';
