/**
 * The composition root's types: what `server.ts` assembles once per running server
 * and hands to routes, the inbound pipeline and the built-in apps. Nothing here
 * runs; every layer may import these types without importing the HTTP layer.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Migration } from 'kysely';
import type { Config } from './config.js';
import type { Repos } from './store/index.js';
import type { Metrics } from './metrics.js';
import type { Publisher } from './delivery/publisher.js';
import type { JobQueue } from './delivery/jobs.js';
import type { ActionSpec } from './inbound/actions.js';

export interface AppContext {
  config: Config;
  repos: Repos;
  metrics: Metrics;
  logger: Logger;
  defaultProjectId: () => string;
  /** Tell the delivery worker that deliveries are due now (retry, replay). */
  wake: () => void;
  /** The one way to publish an event: store it and its deliveries, count it, wake the worker. */
  publisher: Publisher;
  /** Durable app work (a Telegram send, a helpdesk comment), run by the job worker. */
  jobs: JobQueue;
  /** Inbound source actions by type: `publish` plus whatever the enabled apps add. */
  actions: Map<string, ActionSpec>;
  /** URL paths the enabled apps serve themselves (path → what owns it); sources cannot take them. */
  reservedPaths: Map<string, string>;
  /** Every migration, the core's and the apps' (for /ready). */
  migrations: Record<string, Migration>;
}

export type RouteModule = (app: FastifyInstance, ctx: AppContext) => Promise<void> | void;
