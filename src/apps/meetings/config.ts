import type { EnvReader } from '../../core/env.js';

/** The env-configured meetings app (seed 000), mounted for the default project. */
export interface MeetingsConfig {
  /** Default: /webhook/kontur-create */
  path: string;
  /** When set, `?token=` must match. */
  token?: string;
  /** Default: mock */
  provider: 'mock' | 'ktalk';
  ktalkSpace?: string;
  /** Default: https://{KTALK_SPACE}.ktalk.ru/api */
  ktalkApiUrl?: string;
  ktalkApiKey?: string;
  /** Origins allowed by CORS. Default: ['*'] */
  allowedOrigins: string[];
  /** New rooms per user per minute. Default: 1 */
  rateLimit: number;
}

/** Always on: without a provider configured, the mock provider answers. */
export function meetingsConfig(env: EnvReader): MeetingsConfig {
  const { problems } = env;
  const path = env.path('MEETINGS_PATH', '/webhook/kontur-create');
  const provider = env.oneOf('MEETINGS_PROVIDER', 'mock', ['mock', 'ktalk'] as const);
  const ktalkSpace = env.opt('KTALK_SPACE');
  const ktalkApiKey = env.opt('KTALK_API_KEY');
  if (provider === 'ktalk') {
    if (!ktalkSpace) problems.push('KTALK_SPACE: required with MEETINGS_PROVIDER=ktalk (your space: https://{space}.ktalk.ru)');
    if (!ktalkApiKey) problems.push('KTALK_API_KEY: required with MEETINGS_PROVIDER=ktalk (Talk API key, sent as X-Auth-Token)');
  }
  const ktalkApiUrl = env.url('KTALK_API_URL', 'https://space.ktalk.ru/api') ?? (ktalkSpace ? `https://${ktalkSpace}.ktalk.ru/api` : undefined);
  return {
    path,
    token: env.opt('MEETINGS_TOKEN'),
    provider,
    ktalkSpace,
    ktalkApiUrl,
    ktalkApiKey,
    allowedOrigins: env.list('MEETINGS_ALLOWED_ORIGINS', ['*']),
    rateLimit: env.int('MEETINGS_RATE_LIMIT', 1, 1, 10_000),
  };
}
