import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteModule } from '../../../context.js';
import { AppError, notFound } from '../../../errors.js';
import { IdParams, NoContent, Ok, PageQuery, Paged, component, errors, ok, page, ref } from '../../schemas.js';

const PortalLinkView = component(
  'PortalLink',
  Type.Object({
    id: Type.String({ description: 'tok_…: revoke with DELETE /v1/portal-links/{id}' }),
    hint: Type.String(),
    createdAt: Type.String(),
    expiresAt: Type.String(),
    expired: Type.Boolean(),
  }),
);
const NewPortalLink = component(
  'NewPortalLink',
  Type.Object({
    id: Type.String(),
    url: Type.String({ description: 'Shown once: the link carries the credential' }),
    expiresAt: Type.String(),
    createdAt: Type.String(),
  }),
);

/** At most 7 days (SPEC §8). */
export const PORTAL_MAX_SECONDS = 7 * 86400;
const CreateBody = Type.Object({
  expiresIn: Type.Optional(Type.Integer({ minimum: 1, maximum: PORTAL_MAX_SECONDS, description: 'Seconds the link works. Default: 3600; at most 604800 (7 days)' })),
});

/** The dashboard's address as the caller reached it: the link is opened on the same host. */
const portalUrl = (req: FastifyRequest, token: string) => `${req.protocol}://${req.host}/portal#token=${encodeURIComponent(token)}`;

const noPortal = (req: FastifyRequest) => {
  if (req.caller.portal) throw new AppError('FORBIDDEN', 'A portal link cannot manage portal links');
};

/**
 * Portal links (SPEC §8): a project (or the admin acting on one) hands its own customer
 * a link to the dashboard signed in to this project only, until it expires or is revoked.
 * The credential travels in the URL's fragment, which browsers never send to a server.
 */
const portalLinkRoutes: RouteModule = (app, ctx) => {
  const tags = ['portal'];
  const links = ctx.repos.portalLinks;

  app.post<{ Body: Static<typeof CreateBody> | undefined }>(
    '/v1/portal-links',
    { schema: { tags, summary: 'A link to the dashboard for this project only, valid for expiresIn seconds; shown once', body: Type.Optional(CreateBody), response: { 201: Ok(ref(NewPortalLink)), ...errors(403) } } },
    async (req, reply) => {
      noPortal(req);
      const seconds = req.body?.expiresIn ?? 3600;
      const { token, link } = await links.create(req.caller.projectId, seconds * 1000);
      return reply.status(201).send(ok({ id: link.id, url: portalUrl(req, token), expiresAt: link.expiresAt, createdAt: link.createdAt }));
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/portal-links',
    { schema: { tags, summary: "This project's portal links (never the credential), newest first", querystring: PageQuery, response: { 200: Paged(ref(PortalLinkView)), ...errors(403) } } },
    async (req) => {
      noPortal(req);
      const { items, total } = await links.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/portal-links/:id',
    { schema: { tags, summary: 'Revoke a portal link: its URL answers 401 from now on', params: IdParams, response: { 204: NoContent(), ...errors(403, 404) } } },
    async (req, reply) => {
      noPortal(req);
      const link = await links.get(req.caller.projectId, req.params.id);
      if (!link) throw notFound('Portal link', req.params.id);
      await ctx.repos.tokens.delete(link.id);
      return reply.status(204).send();
    },
  );
};
export default portalLinkRoutes;
