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
    endpointLimitsFallback: new client.Counter({
      name: 'hookbridge_endpoint_limits_fallback_total',
      help: 'Sends made under per-process endpoint limits because the shared limits store (Redis or PostgreSQL) could not be reached',
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

export interface QueueStats {
  counts: { project_id: string; status: string; n: number }[];
  oldestDue: number | undefined;
}

/**
 * Gauges read from the database at scrape time: pending and failed deliveries per
 * project, and how long the oldest due delivery has waited (0 when none is due).
 * One query per scrape, shared by the gauges.
 */
export function registerQueueGauges(m: Metrics, read: (now: number) => Promise<QueueStats>): void {
  let last: { at: number; stats: Promise<QueueStats> } | undefined;
  const stats = () => {
    const now = Date.now();
    if (!last || now - last.at > 500) last = { at: now, stats: read(now) };
    return last.stats;
  };
  const byStatus = (status: string) =>
    async function (this: client.Gauge<'project'>) {
      const s = await stats();
      this.reset();
      for (const c of s.counts) if (c.status === status) this.set({ project: c.project_id }, c.n);
    };
  new client.Gauge({ name: 'hookbridge_deliveries_pending', help: 'Deliveries waiting to be sent or retried, per project', labelNames: ['project'] as const, registers: [m.registry], collect: byStatus('pending') });
  new client.Gauge({ name: 'hookbridge_deliveries_failed', help: 'Deliveries that failed for good, per project', labelNames: ['project'] as const, registers: [m.registry], collect: byStatus('failed') });
  new client.Gauge({
    name: 'hookbridge_oldest_due_delivery_age_seconds',
    help: 'How long the oldest due delivery has been waiting for a worker (0 when none is due)',
    registers: [m.registry],
    async collect() {
      const s = await stats();
      this.set(s.oldestDue === undefined ? 0 : Math.max(0, (Date.now() - s.oldestDue) / 1000));
    },
  });
}
