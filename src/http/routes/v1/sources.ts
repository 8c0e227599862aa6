import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, found, notFound } from '../../../errors.js';
import { IdParams, NoContent, Ok, PageQuery, Paged, errors, ok, page, ref } from '../../schemas.js';
import { CreateSource, InboundRequestView, SourceView, UpdateSource, requestView, sourceInput, sourcePatch, sourceView } from './source-schema.js';

const RequestParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  reqId: Type.String({ minLength: 1, maxLength: 200 }),
});
type Id = Static<typeof IdParams>;

const RequestsQuery = Type.Composite([
  PageQuery,
  Type.Object({
    status: Type.Optional(
      Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('processed'), Type.Literal('failed'), Type.Literal('refused')]),
    ),
  }),
]);

/** Inbound source CRUD and the requests each accepted (SPEC §5b), scoped to the caller's project. */
const sourceRoutes: RouteModule = (app, ctx) => {
  const tags = ['sources'];
  const load = async (projectId: string, id: string) => {
    const s = await ctx.repos.sources.get(projectId, id);
    if (!s) throw notFound('Source', id);
    return s;
  };
  /** The path check runs before the insert, but two saves can race to one path: the unique index decides. */
  const pathTaken = (err: unknown) => {
    if (ctx.repos.sources.isUniqueViolation(err)) return new AppError('CONFLICT', 'Another source already uses this path', [{ field: 'path', message: 'is taken' }]);
    return err;
  };

  app.post<{ Body: CreateSource }>(
    '/v1/sources',
    { schema: { tags, summary: 'Create an inbound source; its secrets are shown in full only here', body: CreateSource, response: { 201: Ok(ref(SourceView)), ...errors(409) } } },
    async (req, reply) => {
      const input = await sourceInput(ctx, req.caller.projectId, req.body);
      const s = await ctx.repos.sources.create(req.caller.projectId, input).catch((err) => Promise.reject(pathTaken(err)));
      return reply.status(201).send(ok(sourceView(s, true)));
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/sources',
    { schema: { tags, summary: 'List inbound sources (secrets masked)', querystring: PageQuery, response: { 200: Paged(ref(SourceView)) } } },
    async (req) => {
      const { items, total } = await ctx.repos.sources.list(req.caller.projectId, req.query);
      return page(items.map((s) => sourceView(s)), total, req.query);
    },
  );

  app.get<{ Params: Id }>(
    '/v1/sources/:id',
    { schema: { tags, summary: 'Get an inbound source (secrets masked)', params: IdParams, response: { 200: Ok(ref(SourceView)), ...errors(404) } } },
    async (req) => ok(sourceView(await load(req.caller.projectId, req.params.id))),
  );

  app.put<{ Params: Id; Body: UpdateSource }>(
    '/v1/sources/:id',
    {
      schema: {
        tags,
        summary: 'Update an inbound source (partial; a masked or omitted secret is kept)',
        params: IdParams,
        body: UpdateSource,
        response: { 200: Ok(ref(SourceView)), ...errors(404, 409) },
      },
    },
    async (req) => {
      const existing = await load(req.caller.projectId, req.params.id);
      const patch = await sourcePatch(ctx, existing, req.body ?? {});
      const s = await ctx.repos.sources.update(existing.projectId, existing.id, patch).catch((err) => Promise.reject(pathTaken(err)));
      return ok(sourceView(found(s, 'Source', existing.id)));
    },
  );

  app.delete<{ Params: Id }>(
    '/v1/sources/:id',
    { schema: { tags, summary: 'Delete an inbound source and its stored requests', params: IdParams, response: { 204: NoContent(), ...errors(404) } } },
    async (req, reply) => {
      const s = await load(req.caller.projectId, req.params.id);
      if (!(await ctx.repos.sources.delete(s.projectId, s.id))) throw notFound('Source', s.id);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: Id; Querystring: Static<typeof RequestsQuery> }>(
    '/v1/sources/:id/requests',
    {
      schema: {
        tags,
        summary: 'Requests this source received, newest first, with headers, body and the action result; refused ones (401/403/413/429) with the reason',
        params: IdParams,
        querystring: RequestsQuery,
        response: { 200: Paged(ref(InboundRequestView)), ...errors(404) },
      },
    },
    async (req) => {
      const s = await load(req.caller.projectId, req.params.id);
      const { items, total } = await ctx.repos.sources.listRequests(s.id, req.query);
      return page(items.map(requestView), total, req.query);
    },
  );

  app.get<{ Params: Static<typeof RequestParams> }>(
    '/v1/sources/:id/requests/:reqId',
    { schema: { tags, summary: 'One stored inbound request', params: RequestParams, response: { 200: Ok(ref(InboundRequestView)), ...errors(404) } } },
    async (req) => {
      const s = await load(req.caller.projectId, req.params.id);
      const r = await ctx.repos.sources.getRequest(s.id, req.params.reqId);
      if (!r) throw notFound('Inbound request', req.params.reqId);
      return ok(requestView(r));
    },
  );
};
export default sourceRoutes;
