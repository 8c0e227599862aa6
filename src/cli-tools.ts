/**
 * `hookbridge verify` and `hookbridge send-test`: offline helpers for receiver authors.
 * They reuse the real signing and verification code, so what they say is what the
 * gateway does.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Verification } from './store/sources.js';
import type { SignatureScheme } from './core/signing.js';

// Modules are loaded inside each command, so `hookbridge serve` does not pay for them.

const collect = (v: string, acc: string[]) => [...acc, v];

function parseHeaders(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`--header ${JSON.stringify(line)}: expected "Name: value"`);
    out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

export function registerTools(program: Command): void {
  program
    .command('verify')
    .description('verify a received webhook signature offline (exit 0: valid, 1: invalid)')
    .requiredOption('--secret <secret>', "the webhook's secret (standard: whsec_…, or the whpk_ public key for v1a signatures)")
    .option('--scheme <scheme>', 'hookbridge (X-{prefix}-Signature), standard, github or stripe', 'hookbridge')
    .option('--prefix <prefix>', 'header prefix of the hookbridge scheme', 'Hookbridge')
    .option('--header <line>', 'a received header, "Name: value" (repeat)', collect, [])
    .option('--body <text>', 'the received body, exactly')
    .option('--body-file <file>', 'read the received body from a file')
    .option('--tolerance <seconds>', 'allowed timestamp age', '300')
    .action(async (opts) => {
      const { verifyRequest } = await import('./inbound/verify.js');
      const body = opts.bodyFile ? fs.readFileSync(opts.bodyFile) : Buffer.from(opts.body ?? '', 'utf8');
      const tolerance = Number(opts.tolerance);
      // Not a number would turn the timestamp check off (every age compares false against NaN).
      if (!Number.isFinite(tolerance) || tolerance < 0) throw new Error(`--tolerance ${opts.tolerance}: expected a number of seconds (0 or more)`);
      const schemes: Record<string, Verification> = {
        hookbridge: { type: 'hookbridge', secret: opts.secret, prefix: opts.prefix, tolerance } as Verification,
        standard: { type: 'standard', secret: opts.secret, tolerance } as Verification,
        github: { type: 'github', secret: opts.secret } as Verification,
        stripe: { type: 'stripe', secret: opts.secret, tolerance } as Verification,
      };
      const v = schemes[opts.scheme];
      if (!v) throw new Error(`--scheme ${opts.scheme}: expected one of ${Object.keys(schemes).join(', ')}`);
      const r = verifyRequest(v, { headers: parseHeaders(opts.header), query: {}, body }, Math.floor(Date.now() / 1000));
      console.log(r.ok ? `valid (${r.type})` : `INVALID: ${r.message}`);
      process.exitCode = r.ok ? 0 : 1;
    });

  program
    .command('send-test')
    .description('send one signed test delivery straight to a URL, as a webhook would get it, and print the answer')
    .requiredOption('--url <url>', 'the receiver')
    .option('--secret <secret>', 'signing secret', 'whsec_dGVzdC1zZWNyZXQtZm9yLXNlbmQtdGVzdA==')
    .option('--signature <scheme>', 'hmac-sha256, standard, body or none', 'hmac-sha256')
    .option('--type <type>', 'event type', 'message.created')
    .option('--data <json>', 'event data (JSON)', '{"id":"test_msg_123","content":"Test message"}')
    .option('--prefix <prefix>', 'header prefix', 'Hookbridge')
    .option('--user-agent <ua>', 'User-Agent', 'Hookbridge-Webhooks/1.0')
    .option('--timeout <ms>', 'request timeout', '10000')
    .action(async (opts) => {
      // The same rules as the API, so a secret refused there is refused here.
      const { SIGNATURE_SCHEMES, secretProblem } = await import('./core/signing.js');
      if (!SIGNATURE_SCHEMES.includes(opts.signature)) throw new Error(`--signature ${opts.signature}: expected one of ${SIGNATURE_SCHEMES.join(', ')}`);
      const problem = secretProblem(opts.signature as SignatureScheme, opts.secret);
      if (problem) throw new Error(`--secret: ${problem}`);
      let data: unknown;
      try {
        data = JSON.parse(opts.data);
      } catch (err) {
        throw new Error(`--data is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
      const [{ buildEnvelope }, { unsavedWebhook }, { buildRequest }, { createSender }, { newId }] = await Promise.all([
        import('./core/envelope.js'),
        import('./store/webhooks.js'),
        import('./delivery/request.js'),
        import('./delivery/sender.js'),
        import('./ids.js'),
      ]);
      const now = Date.now();
      const w = unsavedWebhook({ url: opts.url, secret: opts.secret, signature: opts.signature as SignatureScheme }, now);
      const payload = buildEnvelope({ id: newId('evt', now), type: opts.type, createdAt: new Date(now).toISOString(), data });
      const req = buildRequest(w, { headerPrefix: opts.prefix, userAgent: opts.userAgent }, { deliveryId: newId('dlv', now), eventType: opts.type, payload, attemptNumber: 1, nowMs: now });
      // The operator names the target explicitly, so private addresses are allowed here.
      const sender = createSender({ allowPrivate: true });
      try {
        const res = await sender.send(req, Number(opts.timeout));
        console.log(`${req.method} ${req.url}`);
        for (const [k, v] of Object.entries(req.headers)) console.log(`${k}: ${v}`);
        console.log(`\n${req.body ?? ''}\n`);
        if (res.statusCode !== undefined) console.log(`→ HTTP ${res.statusCode} in ${res.durationMs} ms\n${res.body ?? ''}`);
        else console.log(`→ failed after ${res.durationMs} ms: ${res.error}`);
        process.exitCode = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1;
      } finally {
        await sender.close();
      }
    });
}
