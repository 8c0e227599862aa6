/** The meetings app (seed 000): Kontur.Talk rooms for the Mattermost plugin. */
import type { BuiltinApp } from '../app.js';
import { meetingsConfig, type MeetingsConfig } from './config.js';
import { meetingsMigrations } from './migrations.js';
import { meetingsRepo } from './store.js';
import { meetingsAction, meetingsRoutes } from './routes.js';
import { historyRoutes } from './history-routes.js';

export const meetingsApp: BuiltinApp<MeetingsConfig> = {
  name: 'meetings',
  config: meetingsConfig,
  migrations: meetingsMigrations,
  create(ctx, m) {
    const repo = meetingsRepo(ctx.repos.store);
    return {
      root: meetingsRoutes(m, repo),
      v1: historyRoutes(repo),
      actions: { meetings: { handle: meetingsAction(m, repo) } },
      paths: { [m.path]: "the meetings app's path (MEETINGS_PATH)" },
    };
  },
};
