// Request templates for outbound deliveries (SPEC §4.4, seed 003 — Ringostat's
// "действия"). Pure: no clock, no I/O. `validateTemplate` checks a template when a
// webhook is saved (422 naming the bad param); `renderTemplate` builds the method, URL,
// headers and body of one attempt from the event, the webhook secret and the delivery id.
//
// Rules worth knowing (the contract is §4.4; these are the details it leaves open):
// - Placeholders: `{{event.id}}`, `{{event.type}}`, `{{event.createdAt}}`, `{{data}}`,
//   `{{data.<path>}}` (array items as `.0.`), `{{webhook.secret}}`, `{{delivery.id}}`;
//   blanks inside the braces are allowed. A path that is absent renders as '' and is
//   listed in `missing`; `null` renders as '' in strings but is not "missing".
// - A `text` param (or `array` item) that is exactly one placeholder keeps the value's
//   JSON type in json/json-rpc bodies; in query strings and forms such an object/array
//   value is expanded in bracket form like an `object`/`array` param, leaves stringified.
// - `dateFormat` rewrites `event.createdAt` and every ISO-8601 date-time string found in
//   `data` (also inside objects/arrays a placeholder yields). A date-time without an
//   offset is read as UTC. `iso` (default) leaves strings untouched; `unix`/`unix_ms`
//   give numbers (so a lone `{{event.createdAt}}` is a JSON number); patterns are UTC.
// - crc32 is zlib's CRC-32 (IEEE), 8 lowercase hex digits, zero-padded. All digests are
//   over the UTF-8 bytes of the rendered template.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { HEADER_VALUE_RULE, RESERVED_HEADERS, isHeaderName, isHeaderValue, reservedHeaderMessage, sendableHeaderValue } from './headers.js';
import { readPath } from './matching.js';
import { encodeUriText } from './text.js';

export type TemplateMethod = 'GET' | 'POST' | 'PUT';
export type TemplateFormat = 'json' | 'raw' | 'json-rpc' | 'form';
export type ParamType = 'text' | 'array' | 'object' | 'md5' | 'crc32' | 'sha1' | 'sha256';

/**
 * text/md5/crc32/sha1/sha256: `value` is a template string; array: a list of template
 * strings; object: nested `params` (at most 10 levels of params in all).
 */
export interface TemplateParam {
  name: string;
  type: ParamType;
  value?: string | string[] | TemplateParam[];
  /**
   * An object param's children (SPEC §4.4). `value: [...]` is accepted as an alias,
   * since templates were first written that way; a param gives one or the other.
   */
  params?: TemplateParam[];
}

export interface RequestTemplate {
  /** Default POST. */
  method?: TemplateMethod;
  /** Default json. Irrelevant for GET. */
  format?: TemplateFormat;
  /** Case-insensitive override of the base headers; `null` removes one. Values are templates. */
  headers?: Record<string, string | null>;
  params?: TemplateParam[];
  /** Body template for `raw`. */
  rawBody?: string;
  /** Method name for `json-rpc` (required there); a template. */
  rpcMethod?: string;
  /** `iso` (default) | `unix` | `unix_ms` | pattern with YYYY MM DD HH mm ss SSS (UTC). */
  dateFormat?: string;
}

export interface TemplateContext {
  event: { id: string; type: string; createdAt: string };
  data: unknown;
  webhook: { secret: string };
  deliveryId: string;
}

/** `field` is a path like `request.params[2].value` or `request.params[0].value[1].name`. */
export interface TemplateIssue {
  field: string;
  message: string;
}

export interface RenderedRequest {
  method: TemplateMethod;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Placeholders whose path was absent (rendered as ''), each once, in order of first use. */
  missing: string[];
}

export const TEMPLATE_METHODS: readonly TemplateMethod[] = ['GET', 'POST', 'PUT'];
export const TEMPLATE_FORMATS: readonly TemplateFormat[] = ['json', 'raw', 'json-rpc', 'form'];
export const PARAM_TYPES: readonly ParamType[] = ['text', 'array', 'object', 'md5', 'crc32', 'sha1', 'sha256'];
const TEMPLATE_KEYS = ['method', 'format', 'headers', 'params', 'rawBody', 'rpcMethod', 'dateFormat'];
const PARAM_KEYS = ['name', 'type', 'value', 'params'];
/** Levels of params: top-level params are level 1. */
const MAX_DEPTH = 10;
const MAX_TEMPLATE_BYTES = 65536;

const CONTENT_TYPES: Record<TemplateFormat, string> = {
  json: 'application/json',
  'json-rpc': 'application/json',
  form: 'application/x-www-form-urlencoded',
  raw: 'text/plain',
};

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SINGLE_PLACEHOLDER = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const FIXED_PATHS = new Set(['event.id', 'event.type', 'event.createdAt', 'webhook.secret', 'delivery.id']);
const DATA_PATH = /^data(?:\.[^\s.{}]+)*$/;
const DATE_TOKENS = /YYYY|MM|DD|HH|mm|ss|SSS/g;
const PLACEHOLDER_HELP = 'use event.id, event.type, event.createdAt, data.<path>, webhook.secret or delivery.id';

// ---------------------------------------------------------------------------
// Validation

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isKnownPath(path: string): boolean {
  return FIXED_PATHS.has(path) || DATA_PATH.test(path);
}

function quote(v: unknown): string {
  return v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
}

function checkPlaceholders(tpl: string, field: string, issues: TemplateIssue[]): void {
  for (const m of tpl.matchAll(PLACEHOLDER)) {
    const path = m[1];
    if (path === '') issues.push({ field, message: `empty placeholder ${m[0]}: ${PLACEHOLDER_HELP}` });
    else if (!isKnownPath(path)) issues.push({ field, message: `unknown placeholder ${m[0]}: ${PLACEHOLDER_HELP}` });
  }
}

function checkTemplateString(v: unknown, field: string, issues: TemplateIssue[], what = 'a template string'): v is string {
  if (typeof v !== 'string') {
    issues.push({ field, message: `must be ${what}, got ${quote(v)}` });
    return false;
  }
  checkPlaceholders(v, field, issues);
  return true;
}

function validateParams(list: unknown, field: string, depth: number, issues: TemplateIssue[]): void {
  if (!Array.isArray(list)) {
    issues.push({ field, message: 'must be a list of params {name, type, value}' });
    return;
  }
  if (depth > MAX_DEPTH && list.length > 0) {
    issues.push({ field, message: `params nest deeper than ${MAX_DEPTH} levels` });
    return;
  }
  const seen = new Map<string, number>();
  list.forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (!isPlainObject(p)) {
      issues.push({ field: f, message: 'must be a param {name, type, value}' });
      return;
    }
    for (const k of Object.keys(p)) {
      if (!PARAM_KEYS.includes(k)) issues.push({ field: `${f}.${k}`, message: `unknown field "${k}": a param has name, type and value (an object param: params)` });
    }
    const { name, type, value } = p;
    if (typeof name !== 'string' || name.trim() === '') {
      issues.push({ field: `${f}.name`, message: 'name is required (a non-empty string)' });
    } else if (seen.has(name)) {
      issues.push({ field: `${f}.name`, message: `duplicate name "${name}" (same as ${field}[${seen.get(name)}])` });
    } else {
      seen.set(name, i);
    }
    if (typeof type !== 'string' || !PARAM_TYPES.includes(type as ParamType)) {
      issues.push({ field: `${f}.type`, message: `unknown param type ${quote(type)}: use ${PARAM_TYPES.join(', ')}` });
      return;
    }
    const vf = `${f}.value`;
    if (type !== 'object' && p.params !== undefined) {
      issues.push({ field: `${f}.params`, message: `only an object param has params; a ${type} param takes value` });
    }
    switch (type as ParamType) {
      case 'text':
        checkTemplateString(value, vf, issues);
        return;
      case 'array':
        if (!Array.isArray(value)) {
          issues.push({ field: vf, message: 'an array param needs a list of template strings' });
          return;
        }
        value.forEach((item, j) => checkTemplateString(item, `${vf}[${j}]`, issues));
        return;
      case 'object': {
        if (p.params !== undefined && value !== undefined) {
          issues.push({ field: f, message: 'an object param gives its nested params in params or value, not both' });
          return;
        }
        const [children, cf] = value !== undefined ? [value, vf] : [p.params, `${f}.params`];
        if (!Array.isArray(children)) {
          issues.push({ field: cf, message: 'an object param needs params: a list of nested params {name, type, value}' });
          return;
        }
        validateParams(children, cf, depth + 1, issues);
        return;
      }
      default: // hashes
        if (!checkTemplateString(value, vf, issues)) return;
        if (value.trim() === '') issues.push({ field: vf, message: `a ${type} param needs something to hash: the template is empty` });
    }
  });
}

/** Everything wrong with a template, for a 422 naming the bad param; [] when valid. */
export function validateTemplate(t: unknown): TemplateIssue[] {
  if (!isPlainObject(t)) {
    return [{ field: 'request', message: 'request must be an object {method, format, headers, params, rawBody, rpcMethod, dateFormat}' }];
  }
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(t), 'utf8');
  } catch {
    return [{ field: 'request', message: 'request is not JSON-serialisable' }];
  }
  if (size > MAX_TEMPLATE_BYTES) {
    return [{ field: 'request', message: `request template is ${size} bytes as JSON; the limit is ${MAX_TEMPLATE_BYTES} (64 KiB)` }];
  }

  const issues: TemplateIssue[] = [];
  for (const k of Object.keys(t)) {
    if (!TEMPLATE_KEYS.includes(k)) issues.push({ field: `request.${k}`, message: `unknown field "${k}": use ${TEMPLATE_KEYS.join(', ')}` });
  }
  const { method, format, headers, params, rawBody, rpcMethod, dateFormat } = t;

  if (method !== undefined && !TEMPLATE_METHODS.includes(method as TemplateMethod)) {
    issues.push({ field: 'request.method', message: `unknown method ${quote(method)}: use GET, POST or PUT` });
  }
  if (format !== undefined && !TEMPLATE_FORMATS.includes(format as TemplateFormat)) {
    issues.push({ field: 'request.format', message: `unknown format ${quote(format)}: use json, raw, json-rpc or form` });
  }

  if (headers !== undefined) {
    if (!isPlainObject(headers)) {
      issues.push({ field: 'request.headers', message: 'headers must be an object {name: value or null}' });
    } else {
      const seen = new Map<string, string>();
      for (const [name, value] of Object.entries(headers)) {
        const f = `request.headers.${name}`;
        if (!isHeaderName(name)) issues.push({ field: f, message: `invalid header name ${JSON.stringify(name)}` });
        else if (RESERVED_HEADERS.has(name.toLowerCase())) issues.push({ field: f, message: reservedHeaderMessage(name) });
        const lower = name.toLowerCase();
        if (seen.has(lower)) issues.push({ field: f, message: `header "${name}" is given twice (also as "${seen.get(lower)}")` });
        else seen.set(lower, name);
        if (value !== null && checkTemplateString(value, f, issues, 'a template string, or null to remove the header')) {
          // The literal parts must be sendable as they are; what data fills in is encoded when sent.
          if (!isHeaderValue(value.replace(/\{\{[\s\S]*?\}\}/g, ''))) issues.push({ field: f, message: HEADER_VALUE_RULE });
        }
      }
    }
  }

  if (params !== undefined) validateParams(params, 'request.params', 1, issues);

  const effMethod = method ?? 'POST';
  const effFormat = format ?? 'json';
  if (rawBody !== undefined) checkTemplateString(rawBody, 'request.rawBody', issues);
  else if (effFormat === 'raw' && effMethod !== 'GET') issues.push({ field: 'request.rawBody', message: 'format raw needs rawBody (the body template)' });

  if (rpcMethod !== undefined) {
    if (checkTemplateString(rpcMethod, 'request.rpcMethod', issues) && rpcMethod.trim() === '') {
      issues.push({ field: 'request.rpcMethod', message: 'rpcMethod must not be empty' });
    }
  } else if (effFormat === 'json-rpc' && effMethod !== 'GET') {
    issues.push({ field: 'request.rpcMethod', message: 'format json-rpc needs rpcMethod (the JSON-RPC method name)' });
  }

  if (dateFormat !== undefined) {
    const ok =
      typeof dateFormat === 'string' &&
      (dateFormat === 'iso' || dateFormat === 'unix' || dateFormat === 'unix_ms' || new RegExp(DATE_TOKENS.source).test(dateFormat));
    if (!ok) {
      issues.push({
        field: 'request.dateFormat',
        message: `unknown dateFormat ${quote(dateFormat)}: use iso, unix, unix_ms or a pattern with YYYY, MM, DD, HH, mm, ss, SSS`,
      });
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------
// Dates

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function daysInMonth(y: number, m: number): number {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/** Epoch ms of an ISO-8601 date-time (offset optional, then UTC); null for anything else. */
function parseDateTime(s: string): number | null {
  const m = DATE_TIME.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const sec = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return null;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it maps years 0–99 to 1900–1999
  date.setUTCHours(h, mi, sec, ms);
  return date.getTime() - offsetMin * 60_000;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A date-time string in `fmt`; anything that is not one comes back unchanged. */
function formatDate(s: string, fmt: string): string | number {
  if (fmt === 'iso') return s;
  const ms = parseDateTime(s);
  if (ms === null) return s;
  if (fmt === 'unix') return Math.floor(ms / 1000);
  if (fmt === 'unix_ms') return ms;
  const d = new Date(ms);
  return fmt.replace(DATE_TOKENS, (tok) => {
    switch (tok) {
      case 'YYYY': return pad(d.getUTCFullYear(), 4);
      case 'MM': return pad(d.getUTCMonth() + 1, 2);
      case 'DD': return pad(d.getUTCDate(), 2);
      case 'HH': return pad(d.getUTCHours(), 2);
      case 'mm': return pad(d.getUTCMinutes(), 2);
      case 'ss': return pad(d.getUTCSeconds(), 2);
      default: return pad(d.getUTCMilliseconds(), 3); // SSS
    }
  });
}

/** `data` values with every date-time string formatted; a copy, never the caller's object. */
function formatDates(v: unknown, fmt: string): unknown {
  if (fmt === 'iso') return v;
  if (typeof v === 'string') return formatDate(v, fmt);
  if (Array.isArray(v)) return v.map((x) => formatDates(x, fmt));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = formatDates(x, fmt);
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------
// Rendering

interface RenderState {
  ctx: TemplateContext;
  dateFormat: string;
  missing: Set<string>;
}

/** Param tree in param order (a plain object would move integer-like names first). */
type Node = { kind: 'object'; entries: [string, Node][] } | { kind: 'array'; items: Node[] } | { kind: 'value'; value: unknown };

const NOT_FOUND = Symbol('not found');

function lookup(path: string, st: RenderState): unknown {
  const { ctx } = st;
  switch (path) {
    case 'event.id': return ctx.event.id;
    case 'event.type': return ctx.event.type;
    case 'event.createdAt': return formatDate(ctx.event.createdAt, st.dateFormat);
    case 'webhook.secret': return ctx.webhook.secret;
    case 'delivery.id': return ctx.deliveryId;
  }
  if (!DATA_PATH.test(path)) return NOT_FOUND; // unknown root: validation rejects it; render never throws
  const found = readPath(ctx.data, path.split('.').slice(1));
  return found === undefined ? NOT_FOUND : formatDates(found, st.dateFormat);
}

function resolve(path: string, st: RenderState): unknown {
  const v = lookup(path, st);
  if (v !== NOT_FOUND) return v;
  st.missing.add(path);
  return '';
}

function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v) ?? '';
  return String(v);
}

function renderString(tpl: string, st: RenderState): string {
  return tpl.replace(PLACEHOLDER, (_, path: string) => toText(resolve(path, st)));
}

/** Exactly one placeholder keeps the value's JSON type; anything else is a string. */
function renderTyped(tpl: string, st: RenderState): unknown {
  const m = SINGLE_PLACEHOLDER.exec(tpl);
  return m ? resolve(m[1], st) : renderString(tpl, st);
}

let crcTable: Uint32Array | undefined;

function crc32(buf: Buffer): number {
  const native = (zlib as { crc32?: (data: Buffer) => number }).crc32; // Node ≥ 20.15
  if (typeof native === 'function') return native(buf);
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function digest(type: ParamType, input: string): string {
  const buf = Buffer.from(input, 'utf8');
  if (type === 'crc32') return (crc32(buf) >>> 0).toString(16).padStart(8, '0');
  return createHash(type).update(buf).digest('hex');
}

function renderParams(params: readonly TemplateParam[], st: RenderState, depth: number): Node {
  const entries: [string, Node][] = [];
  for (const p of params) {
    if (!isPlainObject(p) || typeof p.name !== 'string') continue;
    const node = renderParam(p, st, depth);
    const at = entries.findIndex(([k]) => k === p.name);
    if (at >= 0) entries[at] = [p.name, node]; // duplicates are rejected by validation; last wins
    else entries.push([p.name, node]);
  }
  return { kind: 'object', entries };
}

function renderParam(p: TemplateParam, st: RenderState, depth: number): Node {
  const { type, value } = p;
  switch (type) {
    case 'array':
      return {
        kind: 'array',
        items: (Array.isArray(value) ? value : []).map((v) => ({ kind: 'value', value: typeof v === 'string' ? renderTyped(v, st) : '' })),
      };
    case 'object': {
      const children = Array.isArray(p.params) ? p.params : value;
      return Array.isArray(children) && depth < MAX_DEPTH
        ? renderParams(children as TemplateParam[], st, depth + 1)
        : { kind: 'object', entries: [] };
    }
    case 'md5':
    case 'crc32':
    case 'sha1':
    case 'sha256':
      return { kind: 'value', value: digest(type, typeof value === 'string' ? renderString(value, st) : '') };
    default: // text
      return { kind: 'value', value: typeof value === 'string' ? renderTyped(value, st) : '' };
  }
}

function toJson(n: Node): string {
  switch (n.kind) {
    case 'object': return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
    case 'array': return `[${n.items.map(toJson).join(',')}]`;
    default: return JSON.stringify(n.value) ?? 'null';
  }
}

/** `name=v`, `tags[0]=a`, `extra[nested][x]=1`: names and values encoded, brackets literal. */
function flattenValue(prefix: string, v: unknown, out: string[]): void {
  if (Array.isArray(v)) v.forEach((x, i) => flattenValue(`${prefix}[${i}]`, x, out));
  else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) flattenValue(`${prefix}[${encodeUriText(k)}]`, x, out);
  else out.push(`${prefix}=${encodeUriText(toText(v))}`);
}

function flattenNode(prefix: string, n: Node, out: string[]): void {
  if (n.kind === 'object') for (const [k, v] of n.entries) flattenNode(`${prefix}[${encodeUriText(k)}]`, v, out);
  else if (n.kind === 'array') n.items.forEach((v, i) => flattenNode(`${prefix}[${i}]`, v, out));
  else flattenValue(prefix, n.value, out);
}

function toQuery(root: Node): string {
  const out: string[] = [];
  if (root.kind === 'object') for (const [k, v] of root.entries) flattenNode(encodeUriText(k), v, out);
  return out.join('&');
}

function appendQuery(baseUrl: string, query: string): string {
  if (query === '') return baseUrl;
  const hashAt = baseUrl.indexOf('#');
  const url = hashAt >= 0 ? baseUrl.slice(0, hashAt) : baseUrl;
  const fragment = hashAt >= 0 ? baseUrl.slice(hashAt) : '';
  const sep = !url.includes('?') ? '?' : url.endsWith('?') || url.endsWith('&') ? '' : '&';
  return `${url}${sep}${query}${fragment}`;
}

function setHeader(headers: Record<string, string>, name: string, value: string | null): void {
  const lower = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) delete headers[k];
  if (value !== null) headers[name] = value;
}

/** The rendered request pieces. Never throws on data: absent paths render '' and are listed in `missing`. */
export function renderTemplate(
  t: RequestTemplate,
  baseUrl: string,
  baseHeaders: Record<string, string>,
  ctx: TemplateContext,
): RenderedRequest {
  const method: TemplateMethod = TEMPLATE_METHODS.includes(t.method as TemplateMethod) ? (t.method as TemplateMethod) : 'POST';
  const format: TemplateFormat = TEMPLATE_FORMATS.includes(t.format as TemplateFormat) ? (t.format as TemplateFormat) : 'json';
  const st: RenderState = { ctx, dateFormat: typeof t.dateFormat === 'string' && t.dateFormat !== '' ? t.dateFormat : 'iso', missing: new Set() };
  const params = Array.isArray(t.params) ? t.params : [];

  const headers: Record<string, string> = { ...baseHeaders };
  // The format decides Content-Type; a GET has no body, so none (unless the template sets one).
  setHeader(headers, 'Content-Type', method === 'GET' ? null : CONTENT_TYPES[format]);

  let url = baseUrl;
  let body: string | undefined;
  if (method === 'GET') {
    url = appendQuery(baseUrl, toQuery(renderParams(params, st, 1)));
  } else if (format === 'raw') {
    body = renderString(typeof t.rawBody === 'string' ? t.rawBody : '', st);
  } else if (format === 'form') {
    body = toQuery(renderParams(params, st, 1));
  } else if (format === 'json-rpc') {
    const rpcMethod = renderString(typeof t.rpcMethod === 'string' ? t.rpcMethod : '', st);
    const rpcParams = toJson(renderParams(params, st, 1));
    body = `{"jsonrpc":"2.0","method":${JSON.stringify(rpcMethod)},"params":${rpcParams},"id":${JSON.stringify(ctx.deliveryId)}}`;
  } else {
    body = toJson(renderParams(params, st, 1));
  }

  if (isPlainObject(t.headers)) {
    for (const [name, value] of Object.entries(t.headers)) {
      if (value === null) setHeader(headers, name, null);
      else if (typeof value === 'string') setHeader(headers, name, sendableHeaderValue(renderString(value, st)));
    }
  }
  return { method, url, headers, body, missing: [...st.missing] };
}

/**
 * `text` (an attempt's URL, headers as JSON, or body) with the webhook secret replaced by
 * `****` in every spelling a template can give it: as is (raw, headers), percent-encoded
 * (query strings and forms: a generated `whsec_` secret has `+`, `/` and `=`) and
 * JSON-escaped (json bodies, and the headers' JSON).
 */
export function hideSecret(text: string, secret: string): string {
  const spellings = new Set([secret, encodeUriText(secret), JSON.stringify(secret).slice(1, -1), sendableHeaderValue(secret)]);
  // Longest first: one spelling may contain another.
  for (const s of [...spellings].sort((a, b) => b.length - a.length)) if (s) text = text.split(s).join('****');
  return text;
}
