/**
 * Two Ajv instances: query strings, params and headers are coerced ("50" → 50), bodies
 * are not — a body that says `"maxRetries": "3"` is a client bug and gets a 422.
 */
import { Ajv, type Options } from 'ajv';
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

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : paramAjv;
  return ajv.compile(schema as object) as any;
};
