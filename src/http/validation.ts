/**
 * Two Ajv instances: query strings, params and headers are coerced ("50" → 50), bodies
 * are not — a body that says `"maxRetries": "3"` is a client bug and gets a 422.
 *
 * Bodies are strict (SPEC §2): every object in a body schema is closed unless the schema
 * says otherwise (`additionalProperties: true`, or a `Type.Record`), so a typo such as
 * `retry_policy` is a 422 naming it instead of a silently applied default. A property
 * marked `readOnly` (see `readOnly()` in schemas.ts: `id`, `createdAt`, … that a read
 * returns) is accepted and dropped after validation, so a GET → PUT round trip works.
 * A field marked `checkedInCode` (schemas.ts) is documented by its schema but checked
 * by code, so it accepts any value here.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { CHECKED_IN_CODE } from './schemas.js';

const base: Options = { allErrors: true, useDefaults: true, strict: false };

function make(body: boolean): Ajv {
  // Body errors carry their schema (`verbose`): the error mapper lists known fields and allowed values from it.
  const ajv = new Ajv({ ...base, coerceTypes: body ? false : 'array', removeAdditional: !body, verbose: body });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

const bodyAjv = make(true);
const paramAjv = make(false);

/** TypeBox marks `Type.Optional(schema)` with this symbol. */
const OPTIONAL = Symbol.for('TypeBox.Optional');

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keywords whose value is a value, not a schema; and those whose value maps names to schemas. */
const VALUES = new Set(['const', 'enum', 'default', 'examples']);
const MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * A copy of `schema` with every object that declares `properties` and says nothing about
 * extra keys closed, and every `checkedInCode` field open.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isObject(schema)) return schema;
  if (CHECKED_IN_CODE in schema) return {};
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (VALUES.has(k)) out[k] = v;
    else if (MAPS.has(k) && isObject(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, closeObjects(sub)]));
    else out[k] = closeObjects(v);
  }
  if (isObject(out.properties) && out.additionalProperties === undefined && out.patternProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/** Deletes the properties the schema marks `readOnly`, at any depth of plain `properties`. */
function dropReadOnly(schema: unknown, data: unknown): void {
  if (!isObject(schema) || !isObject(schema.properties) || !isObject(data)) return;
  for (const [k, sub] of Object.entries(schema.properties)) {
    if (!Object.hasOwn(data, k)) continue;
    if (isObject(sub) && sub.readOnly === true) delete data[k];
    else dropReadOnly(sub, data[k]);
  }
}

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  if (httpPart !== 'body') return paramAjv.compile(schema as object) as any;
  const strict = closeObjects(schema) as Schema;
  const validate = bodyAjv.compile(strict);
  const check = ((data: unknown) => {
    // Fastify validates an absent body as `null`; a route whose body schema is
    // `Type.Optional(…)` (e.g. rotate-secret) accepts no body at all.
    if ((data === null || data === undefined) && (schema as Record<symbol, unknown>)[OPTIONAL] === 'Optional') return true;
    const ok = validate(data);
    check.errors = validate.errors;
    if (ok) dropReadOnly(strict, data);
    return ok;
  }) as ValidateFunction;
  return check as any;
};
