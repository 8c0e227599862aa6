/**
 * The OpenAPI document (`GET /openapi.json`, `/docs`): @fastify/swagger's options. Routes
 * declare their own body, answers and errors; what every /v1 route of a kind answers
 * because of the framework is added here once, so no route can forget it:
 * - all: the bearer token (401), `X-Hookbridge-Project` (admin token only; 404 when it
 *   names no project);
 * - with a body: malformed JSON (400), too large (413), not JSON (415), rules (422);
 * - with a query string, path or header parameters: a value that is not valid (400).
 * Routes outside /v1 (operations, the apps' own webhooks) answer in their own shapes
 * and list every answer themselves.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { ErrorEnvelope, ref } from './schemas.js';

/** The header an admin token names a project with (see auth.ts). */
export const PROJECT_HEADER = 'X-Hookbridge-Project';

const envelope = (description: string) => ref(ErrorEnvelope, description);

const COMMON = {
  v1: {
    401: envelope('Missing or invalid API token'),
    404: envelope(`Not found; also when ${PROJECT_HEADER} names no project`),
  },
  /** Malformed JSON, or a query string, path or header value that is not valid. */
  input: { 400: envelope('Malformed JSON (INVALID_JSON), or a query string, path or header value that is not valid') },
  body: {
    413: envelope('The body is larger than the server accepts'),
    415: envelope('The body is not sent as application/json'),
    422: envelope('The body breaks the rules; details name each field'),
  },
};

type RouteSchema = Record<string, unknown> & { response?: Record<string, TSchema | object> };

/** A route's schema as the document shows it: its own answers plus the common ones it lacks. */
function documented(schema: RouteSchema | undefined, url: string): RouteSchema | undefined {
  if (!schema?.response || !url.startsWith('/v1/')) return schema;
  const common = {
    ...(schema.querystring || schema.params || schema.headers || schema.body ? COMMON.input : {}),
    ...(schema.body ? COMMON.body : {}),
    ...COMMON.v1,
  };
  return { ...schema, response: { ...common, ...schema.response } };
}

type Operation = { parameters?: unknown[] };
type Document = { paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

/** The component names `node` references, directly or through other components. */
function referenced(node: unknown, schemas: Record<string, unknown>, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => referenced(n, schemas, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      const name = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/') ? v.slice('#/components/schemas/'.length) : undefined;
      if (name !== undefined && !found.has(name)) {
        found.add(name);
        referenced(schemas[name], schemas, found);
      } else referenced(v, schemas, found);
    }
  }
  return found;
}

export const swaggerOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: { title: 'Hookbridge API', version: '0.1.0', description: 'Self-hosted webhook gateway' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      parameters: {
        Project: {
          name: PROJECT_HEADER,
          in: 'header',
          required: false,
          description: 'Admin token only: the project to act on (prj_…); without it, the default project. A project token always acts on its own project.',
          schema: { type: 'string', minLength: 1 },
        },
      },
    },
    security: [{ bearer: [] }],
  },
  // Components are named by their $id (Webhook, Error, …), not def-0, def-1.
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  transform: ({ schema, url }) => ({ schema: documented(schema as RouteSchema | undefined, url) as never, url }),
  transformObject: (documentObject) => {
    const doc = (documentObject as { openapiObject: Document }).openapiObject;
    for (const [path, ops] of Object.entries(doc.paths ?? {})) {
      if (!path.startsWith('/v1/')) continue;
      for (const op of Object.values(ops)) op.parameters = [...(op.parameters ?? []), { $ref: '#/components/parameters/Project' }];
    }
    // Components of apps this server does not run (their modules define them all the same).
    const schemas = doc.components?.schemas ?? {};
    const used = referenced(doc.paths, schemas);
    for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
    return doc as never;
  },
};
