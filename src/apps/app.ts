/**
 * What a built-in app is: one folder exporting this shape. The config loader, the
 * migrator and the server loop over the registered apps (./index.ts); nothing below
 * the apps layer names one.
 */
import type { Migration } from 'kysely';
import type { EnvReader } from '../core/env.js';
import type { AppContext, RouteModule } from '../context.js';
import type { ActionSpec } from '../inbound/actions.js';
import type { JobKind } from '../delivery/jobs.js';

export interface BuiltinApp<C = unknown> {
  /** Lowercase name; its config lives at `config.apps[name]`. */
  name: string;
  /**
   * Its settings from the environment, read in the config's single pass (problems go to
   * `env.problems`, each naming its variable). Undefined: the app is off.
   */
  config(env: EnvReader): C | undefined;
  /**
   * Its tables. Names start with `app_<name>_` so they never collide with the core's;
   * applied whether or not the app is enabled, so its history stays readable.
   */
  migrations?: Record<string, Migration>;
  /** The running app for one server; may load its code then (an app that is off costs nothing). */
  create(ctx: AppContext, config: C): AppInstance | Promise<AppInstance>;
}

export interface AppInstance {
  /** Routes outside /v1, without API auth (the app's own webhooks). */
  root?: RouteModule;
  /** Routes under /v1, behind API tokens. */
  v1?: RouteModule;
  /** Inbound source action types it adds (`{type: name, …}` on /v1/sources). */
  actions?: Record<string, ActionSpec>;
  /** Job kinds its work runs as (run by the worker role). */
  jobs?: Record<string, JobKind>;
  /** URL paths it serves itself, with a description (sources cannot take them). */
  paths?: Record<string, string>;
  /** After the server listens. `runsWorker`: this process runs the worker role (e.g. a bot polls only there). */
  start?(opts: { runsWorker: boolean }): Promise<void>;
  stop?(): Promise<void>;
}
