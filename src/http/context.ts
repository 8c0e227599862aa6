import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Repos } from '../store/index.js';
import type { Metrics } from './metrics.js';

/** What every route module is handed. */
export interface AppContext {
  config: Config;
  repos: Repos;
  metrics: Metrics;
  defaultProjectId: () => string;
  /** Tell the delivery worker that new deliveries are due now. */
  wake: () => void;
}

export type RouteModule = (app: FastifyInstance, ctx: AppContext) => Promise<void> | void;
