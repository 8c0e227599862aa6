import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import {
  checkUrlTarget,
  guardedConnector,
  guardedLookup,
  isPrivateAddress,
  normalizeHost,
} from '../../src/delivery/ssrf.js';

const refused = [
  'http://127.0.0.1',
  'http://10.1.2.3',
  'http://192.168.0.1',
  'http://172.16.5.4',
  'http://169.254.169.254/latest',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://100.64.0.1/',
  'http://localhost/',
  'http://0.0.0.0/',
  'http://[64:ff9b::a9fe:a9fe]/', // NAT64 of 169.254.169.254
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'http://198.18.0.1/',
];

describe('checkUrlTarget', () => {
  it.each(refused)('refuses %s when the guard is on', async (url) => {
    const r = await checkUrlTarget(url, { allowPrivate: false });
    expect(r.ok).toBe(false);
  });

  it.each(refused)('allows %s when private targets are allowed', async (url) => {
    expect(await checkUrlTarget(url, { allowPrivate: true })).toEqual({ ok: true });
  });

  it('allows a public address', async () => {
    expect(await checkUrlTarget('https://93.184.216.34/', { allowPrivate: false })).toEqual({ ok: true });
  });

  it('checks every resolved address of a hostname', async () => {
    const lookup = async () => ['93.184.216.34', '10.0.0.5'];
    const r = await checkUrlTarget('https://rebind.example/', { allowPrivate: false, lookup });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('10.0.0.5') });
    const ok = await checkUrlTarget('https://fine.example/', { allowPrivate: false, lookup: async () => ['93.184.216.34'] });
    expect(ok).toEqual({ ok: true });
  });

  it('accepts a hostname that does not resolve (checked at connect time)', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await checkUrlTarget('https://not-yet.example/', { allowPrivate: false, lookup })).toEqual({ ok: true });
  });

  it('refuses non-http schemes and junk even when private targets are allowed', async () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      expect((await checkUrlTarget(url, { allowPrivate: true })).ok).toBe(false);
    }
  });
});

describe('isPrivateAddress / normalizeHost', () => {
  it('classifies addresses', () => {
    for (const ip of ['127.0.0.1', '::1', '::', '::ffff:10.0.0.1', '::ffff:a00:1', '64:ff9b::7f00:1', '2002:7f00:1::1', 'ff02::1', '224.0.0.1', '255.255.255.255', 'fe80::1%eth0', '[::1]']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '172.32.0.1', '100.128.0.1']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it('normalizes every IPv4 spelling the URL parser accepts', () => {
    expect(normalizeHost('2130706433')).toBe('127.0.0.1');
    expect(normalizeHost('0x7f000001')).toBe('127.0.0.1');
    expect(normalizeHost('0177.0.0.1')).toBe('127.0.0.1');
    expect(normalizeHost('127.1')).toBe('127.0.0.1');
    expect(normalizeHost('[::ffff:127.0.0.1]')).toBe('::ffff:7f00:1');
    expect(normalizeHost('Example.COM')).toBe('example.com');
    expect(normalizeHost('evil.com@127.0.0.1')).toBeNull();
    expect(normalizeHost('a/b')).toBeNull();
    expect(normalizeHost('')).toBeNull();
  });
});

describe('guardedLookup', () => {
  const call = (allow: boolean, host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup(allow)(host, { all }, (err, address, family) => resolve({ err, address, family })),
    );

  it('fails localhost with ESSRF in both option forms', async () => {
    for (const all of [false, true]) {
      const { err } = await call(false, 'localhost', all);
      expect(err).toMatchObject({ code: 'ESSRF', message: expect.stringMatching(/127\.0\.0\.1|::1/) });
    }
  });

  it('resolves when private targets are allowed', async () => {
    const single = await call(true, 'localhost', false);
    expect(single.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(single.address);
    expect([4, 6]).toContain(single.family);
    const all = await call(true, 'localhost', true);
    expect(all.err).toBeNull();
    expect(Array.isArray(all.address) && all.address.length > 0).toBe(true);
  });

  it('passes DNS errors through', async () => {
    const { err } = await call(false, 'no-such-host.invalid', false);
    expect(err?.code).not.toBe('ESSRF');
    expect(err).toBeTruthy();
  });
});

describe('real undici requests through the guard', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, 'localhost', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const get = async (url: string, dispatcher: Agent) => {
    try {
      const res = await request(url, { dispatcher });
      return { status: res.statusCode, body: await res.body.text() };
    } finally {
      await dispatcher.close();
    }
  };

  it('refuses http://localhost via connect.lookup', async () => {
    const agent = new Agent({ connect: { lookup: guardedLookup(false) } });
    await expect(get(`http://localhost:${port}/`, agent)).rejects.toMatchObject({ code: 'ESSRF' });
  });

  it('succeeds via connect.lookup when private targets are allowed', async () => {
    const agent = new Agent({ connect: { lookup: guardedLookup(true) } });
    expect(await get(`http://localhost:${port}/`, agent)).toEqual({ status: 200, body: 'hello' });
  });

  it('guardedConnector also refuses IP literals, which Node never passes to lookup', async () => {
    const addr = (server.address() as AddressInfo).address;
    const literal = addr.includes(':') ? `[${addr}]` : addr;
    // Demonstrates the hazard: lookup alone lets the literal through.
    const lookupOnly = new Agent({ connect: { lookup: guardedLookup(false) } });
    expect((await get(`http://${literal}:${port}/`, lookupOnly)).status).toBe(200);

    const guarded = new Agent({ connect: guardedConnector(false) });
    await expect(get(`http://${literal}:${port}/`, guarded)).rejects.toMatchObject({ code: 'ESSRF' });
    await expect(get(`http://localhost:${port}/`, new Agent({ connect: guardedConnector(false) }))).rejects.toMatchObject({ code: 'ESSRF' });
    expect(await get(`http://${literal}:${port}/`, new Agent({ connect: guardedConnector(true) }))).toEqual({ status: 200, body: 'hello' });
  });
});
