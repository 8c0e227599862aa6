/** What the per-webhook activity routes answer (webhook-activity.ts): stats, a test send, a replay. */
import { Type } from '@sinclair/typebox';
import { DateTime, Nullable, component } from '../../schemas.js';
import { DeliveryStatus } from './deliveries.js';

const Count = Type.Integer({ minimum: 0 });

/** Exactly seed 001's shape. */
export const WebhookStats = component(
  'WebhookStats',
  Type.Object({
    webhookId: Type.String(),
    period: Type.Object({ startDate: DateTime(), endDate: DateTime() }),
    delivery: Type.Object({ total: Count, successful: Count, failed: Count, successRate: Type.Number({ minimum: 0, maximum: 1 }) }, { description: 'Counted over deliveries' }),
    events: Type.Record(Type.String(), Count, { description: 'Deliveries per event type' }),
    responseTimes: Type.Object({ average: Count, p50: Count, p95: Count, p99: Count }, { description: 'ms, over attempts that got a response' }),
  }),
);

export const TestSendResult = component(
  'TestSendResult',
  Type.Object({
    eventId: Type.String(),
    deliveryId: Type.String(),
    status: DeliveryStatus,
    success: Type.Boolean({ description: 'Whether the first attempt got a 2xx' }),
    attempt: Nullable(
      Type.Object({ statusCode: Nullable(Type.Integer()), responseTime: Nullable(Type.Integer(), 'ms'), body: Nullable(Type.String()), error: Nullable(Type.String()) }),
      'null: no attempt within the webhook\'s timeout (plus 5 s)',
    ),
  }),
);

export const ReplayResult = component(
  'ReplayResult',
  Type.Object({
    webhookId: Type.String(),
    since: DateTime(),
    until: DateTime({ description: 'End of the window (exclusive)' }),
    status: Type.Union([Type.Literal('failed'), Type.Literal('delivered'), Type.Literal('all')], { description: 'Which deliveries were sent again' }),
    requeued: Type.Integer({ minimum: 0, description: 'Deliveries in the window made due again' }),
    created: Type.Integer({ minimum: 0, description: 'New deliveries for events it missed while inactive' }),
  }),
);
