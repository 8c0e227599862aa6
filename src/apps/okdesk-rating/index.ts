/**
 * The Okdesk rating app (seed 004): when Okdesk reports an issue resolved, the client
 * is asked in Telegram for a 1–5 rating, which is saved as a comment on the issue.
 * On when OKDESK_API_URL is set; it works for the default project.
 */
import type { BuiltinApp } from '../app.js';
import { okdeskRatingConfig, type OkdeskRatingConfig } from './config.js';
import { okdeskRatingMigrations } from './migrations.js';

export const okdeskRatingApp: BuiltinApp<OkdeskRatingConfig> = {
  name: 'okdesk-rating',
  config: okdeskRatingConfig,
  migrations: okdeskRatingMigrations,
  // The bot and its library load only when the app is on (about 5 MB of memory otherwise).
  async create(ctx, c) {
    const { createOkdeskRating } = await import('./instance.js');
    return createOkdeskRating(ctx, c);
  },
};
