/** `hookbridge send-test` and `hookbridge verify`, run as a user would (node dist/cli.js). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { verifyWebhookSignature } from '../helpers/seed001.js';
import { ed25519PublicKey, generateEd25519Secret } from '../../src/core/signing.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

function run(args: string[], env: Record<string, string> = {}, killAfterMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let rcv: Receiver;
beforeAll(async () => {
  rcv = await startReceiver(() => ({ status: 200, body: 'thanks' }));
});
afterAll(async () => rcv?.close());

describe('send-test and verify', () => {
  it('send-test delivers a signed request; verify accepts it and rejects a changed body', async () => {
    const sent = await run(['send-test', '--url', `${rcv.url}/hook`, '--secret', 'cli_secret_123', '--prefix', 'Katya']);
    expect(sent.code, sent.out).toBe(0);
    expect(sent.out).toMatch(/HTTP 200/);
    const [r] = await rcv.waitFor(1);
    expect(verifyWebhookSignature(JSON.stringify(JSON.parse(r.body)), r.headers['x-katya-signature'] as string, 'cli_secret_123')).toBe(true);

    const headers = ['X-Katya-Signature', 'X-Katya-Timestamp'].flatMap((h) => ['--header', `${h}: ${r.headers[h.toLowerCase()]}`]);
    const ok = await run(['verify', '--secret', 'cli_secret_123', '--prefix', 'Katya', '--body', r.body, ...headers]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/^valid/);
    const bad = await run(['verify', '--secret', 'cli_secret_123', '--prefix', 'Katya', '--body', r.body.replace('Test', 'Fake'), ...headers]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/INVALID/);
    // A tolerance that is not a number is refused, not read as "no timestamp check".
    for (const t of ['abc', '1e999', '-5']) {
      const odd = await run(['verify', '--secret', 'cli_secret_123', '--prefix', 'Katya', '--tolerance', t, '--body', r.body, ...headers]);
      expect(odd.code, odd.out).not.toBe(0);
      expect(odd.out).toMatch(/--tolerance/);
    }
  });

  it('send-test with the standard scheme is accepted by verify --scheme standard', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const before = rcv.requests.length;
    const sent = await run(['send-test', '--url', `${rcv.url}/std`, '--secret', secret, '--signature', 'standard']);
    expect(sent.code, sent.out).toBe(0);
    await rcv.waitFor(before + 1);
    const r = rcv.requests[before];
    const headers = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].flatMap((h) => ['--header', `${h}: ${r.headers[h]}`]);
    const ok = await run(['verify', '--scheme', 'standard', '--secret', secret, '--body', r.body, ...headers]);
    expect(ok.code, ok.out).toBe(0);
  });

  it('an ed25519 (v1a) delivery: verify --scheme standard takes the whpk_ public key, and refuses another key', async () => {
    const secret = generateEd25519Secret();
    const before = rcv.requests.length;
    const sent = await run(['send-test', '--url', `${rcv.url}/ed`, '--secret', secret, '--signature', 'standard']);
    expect(sent.code, sent.out).toBe(0);
    await rcv.waitFor(before + 1);
    const r = rcv.requests[before];
    expect(r.headers['webhook-signature']).toMatch(/^v1a,/);
    const headers = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].flatMap((h) => ['--header', `${h}: ${r.headers[h]}`]);
    const ok = await run(['verify', '--scheme', 'standard', '--secret', ed25519PublicKey(secret), '--body', r.body, ...headers]);
    expect(ok.code, ok.out).toBe(0);
    const other = await run(['verify', '--scheme', 'standard', '--secret', ed25519PublicKey(generateEd25519Secret()), '--body', r.body, ...headers]);
    expect(other.code, other.out).toBe(1);
    expect(other.out).toMatch(/No v1a signature/);
  });

  it('send-test checks the secret for the scheme as the API does, and sends nothing when it is wrong', async () => {
    const before = rcv.requests.length;
    const std = await run(['send-test', '--url', `${rcv.url}/bad`, '--signature', 'standard', '--secret', 'not-base64-at-all!']);
    expect(std.code).not.toBe(0);
    expect(std.code).not.toBeNull();
    expect(std.out).toMatch(/--secret.*whsec_<base64/);
    const short = await run(['send-test', '--url', `${rcv.url}/bad`, '--secret', 'short']);
    expect(short.code).not.toBe(0);
    expect(short.out).toMatch(/--secret.*8/);
    const scheme = await run(['send-test', '--url', `${rcv.url}/bad`, '--signature', 'hmac']);
    expect(scheme.code).not.toBe(0);
    expect(scheme.out).toMatch(/--signature hmac.*hmac-sha256, standard, body, none/);
    const data = await run(['send-test', '--url', `${rcv.url}/bad`, '--data', '{oops']);
    expect(data.code).not.toBe(0);
    expect(data.out).toMatch(/--data.*JSON/);
    await new Promise((r) => setTimeout(r, 200));
    expect(rcv.requests.length).toBe(before);
  });

  it('send-test reports a refused connection with a non-zero exit', async () => {
    const res = await run(['send-test', '--url', 'http://127.0.0.1:9/nothing', '--timeout', '2000']);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/failed after/);
  });
});

describe('hookbridge bench', () => {
  it('runs the benchmark on the build it comes from: a short accept-latency run on SQLite, its table and its JSON', { timeout: 120_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-bench-'));
    try {
      const r = await run(['bench', '--only', 'accept', '--databases', 'sqlite', '--rounds', '1', '--out', out], {
        BENCH_RATE: '100',
        BENCH_RATE_SECONDS: '1',
        BENCH_ACCEPT_WARMUP_SECONDS: '1',
      }, 110_000);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/publish accept p99 at 100 ev\/s, SQLite\s+[\d.]+ ms/);
      const files = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      const result = JSON.parse(fs.readFileSync(path.join(out, files[0]!), 'utf8'));
      // Every publish of the run was accepted and delivered, by a Hookbridge on SQLite and by the relay.
      for (const sys of ['sqlite', 'relay']) {
        const a = result.accept[sys];
        expect(a.errors, sys).toBe(0);
        expect(a.notReceived, sys).toBe(0);
        expect(a.acceptMs.count, sys).toBe(100);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses an unknown section or a bad number, naming what it takes', async () => {
    const bad = await run(['bench', '--only', 'throughput,speed']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/--only "throughput,speed": expected a comma list of raw, throughput, accept, meetings, backlog, workers/);
    const rounds = await run(['bench', '--rounds', '0']);
    expect(rounds.code).not.toBe(0);
    expect(rounds.out).toMatch(/--rounds "0": expected a whole number/);
  });
});
