// SSRF guard (SPEC §4.3): refuse targets on loopback/private/link-local/CGNAT/metadata
// addresses, at create time (checkUrlTarget) and again at connect time (guardedLookup /
// guardedConnector) so a hostname re-pointed after creation (DNS rebinding) is caught.
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { promises as dnsPromises } from 'node:dns';
import { buildConnector } from 'undici';

const v4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches localhost on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. 255.255.255.255
] as const) v4.addSubnet(net, prefix, 'ipv4');

const v6 = new BlockList();
for (const [net, prefix] of [
  ['::', 96], // ::, ::1 and deprecated IPv4-compatible ::a.b.c.d
  ['100::', 64], // discard-only
  ['64:ff9b:1::', 48], // local-use NAT64
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
] as const) v6.addSubnet(net, prefix, 'ipv6');

/** Expand an IPv6 literal (no brackets/zone) to 8 16-bit groups; null if malformed. */
function ipv6Groups(ip: string): number[] | null {
  let s = ip;
  const tail: number[] = [];
  const dotted = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const o = dotted[2].split('.').map(Number);
    tail.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
    s = dotted[1].endsWith('::') ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const v4From = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * True when `ip` is an address a webhook must not reach. IPv6 forms that embed an IPv4
 * address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by
 * the IPv4 inside, since the packet ends up there. Non-IP input returns false: callers
 * pass resolved or literal addresses only.
 */
export function isPrivateAddress(ip: string): boolean {
  let addr = ip.trim();
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1);
  addr = addr.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  const family = isIP(addr);
  if (family === 4) return v4.check(addr, 'ipv4');
  if (family !== 6) return false;
  const g = ipv6Groups(addr);
  if (!g) return true; // isIP accepted it but we cannot read it: fail closed
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4.check(v4From(g[6], g[7]), 'ipv4');
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4.check(v4From(g[6], g[7]), 'ipv4');
  if (g[0] === 0x2002) return v4.check(v4From(g[1], g[2]), 'ipv4');
  return v6.check(addr, 'ipv6');
}

/**
 * Canonical host as a connection would use it, or null if it is not a valid host.
 * IPv4 in any spelling the WHATWG URL parser accepts (decimal `2130706433`, hex
 * `0x7f000001`, octal `0177.0.0.1`, short `127.1`) comes back dotted-quad, because we
 * let `new URL` do the parsing — the same parser that reads webhook URLs, so the guard
 * and the sender cannot disagree. IPv6 brackets are stripped.
 */
export function normalizeHost(host: string): string | null {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const v6Literal = isIP(h) === 6;
  // Anything that would make the URL parser read a different host (userinfo, path, port).
  if (h === '' || /[/@?#\\\s]/.test(h) || (!v6Literal && h.includes(':'))) return null;
  try {
    const parsed = new URL(`http://${v6Literal ? `[${h}]` : h}/`).hostname;
    return parsed.startsWith('[') ? parsed.slice(1, -1) : parsed;
  } catch {
    return null;
  }
}

export type TargetCheck = { ok: true } | { ok: false; reason: string };

export interface CheckUrlOptions {
  allowPrivate: boolean;
  /** Resolver for hostnames; default `dns.promises.lookup(host, {all: true})`. */
  lookup?: (host: string) => Promise<string[]>;
}

const defaultLookup = async (host: string) =>
  (await dnsPromises.lookup(host, { all: true })).map((a) => a.address);

/** Create-time check of a webhook URL. */
export async function checkUrlTarget(url: string, opts: CheckUrlOptions): Promise<TargetCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'invalid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `unsupported scheme ${parsed.protocol.replace(/:$/, '')}: only http and https` };
  }
  if (opts.allowPrivate) return { ok: true };
  const host = normalizeHost(parsed.hostname);
  if (host === null) return { ok: false, reason: 'invalid host' };
  if (isIP(host)) {
    return isPrivateAddress(host) ? { ok: false, reason: `target address ${host} is private or reserved` } : { ok: true };
  }
  // RFC 6761: localhost names are loopback whatever the resolver says.
  const bare = host.replace(/\.$/, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) {
    return { ok: false, reason: `host ${host} is loopback` };
  }
  let addresses: string[];
  try {
    addresses = await (opts.lookup ?? defaultLookup)(host);
  } catch {
    // Not resolvable now (maybe not yet in DNS): accepted; the connect-time guard decides.
    return { ok: true };
  }
  const bad = addresses.find((a) => isPrivateAddress(a));
  return bad ? { ok: false, reason: `host ${host} resolves to private address ${bad}` } : { ok: true };
}

export class SsrfError extends Error {
  readonly code = 'ESSRF';
  constructor(readonly host: string, readonly address: string) {
    super(`SSRF guard: ${host} resolves to private address ${address}`);
    this.name = 'SsrfError';
  }
}

/**
 * `net.LookupFunction` for undici `connect: { lookup }`: resolves with dns.lookup and
 * fails with an `ESSRF` error when ANY resolved address is private, so a hostname
 * re-pointed at an internal address after creation is refused at connect time.
 * Hazard: Node skips `lookup` for IP-literal hosts — use guardedConnector (or re-check
 * literals before sending) so `http://127.0.0.1` is refused too.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const all: LookupAllOptions = { ...options, all: true };
    dnsLookup(hostname, all, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, options.all ? [] : '', undefined);
      const bad = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(new SsrfError(hostname, bad.address), options.all ? [] : '', undefined);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) {
        const none = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return callback(none, '', undefined);
      }
      callback(null, first.address, first.family);
    });
  };
}

/**
 * undici connector with the SSRF guard on both paths: IP-literal hosts are checked
 * here (Node would skip `lookup` for them), hostnames through guardedLookup.
 * Use as `new Agent({ connect: guardedConnector(allow, { timeout }) })`.
 */
export function guardedConnector(
  allowPrivate: boolean,
  connectOptions: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const connect = buildConnector({ ...connectOptions, lookup: guardedLookup(allowPrivate) });
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!allowPrivate && isIP(host) && isPrivateAddress(host)) {
      return callback(new SsrfError(host, host), null);
    }
    connect(opts, callback);
  };
}
