/**
 * A webhook's request template (seed 003, SPEC §4.4) as the OpenAPI document shows it.
 * Bodies are not validated against it: `validateTemplate` (core/templates.ts) checks a
 * template with messages a schema cannot give (placeholders, depth, size), so a body
 * field carrying it is marked `checkedInCode` and the validator skips it.
 */
import { Type } from '@sinclair/typebox';
import { PARAM_TYPES, TEMPLATE_FORMATS, TEMPLATE_METHODS } from '../../../core/templates.js';
import { component, ref } from '../../schemas.js';

const literals = (values: readonly string[], description: string) => Type.Union(values.map((v) => Type.Literal(v)), { description });
const template = (description: string) => Type.String({ description: `${description}; a template: {{event.id}}, {{event.type}}, {{event.createdAt}}, {{data.<path>}}, {{webhook.secret}}, {{delivery.id}}` });
const self = Type.Unsafe<unknown>({ $ref: 'TemplateParam' });

export const TemplateParam = component(
  'TemplateParam',
  Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      type: literals(PARAM_TYPES, 'text: a template; array: a list of templates; object: nested params; md5, crc32, sha1, sha256: hex digest of the rendered template'),
      value: Type.Optional(
        Type.Union([template('text and the digests'), Type.Array(Type.String(), { description: 'array: templates' }), Type.Array(self, { description: 'object: nested params (alias of params)' })]),
      ),
      params: Type.Optional(Type.Array(self, { description: 'object: its nested params' })),
    },
    { additionalProperties: false, description: 'One request parameter' },
  ),
);

export const RequestTemplate = component(
  'RequestTemplate',
  Type.Object(
    {
      method: Type.Optional(literals(TEMPLATE_METHODS, 'Default: POST. GET puts the params in the query string')),
      format: Type.Optional(literals(TEMPLATE_FORMATS, 'Default: json. form is application/x-www-form-urlencoded')),
      headers: Type.Optional(
        Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), { description: 'Header overrides (values are templates); null removes one' }),
      ),
      params: Type.Optional(Type.Array(ref(TemplateParam))),
      rawBody: Type.Optional(template('raw: the body')),
      rpcMethod: Type.Optional(template('json-rpc: the method')),
      dateFormat: Type.Optional(Type.String({ description: 'iso (default), unix, unix_ms or a pattern such as YYYY-MM-DD HH:mm:ss (UTC)' })),
    },
    { additionalProperties: false, description: 'How the request is built instead of the standard envelope (seed 003)' },
  ),
);
