import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import type { Project } from '../../../store/projects.js';
import { found, label } from '../../../errors.js';
import { DateTime, Ok, component, ok, readOnly, ref } from '../../schemas.js';

const ProjectPatch = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** `X-{headerPrefix}-Signature` etc.; letters, digits and dashes. */
  headerPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,40}$' })),
  userAgent: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x20-\\x7e]+$' })),
  retentionDays: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 3650, description: 'Days events, deliveries, attempts, inbound requests and finished jobs are kept. Default: 30' }),
  ),
  ...readOnly('id', 'isDefault', 'createdAt', 'updatedAt'),
});

export const ProjectView = component(
  'Project',
  Type.Object({
    id: Type.String({ description: 'prj_…' }),
    name: Type.String(),
    headerPrefix: Type.String({ description: 'Deliveries carry X-{headerPrefix}-Signature, -Event, …' }),
    userAgent: Type.String(),
    isDefault: Type.Boolean(),
    retentionDays: Type.Integer({ description: 'Days events, deliveries, attempts, inbound requests and finished jobs are kept' }),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  }),
);

export const projectView = (p: Project): Static<typeof ProjectView> => ({
  id: p.id,
  name: p.name,
  headerPrefix: p.headerPrefix,
  userAgent: p.userAgent,
  isDefault: p.isDefault,
  retentionDays: p.retentionDays,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

/** The caller's project and its delivery settings (SPEC §2, §4.1). */
const projectRoutes: RouteModule = (app, ctx) => {
  app.get('/v1/project', { schema: { tags: ['projects'], summary: "The caller's project", response: { 200: Ok(ref(ProjectView)) } } }, async (req) =>
    ok(projectView(found(await ctx.repos.projects.get(req.caller.projectId), 'Project', req.caller.projectId))),
  );

  app.put<{ Body: Static<typeof ProjectPatch> }>(
    '/v1/project',
    { schema: { tags: ['projects'], summary: "Update the caller's project (partial)", body: ProjectPatch, response: { 200: Ok(ref(ProjectView)) } } },
    async (req) => {
      const patch = req.body ?? {};
      if (patch.name !== undefined) patch.name = label(patch.name);
      return ok(projectView(found(await ctx.repos.projects.update(req.caller.projectId, patch), 'Project', req.caller.projectId)));
    },
  );
};
export default projectRoutes;
