import client from 'prom-client';

/** One registry per app instance (tests run many apps in one process). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'hookbridge_' });
  return {
    registry,
    httpRequests: new client.Counter({
      name: 'hookbridge_http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'hookbridge_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsPublished: new client.Counter({
      name: 'hookbridge_events_published_total',
      help: 'Events accepted by POST /v1/events',
      registers: [registry],
    }),
    deliveryAttempts: new client.Counter({
      name: 'hookbridge_delivery_attempts_total',
      help: 'Delivery attempts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryDuration: new client.Histogram({
      name: 'hookbridge_delivery_duration_seconds',
      help: 'Time from sending a delivery to its response',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
