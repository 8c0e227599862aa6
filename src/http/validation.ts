/**
 * Two Ajv instances: query strings, params and headers are coerced ("50" → 50), bodies
 * are not — a body that says `"maxRetries": "3"` is a client bug and gets a 422.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const base: Options = { allErrors: true, removeAdditional: true, useDefaults: true, strict: false };

function make(coerce: boolean): Ajv {
  const ajv = new Ajv({ ...base, coerceTypes: coerce ? 'array' : false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

const bodyAjv = make(false);
const paramAjv = make(true);

/** TypeBox marks `Type.Optional(schema)` with this symbol. */
const OPTIONAL = Symbol.for('TypeBox.Optional');

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : paramAjv;
  const validate = ajv.compile(schema as object);
  // Fastify validates an absent body as `null`; a route whose body schema is
  // `Type.Optional(…)` (e.g. rotate-secret) accepts no body at all.
  if (httpPart === 'body' && (schema as Record<symbol, unknown>)[OPTIONAL] === 'Optional') {
    const optional = ((data: unknown) => {
      if (data === null || data === undefined) return true;
      const ok = validate(data);
      optional.errors = validate.errors;
      return ok;
    }) as ValidateFunction;
    return optional as any;
  }
  return validate as any;
};
