/**
 * Bearer-token auth for /v1. A project token acts on its project; the admin token acts
 * on the default project unless `X-Hookbridge-Project` names another.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Repos } from '../store/index.js';
import { enforcePortalScope } from './portal-scope.js';

export interface Caller {
  tokenId: string;
  projectId: string;
  isAdmin: boolean;
  /** A portal link's credential: one project, a fixed set of routes, an expiry. */
  portal?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

export function makeAuthenticate(repos: Repos, defaultProjectId: () => string) {
  return async function authenticate(req: FastifyRequest): Promise<void> {
    const header = req.headers.authorization;
    const m = header && /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new AppError('UNAUTHORIZED', 'Send an API token as "Authorization: Bearer <token>"');
    const row = await repos.tokens.findByToken(m[1]);
    if (!row) throw new AppError('UNAUTHORIZED', 'The API token is not valid (it may have been deleted)');
    if (row.expires_at !== null && row.expires_at <= Date.now()) {
      throw new AppError('UNAUTHORIZED', row.kind === 'portal' ? 'This portal link has expired; ask for a new one' : 'The API token has expired');
    }
    // At most one write a minute per token; a failed write must not fail the request.
    await repos.tokens.touch(row.id).catch((err: unknown) => req.log.warn({ err, tokenId: row.id }, 'could not record when the token was last used'));
    if (row.kind === 'portal') {
      enforcePortalScope(req);
      req.caller = { tokenId: row.id, projectId: row.project_id!, isAdmin: false, portal: true };
    } else if (row.is_admin === 1) {
      const named = req.headers['x-hookbridge-project'];
      let projectId = defaultProjectId();
      if (typeof named === 'string' && named !== '') {
        if (!(await repos.projects.get(named))) throw new AppError('NOT_FOUND', `Project ${named} not found`);
        projectId = named;
      }
      req.caller = { tokenId: row.id, projectId, isAdmin: true };
    } else {
      req.caller = { tokenId: row.id, projectId: row.project_id!, isAdmin: false };
    }
  };
}

export function requireAdmin(req: FastifyRequest): void {
  if (!req.caller?.isAdmin) throw new AppError('FORBIDDEN', 'This call needs the admin token');
}
