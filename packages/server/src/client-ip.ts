/**
 * Client address buckets for free tiers and rate limits, as Aperture does: IPv4 by /24,
 * IPv6 by /48, so one user cannot rotate through addresses of one network.
 *
 * @module
 */

/** How wide a client network the free tier and per-IP rate limits count as one client. */
export interface IpBuckets {
  /** IPv4 prefix length, 0–32 (default 24). */
  ipv4?: number;
  /** IPv6 prefix length, 0–128 (default 48). */
  ipv6?: number;
}

/**
 * The client network an address belongs to, as a key: IPv4 /24 and IPv6 /48 by default (as
 * Aperture counts), or the prefixes given (`{ ipv4: 32, ipv6: 64 }`: per address).
 *
 * @example
 * ```ts
 * ipBucket('203.0.113.7'); // 'v4:203.0.113.0/24'
 * ipBucket('203.0.113.7', { ipv4: 32 }); // 'v4:203.0.113.7/32'
 * ```
 */
export function ipBucket(ip: string | undefined, prefixes: IpBuckets = {}): string {
  if (!ip) return 'unknown';
  const p4 = prefixes.ipv4 ?? 24;
  const p6 = prefixes.ipv6 ?? 48;
  let a = ip.trim();
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) {
    const octets = v4.slice(1, 5).map((o, i) => {
      const keep = Math.max(0, Math.min(8, p4 - 8 * i));
      return Number(o) & (0xff << (8 - keep)) & 0xff;
    });
    return `v4:${octets.join('.')}/${p4}`;
  }
  if (a.includes(':')) {
    const groups = expandV6(a.replace(/^\[|\]$/g, '').split('%')[0]!);
    if (groups) {
      const masked = groups.map((g, i) => {
        const keep = Math.max(0, Math.min(16, p6 - 16 * i));
        return (Number.parseInt(g, 16) & (0xffff << (16 - keep)) & 0xffff).toString(16);
      });
      return `v6:${masked.join(':')}/${p6}`;
    }
  }
  return `other:${a.slice(0, 64)}`;
}

function expandV6(a: string): string[] | undefined {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  if (a.includes('::')) {
    const fill = 8 - h.length - t.length;
    if (fill < 0) return undefined;
    return [...h, ...Array(fill).fill('0'), ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
  }
  return h.length === 8 ? h.map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')) : undefined;
}

/** The client IP: the socket's, or the last `X-Forwarded-For` entry when the proxy is trusted. */
export function clientIp(
  req: Request,
  socketIp: string | undefined,
  trustProxy: boolean,
): string | undefined {
  if (trustProxy) {
    const xff = req.headers.get('x-forwarded-for');
    // The last entry is the one the trusted proxy appended; earlier ones come from the client.
    const last = xff?.split(',').pop()?.trim();
    if (last) return last;
  }
  return socketIp;
}
