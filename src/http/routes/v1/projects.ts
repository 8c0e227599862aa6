import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { requireAdmin } from '../../auth.js';
import { label, notFound } from '../../../errors.js';
import { DateTime, IdParams, NoContent, Nullable, Ok, PageQuery, Paged, component, errors, ok, page, ref } from '../../schemas.js';
import { ProjectView, projectView } from './project.js';

const CreateProject = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
const CreateToken = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });

const TokenView = component(
  'Token',
  Type.Object(
    {
      id: Type.String({ description: 'tok_…' }),
      name: Type.String(),
      hint: Type.String({ description: 'The first characters of the token, to tell tokens apart' }),
      createdAt: DateTime(),
      lastUsedAt: Nullable(DateTime(), 'Coarse: written at most once a minute'),
    },
    { description: 'A token as lists show it: never the token itself' },
  ),
);

const NewToken = component(
  'NewToken',
  Type.Object(
    {
      id: Type.String(),
      projectId: Nullable(Type.String()),
      isAdmin: Type.Boolean(),
      name: Type.String(),
      hint: Type.String(),
      createdAt: DateTime(),
      lastUsedAt: Type.Null(),
      token: Type.String({ description: 'The token, shown this once: store it now' }),
    },
    { description: 'A token just issued' },
  ),
);

const NewProject = Type.Composite([ProjectView, Type.Object({ token: ref(NewToken) })]);

const tags = ['projects'];

/** Admin-only project management and project tokens (SPEC §2). */
const projectsRoutes: RouteModule = (app, ctx) => {
  app.get<{ Querystring: PageQuery }>(
    '/v1/projects',
    { schema: { tags, summary: 'List projects (admin)', querystring: PageQuery, response: { 200: Paged(ref(ProjectView)), ...errors(403) } } },
    async (req) => {
      requireAdmin(req);
      const { items, total } = await ctx.repos.projects.list(req.query.limit, req.query.offset);
      return page(items.map(projectView), total, req.query);
    },
  );

  app.post<{ Body: Static<typeof CreateProject> }>(
    '/v1/projects',
    {
      schema: {
        tags,
        summary: 'Create a project and its first token (admin)',
        body: CreateProject,
        response: { 201: Ok(NewProject, 'The project and its first token, shown this once'), ...errors(403, 422) },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      const project = await ctx.repos.projects.create({ name: label(req.body.name) });
      const { token, info } = await ctx.repos.tokens.create({ projectId: project.id, name: 'default' });
      return reply.status(201).send(ok({ ...projectView(project), token: { ...info, token } }));
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof CreateToken> }>(
    '/v1/projects/:id/tokens',
    {
      schema: {
        tags,
        summary: 'Issue a project token (admin); shown once',
        params: IdParams,
        body: Type.Optional(CreateToken),
        response: { 201: Ok(ref(NewToken)), ...errors(403, 404, 422) },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      if (!(await ctx.repos.projects.get(req.params.id))) throw notFound('Project', req.params.id);
      const { token, info } = await ctx.repos.tokens.create({ projectId: req.params.id, name: label(req.body?.name) ?? 'api' });
      return reply.status(201).send(ok({ ...info, token }));
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: PageQuery }>(
    '/v1/projects/:id/tokens',
    {
      schema: {
        tags,
        summary: "List a project's tokens (admin): ids, names, hints, created/last-used times, never the token",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Paged(ref(TokenView)), ...errors(403, 404) },
      },
    },
    async (req) => {
      requireAdmin(req);
      if (!(await ctx.repos.projects.get(req.params.id))) throw notFound('Project', req.params.id);
      const { items, total } = await ctx.repos.tokens.list(req.params.id, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/tokens',
    { schema: { tags, summary: "List the caller's project's tokens (never the token itself)", querystring: PageQuery, response: { 200: Paged(ref(TokenView)) } } },
    async (req) => {
      const { items, total } = await ctx.repos.tokens.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/tokens/:id',
    { schema: { tags, summary: 'Revoke a token', params: IdParams, response: { 204: NoContent(), ...errors(404) } } },
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
