/**
 * What kind of network an IP address belongs to, for the SSRF guard. Ranges from the IANA
 * special-purpose registries (RFC 6890 and its updates): RFC 1918 private, RFC 6598 shared
 * (CGNAT), RFC 3927 / RFC 4291 link-local, RFC 4193 unique-local, and the cloud metadata
 * endpoints. IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4) are judged as the IPv4
 * address they reach.
 *
 * @module
 */
import { isIP } from 'node:net';

/** Address classes. Only `public` is reachable without the operator's permission. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'cgnat'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** Classes the operator may open with `allowPrivateNetworks` (the rest stay refused). */
export const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set([
  'loopback',
  'private',
  'link-local',
  'unique-local',
  'cgnat',
]);

/** Cloud instance-metadata endpoints: never reachable, whatever the configuration. */
const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192']);

function v4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** Classifies a dotted-quad IPv4 address. */
function classifyV4(ip: string): AddressClass {
  if (METADATA_V4.has(ip)) return 'metadata';
  const [a = 0, b = 0, c = 0] = v4Parts(ip);
  if (a === 0) return 'unspecified'; // 0.0.0.0/8: "this network" (0.0.0.0 reaches localhost on Linux)
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved'; // 240/4 and the broadcast address
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return 'reserved'; // protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a === 198 && b === 51 && c === 100) return 'reserved'; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return 'reserved'; // TEST-NET-3
  return 'public';
}

/** Expands an IPv6 address (validated by the caller) into eight 16-bit groups. */
function v6Groups(ip: string): number[] {
  let s = ip.replace(/%.*$/, '').toLowerCase();
  // A trailing dotted quad holds the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = v4Parts(quad[1]!);
    s = `${s.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => Number.parseInt(g, 16));
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

function classifyV6(ip: string): AddressClass {
  const g = v6Groups(ip);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g7 === 1) return 'loopback';
  if (zeroTo(5) && g5 === 0xffff) return classifyV4(v4Of(g6, g7)); // ::ffff:a.b.c.d (mapped)
  if (zeroTo(6)) return 'reserved'; // ::a.b.c.d (deprecated IPv4-compatible)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)
    return classifyV4(v4Of(g6, g7)); // 64:ff9b::/96 NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private'; // 64:ff9b:1::/48 local NAT64
  if (g0 === 0x2002) return classifyV4(v4Of(g1, g2)); // 6to4
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g7 === 0x254)
    return 'metadata'; // fd00:ec2::254 (AWS over IPv6)
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x2001 && g1 === 0) return 'reserved'; // Teredo: the IPv4 end is hidden
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only
  return 'public';
}

/**
 * Classifies an IP address (IPv4, or IPv6 with or without brackets and zone).
 * Throws on anything that is not an IP address.
 *
 * @example
 * ```ts
 * import { classifyAddress } from '@farebox/mcp';
 * classifyAddress('10.1.2.3'); // 'private'
 * classifyAddress('::ffff:127.0.0.1'); // 'loopback'
 * ```
 */
export function classifyAddress(address: string): AddressClass {
  const ip = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) return classifyV4(ip);
  if (family === 6) return classifyV6(ip);
  throw new TypeError(`"address" must be an IP address, got ${JSON.stringify(address)}`);
}

/** True when `host` (a URL hostname) is an IP literal. */
export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '')) !== 0;
}
