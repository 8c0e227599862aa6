/**
 * The receiver-side verification snippets in README.md ("Verifying a signature"), taken
 * from the README as a user would copy them and run against real deliveries: with a
 * renamed header prefix, during a secret rotation (both signatures sent), and with a
 * missing, short or malformed header (false, never an exception).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import type { Receiver, Received } from '../helpers/receiver.js';
import { channel, withReceiver, withServer } from '../helpers/fixtures.js';
import { until } from '../helpers/wait.js';
import { createProject, expectOk } from '../api/_support.js';

let s: TestServer;
let rcv: Receiver;
withServer((x) => (s = x));
withReceiver((x) => (rcv = x));

const README = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced block right after `<!-- verify-snippet: NAME -->`. */
function snippet(name: string, lang: string): string {
  const m = new RegExp(`<!-- verify-snippet: ${name} -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  if (!m) throw new Error(`README.md has no \`\`\`${lang} block after <!-- verify-snippet: ${name} -->`);
  return m[1];
}

const PYTHON = spawnSync('python3', ['--version']).status === 0;
const CI = process.env.CI === 'true';
if (!PYTHON && !CI) console.log('readme-snippets: python3 not found, so the Python snippet is not run (it is under CI=true)');

const OLD = 'old_secret_for_readme_1';
const NEW = 'new_secret_for_readme_2';

interface Case {
  what: string;
  headers: Record<string, string>;
  body: string;
  secret: string;
  prefix?: string;
  expected: boolean;
}

let dir: string;
let cases: Case[];

/** Waits for the delivery with this event id and returns what the receiver got. */
async function received(eventId: string): Promise<Received> {
  let got: Received | undefined;
  await until(`the delivery of ${eventId}`, 15_000, () => !!(got = rcv.requests.find((r) => r.body.includes(eventId))));
  return got!;
}

const flat = (h: Received['headers']) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-readme-'));
  const data = { text: 'Привет, receiver 👋', n: 1 };

  // A project with a renamed prefix: X-Acme-Signature.
  const acme = await createProject(s, 'Acme');
  expectOk(await s.api('PUT', '/v1/project', { token: acme.token, body: { headerPrefix: 'Acme' } }));
  const hook = expectOk(
    await s.api('POST', '/v1/webhooks', { token: acme.token, body: { url: `${rcv.url}/acme`, events: ['message.created'], secret: OLD } }),
    201,
  );
  const publish = async () => expectOk(await s.api('POST', '/v1/events', { token: acme.token, body: { type: 'message.created', data } }), 202).id as string;
  const plain = await received(await publish());
  expectOk(await s.api('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { token: acme.token, body: { secret: NEW } }));
  const rotating = await received(await publish());
  expect(rotating.headers['x-acme-signature']).toMatch(/^sha256=[0-9a-f]{64},sha256=[0-9a-f]{64}$/);

  // The default prefix, X-Hookbridge-Signature.
  const ch = channel(s);
  await ch.webhook(`${rcv.url}/default`, { secret: OLD });
  const byDefault = await received((await ch.publish(data)).id);

  const h = flat(plain.headers);
  const r = flat(rotating.headers);
  const sig = h['x-acme-signature'];
  const without = Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'x-acme-signature'));
  cases = [
    { what: 'a delivery, renamed prefix', headers: h, body: plain.body, secret: OLD, prefix: 'Acme', expected: true },
    { what: 'a delivery, wrong secret', headers: h, body: plain.body, secret: NEW, prefix: 'Acme', expected: false },
    { what: 'a delivery, body changed', headers: h, body: plain.body.replace('"n":1', '"n":2'), secret: OLD, prefix: 'Acme', expected: false },
    { what: 'renamed prefix, but the snippet left at the default', headers: h, body: plain.body, secret: OLD, expected: false },
    { what: 'the default prefix', headers: flat(byDefault.headers), body: byDefault.body, secret: OLD, expected: true },
    { what: 'rotation: the old secret', headers: r, body: rotating.body, secret: OLD, prefix: 'Acme', expected: true },
    { what: 'rotation: the new secret', headers: r, body: rotating.body, secret: NEW, prefix: 'Acme', expected: true },
    { what: 'rotation: another secret', headers: r, body: rotating.body, secret: 'neither_of_them_3', prefix: 'Acme', expected: false },
    { what: 'rotation: values in the other order', headers: { ...r, 'x-acme-signature': r['x-acme-signature'].split(',').reverse().join(', ') }, body: rotating.body, secret: NEW, prefix: 'Acme', expected: true },
    { what: 'no signature header', headers: without, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'an empty header', headers: { ...without, 'x-acme-signature': '' }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'a short header', headers: { ...without, 'x-acme-signature': 'sha256=abc' }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'a truncated signature', headers: { ...without, 'x-acme-signature': sig.slice(0, -1) }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'a signature too long', headers: { ...without, 'x-acme-signature': `${sig}00` }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'only the prefix', headers: { ...without, 'x-acme-signature': 'sha256=' }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'not hex', headers: { ...without, 'x-acme-signature': `sha256=${'z'.repeat(64)}` }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'non-ASCII', headers: { ...without, 'x-acme-signature': `sha256=${'é'.repeat(64)}` }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
    { what: 'commas only', headers: { ...without, 'x-acme-signature': ',,' }, body: plain.body, secret: OLD, prefix: 'Acme', expected: false },
  ];
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('README: verifying an hmac-sha256 delivery', () => {
  it('the Node snippet accepts real deliveries (rotation included) and returns false for everything else, never throwing', async () => {
    const file = path.join(dir, 'verify.mjs');
    fs.writeFileSync(file, snippet('node', 'js'));
    const mod = await import(pathToFileURL(file).href);
    const verify = mod.verifyHookbridgeSignature as (headers: unknown, body: Buffer, secret: string, prefix?: string) => boolean;
    expect(typeof verify).toBe('function');
    for (const c of cases) {
      const args = [c.headers, Buffer.from(c.body, 'utf8'), c.secret, ...(c.prefix ? [c.prefix] : [])] as const;
      let got: unknown;
      try {
        got = verify(...(args as unknown as [unknown, Buffer, string, string?]));
      } catch (err) {
        got = `threw ${(err as Error).name}: ${(err as Error).message}`;
      }
      expect(got, c.what).toBe(c.expected);
    }
    // Fetch-style Headers (Next.js, Deno, Cloudflare Workers) work too.
    const fetchHeaders = new Headers(cases[0].headers);
    expect(verify(fetchHeaders, Buffer.from(cases[0].body), OLD, 'Acme')).toBe(true);
    expect(verify(undefined, Buffer.from(cases[0].body), OLD, 'Acme')).toBe(false);
  });

  it.skipIf(!PYTHON && !CI)('the Python snippet does the same', () => {
    if (!PYTHON) throw new Error('python3 is needed to test the README\'s Python snippet (CI=true)');
    fs.writeFileSync(path.join(dir, 'verify.py'), snippet('python', 'python'));
    fs.writeFileSync(
      path.join(dir, 'driver.py'),
      [
        'import base64, json, sys',
        'from verify import verify_hookbridge_signature',
        'out = []',
        'for c in json.load(sys.stdin):',
        '    args = [c["headers"], base64.b64decode(c["body"]), c["secret"]] + ([c["prefix"]] if c.get("prefix") else [])',
        '    try:',
        '        out.append(verify_hookbridge_signature(*args))',
        '    except Exception as e:',
        '        out.append("raised %s: %s" % (type(e).__name__, e))',
        'print(json.dumps(out))',
      ].join('\n'),
    );
    // Frameworks hand over headers in their own case (Flask: X-Acme-Signature).
    const titled = Object.fromEntries(Object.entries(cases[0].headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
    const all = [...cases, { ...cases[0], what: 'header names in title case', headers: titled }];
    const input = all.map((c) => ({ headers: c.headers, body: Buffer.from(c.body, 'utf8').toString('base64'), secret: c.secret, prefix: c.prefix }));
    const run = spawnSync('python3', ['driver.py'], { cwd: dir, input: JSON.stringify(input), encoding: 'utf8', timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as unknown[];
    all.forEach((c, i) => expect(results[i], c.what).toBe(c.expected));
  });
});
