/**
 * The sender on its own, against a real receiver on loopback: each request reaches the path
 * and query of its URL (parsed once per URL and kept), a response is read whole whether it
 * comes in one chunk or many, and a URL undici could not send to fails as `invalid` before
 * any connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSender, type Sender } from '../../src/delivery/sender.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

let sender: Sender;
let rcv: Receiver;
/** Answers in three pieces 30 ms apart, a two-byte character split across the first two. */
let pieces: http.Server;
/** Answers 200 with a body that never ends (64 KB every 5 ms, until the client goes away). */
let endless: http.Server;
const é = Buffer.from('é');

beforeAll(async () => {
  sender = createSender({ allowPrivate: true });
  rcv = await startReceiver((r) => (r.url.startsWith('/long') ? { status: 200, body: 'é'.repeat(3000) } : { status: 200, body: `got ${r.method} ${r.url}` }));
  pieces = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.write(Buffer.concat([Buffer.from('one '), é.subarray(0, 1)]));
    setTimeout(() => res.write(Buffer.concat([é.subarray(1), Buffer.from(' two ')])), 30);
    setTimeout(() => res.end('three'), 60);
  });
  await new Promise<void>((r) => pieces.listen(0, '127.0.0.1', r));
  endless = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-kind': 'endless' });
    const block = Buffer.alloc(65536, 'a');
    const timer = setInterval(() => res.write(block), 5);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await sender.close();
  await rcv.close();
  pieces.closeAllConnections();
  pieces.close();
  endless.closeAllConnections();
  endless.close();
});

const post = (url: string) => sender.send({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 5000);

describe('sender', () => {
  it('sends each request to its URL’s path and query, the same URL again and many different ones', async () => {
    const urls = [`${rcv.url}/hook/a?x=1&y=two`, `${rcv.url}/hook/a?x=1&y=two`, `${rcv.url}/hook/b`, `${rcv.url}`, `${rcv.url}/p?q=%20v#fragment`];
    // More distinct URLs than the sender keeps parsed, so some are parsed again after being let go.
    for (let i = 0; i < 1005; i++) urls.push(`${rcv.url}/many?i=${i}`);
    urls.push(`${rcv.url}/hook/a?x=1&y=two`);
    for (let i = 0; i < urls.length; i += 50) {
      const batch = urls.slice(i, i + 50);
      const results = await Promise.all(batch.map(post));
      results.forEach((res, j) => {
        const want = new URL(batch[j]!);
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe(`got POST ${want.pathname}${want.search}`);
      });
    }
    expect(rcv.requests).toHaveLength(urls.length);
  });

  it('reads a response whole, in one chunk or in several (a character split across two)', async () => {
    const long = await post(`${rcv.url}/long`);
    expect(long.statusCode).toBe(200);
    // 6000 bytes: the first 4096 are kept (here the cut falls between characters).
    expect(long.body).toBe('é'.repeat(2048));
    const split = await post(`http://127.0.0.1:${(pieces.address() as AddressInfo).port}/`);
    expect(split.statusCode).toBe(200);
    expect(split.body).toBe('one é two three');
  });

  it('keeps the first 4096 bytes of a body that never ends, stops reading it and answers well before the timeout', async () => {
    const t0 = performance.now();
    const res = await post(`http://127.0.0.1:${(endless.address() as AddressInfo).port}/`);
    expect(res.errorKind).toBeUndefined();
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['x-kind']).toBe('endless');
    expect(res.body).toBe('a'.repeat(4096));
    expect(performance.now() - t0).toBeLessThan(4000);
    // The connection was dropped, not left reading: the server saw its client go.
    await expect.poll(() => new Promise((r) => endless.getConnections((_e, n) => r(n))), { timeout: 2000 }).toBe(0);
  });

  it('fails a URL it cannot send to as invalid, without a request', async () => {
    const before = rcv.requests.length;
    for (const url of ['http://exa mple.com/', 'ftp://127.0.0.1/x', 'not a url']) {
      const res = await post(url);
      expect(res.errorKind, url).toBe('invalid');
      expect(res.statusCode).toBeUndefined();
    }
    expect(rcv.requests).toHaveLength(before);
  });
});
