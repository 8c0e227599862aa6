import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { requireAdmin } from '../../auth.js';
import { notFound } from '../../../errors.js';
import { IdParams, PageQuery, ok, page } from '../../schemas.js';
import { projectView } from './project.js';

const CreateProject = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
const CreateToken = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });

/** Admin-only project management and project tokens (SPEC §2). */
const projectsRoutes: RouteModule = (app, ctx) => {
  app.get<{ Querystring: PageQuery }>(
    '/v1/projects',
    { schema: { tags: ['projects'], summary: 'List projects (admin)', querystring: PageQuery } },
    async (req) => {
      requireAdmin(req);
      const { items, total } = await ctx.repos.projects.list(req.query.limit, req.query.offset);
      return page(items.map(projectView), total, req.query);
    },
  );

  app.post<{ Body: Static<typeof CreateProject> }>(
    '/v1/projects',
    { schema: { tags: ['projects'], summary: 'Create a project and its first token (admin)', body: CreateProject } },
    async (req, reply) => {
      requireAdmin(req);
      const project = await ctx.repos.projects.create({ name: req.body.name });
      const { token, info } = await ctx.repos.tokens.create({ projectId: project.id, name: 'default' });
      return reply.status(201).send(ok({ ...projectView(project), token: { ...info, token } }));
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof CreateToken> }>(
    '/v1/projects/:id/tokens',
    { schema: { tags: ['projects'], summary: 'Issue a project token (admin); shown once', params: IdParams, body: Type.Optional(CreateToken) } },
    async (req, reply) => {
      requireAdmin(req);
      if (!(await ctx.repos.projects.get(req.params.id))) throw notFound('Project', req.params.id);
      const { token, info } = await ctx.repos.tokens.create({ projectId: req.params.id, name: req.body?.name ?? 'api' });
      return reply.status(201).send(ok({ ...info, token }));
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: PageQuery }>(
    '/v1/projects/:id/tokens',
    { schema: { tags: ['projects'], summary: "List a project's tokens (admin): ids, names, hints, created/last-used times, never the token", params: IdParams, querystring: PageQuery } },
    async (req) => {
      requireAdmin(req);
      if (!(await ctx.repos.projects.get(req.params.id))) throw notFound('Project', req.params.id);
      const { items, total } = await ctx.repos.tokens.list(req.params.id, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/tokens',
    { schema: { tags: ['projects'], summary: "List the caller's project's tokens (never the token itself)", querystring: PageQuery } },
    async (req) => {
      const { items, total } = await ctx.repos.tokens.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/tokens/:id',
    { schema: { tags: ['projects'], summary: 'Revoke a token', params: IdParams } },
    async (req, reply) => {
      const row = await ctx.repos.tokens.get(req.params.id);
      // A project token may revoke its own project's tokens; only the admin token may touch others.
      const visible = row && (req.caller.isAdmin || (row.is_admin === 0 && row.project_id === req.caller.projectId));
      if (!row || !visible) throw notFound('Token', req.params.id);
      await ctx.repos.tokens.delete(row.id);
      return reply.status(204).send();
    },
  );
};
export default projectsRoutes;
