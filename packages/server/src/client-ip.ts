/**
 * Client address buckets for free tiers and rate limits, as Aperture does: IPv4 by /24,
 * IPv6 by /48, so one user cannot rotate through addresses of one network.
 *
 * @module
 */

/** The bucket of an address: `v4:1.2.3.0/24` or `v6:2001:db8:1::/48`; `unknown` when absent. */
export function ipBucket(ip: string | undefined): string {
  if (!ip) return 'unknown';
  let a = ip.trim();
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) return `v4:${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (a.includes(':')) {
    const groups = expandV6(a.replace(/^\[|\]$/g, '').split('%')[0]!);
    if (groups) return `v6:${groups.slice(0, 3).join(':')}::/48`;
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
