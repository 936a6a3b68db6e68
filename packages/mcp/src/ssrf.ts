/**
 * The SSRF guard: a `fetch` that refuses to connect to loopback, private, link-local,
 * unique-local, CGNAT and cloud-metadata addresses unless the operator allowed private
 * networks (metadata, unspecified, multicast and reserved addresses are refused always).
 *
 * The check runs **at connect time**, inside the socket's own DNS lookup, on every address
 * the name resolves to: the address checked is the address connected to, so a name that
 * resolves to a public address for a pre-check and to 127.0.0.1 a moment later (DNS
 * rebinding) gains nothing. Redirects are followed here, one hop at a time, and each hop
 * connects through the same guard; `Authorization` is dropped when a redirect leaves the
 * origin, so an L402 credential never follows a redirect to another host.
 *
 * @module
 */
import { lookup as dnsLookup } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { ErrorCodes, FareboxError } from '@farebox/core';
import { classifyAddress, isIpLiteral, PRIVATE_CLASSES } from './ip.js';

/** Resolves a host name to its addresses (injectable for tests). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** A `fetch`-compatible function. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Guard options. */
export interface GuardOptions {
  /** Allow loopback, private (RFC 1918), link-local, unique-local and CGNAT addresses. Default false. */
  allowPrivateNetworks?: boolean;
  /** Private addresses allowed one by one (e.g. `['127.0.0.1']`), without opening every private network. */
  allowAddresses?: string[];
  /** Name resolution (default: the system resolver, `dns.lookup`, every address). */
  resolve?: ResolveHost;
  /** Most redirects to follow (default 5). */
  maxRedirects?: number;
  /** Milliseconds for a whole request, redirects included (default 30 000). */
  timeoutMs?: number;
  /** Called with each hop's `host` (redirects included) before connecting; throws to refuse. */
  checkHost?: (host: string) => void;
}

const systemResolve: ResolveHost = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))),
  );

/**
 * Throws HOST_NOT_ALLOWED unless `address` may be reached.
 *
 * @example
 * ```ts
 * import { checkAddress } from '@farebox/mcp';
 * checkAddress('93.184.216.34', { allowPrivateNetworks: false }); // ok
 * checkAddress('127.0.0.1', { allowPrivateNetworks: false }); // throws HOST_NOT_ALLOWED
 * ```
 */
export function checkAddress(
  address: string,
  opts: { allowPrivateNetworks?: boolean; allowAddresses?: string[]; host?: string },
): void {
  const kind = classifyAddress(address);
  if (kind === 'public') return;
  if (PRIVATE_CLASSES.has(kind)) {
    if (opts.allowPrivateNetworks) return;
    const bare = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (opts.allowAddresses?.some((a) => a.replace(/^\[(.*)\]$/, '$1').toLowerCase() === bare)) return;
  }
  const host = opts.host ?? address;
  const hint = PRIVATE_CLASSES.has(kind)
    ? ' (the operator can allow private networks with FAREBOX_ALLOW_PRIVATE_NETWORKS=1)'
    : '';
  throw new FareboxError(
    ErrorCodes.HOST_NOT_ALLOWED,
    `refused to connect to ${host}: it resolves to a ${kind} address${hint}`,
    { data: { host, reason: 'ssrf', addressClass: kind } },
  );
}

/** A socket lookup that checks every resolved address before the connection is made. */
function guardedLookup(
  resolve: ResolveHost,
  allow: { allowPrivateNetworks: boolean; allowAddresses?: string[] },
): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    resolve(hostname).then(
      (addrs) => {
        try {
          if (addrs.length === 0)
            throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
          for (const a of addrs) checkAddress(a.address, { ...allow, host: hostname });
        } catch (e) {
          callback(e);
          return;
        }
        if (options?.all) callback(null, addrs);
        else callback(null, addrs[0]!.address, addrs[0]!.family);
      },
      (e) => callback(e),
    );
  }) as LookupFunction;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Framing and connection headers are ours to set, never the caller's. */
const HOP_BY_HOP = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function decoded(res: IncomingMessage): Readable {
  switch ((res.headers['content-encoding'] ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(createGunzip());
    case 'deflate':
      return res.pipe(createInflate());
    case 'br':
      return res.pipe(createBrotliDecompress());
    default:
      return res;
  }
}

/** A guarded fetch, and `close()` to release its pooled connections. */
export type GuardedFetch = FetchFn & { close(): void };

/**
 * A `fetch` with the SSRF guard, on Node's `http`/`https` (so the connect-time check is ours).
 *
 * @example
 * ```ts
 * import { createGuardedFetch } from '@farebox/mcp';
 * const safeFetch = createGuardedFetch({ allowPrivateNetworks: false });
 * await safeFetch('http://169.254.169.254/latest/meta-data'); // rejects with HOST_NOT_ALLOWED
 * ```
 */
export function createGuardedFetch(opts: GuardOptions = {}): GuardedFetch {
  const allow = {
    allowPrivateNetworks: opts.allowPrivateNetworks === true,
    ...(opts.allowAddresses ? { allowAddresses: opts.allowAddresses } : {}),
  };
  const lookup = guardedLookup(opts.resolve ?? systemResolve, allow);
  const http = new HttpAgent({ keepAlive: true });
  const https = new HttpsAgent({ keepAlive: true });
  const maxRedirects = opts.maxRedirects ?? 5;

  const once = (
    url: URL,
    method: string,
    headers: Headers,
    body: Uint8Array | undefined,
    signal: AbortSignal,
  ): Promise<IncomingMessage> => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new FareboxError(
        ErrorCodes.HOST_NOT_ALLOWED,
        `refused the ${url.protocol} scheme (only http and https)`,
        {
          data: { reason: 'scheme', scheme: url.protocol },
        },
      );
    }
    opts.checkHost?.(url.host);
    // An IP literal is connected to without a lookup: check it here.
    if (isIpLiteral(url.hostname)) checkAddress(url.hostname, { ...allow, host: url.host });
    const h: Record<string, string> = {};
    headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k) && !k.startsWith('proxy-')) h[k] = v;
    });
    if (!h['accept-encoding']) h['accept-encoding'] = 'gzip, deflate, br';
    if (body) h['content-length'] = String(body.byteLength);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method,
        headers: h,
        agent: url.protocol === 'https:' ? https : http,
        lookup,
        signal,
      });
      req.once('response', resolve);
      req.once('error', (e) =>
        reject(
          e instanceof FareboxError
            ? e
            : signal.aborted
              ? signal.reason
              : new TypeError('fetch failed', { cause: e }),
        ),
      );
      req.end(body);
    });
  };

  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const first = new Request(input, init);
    const signals = [AbortSignal.timeout(opts.timeoutMs ?? 30_000), first.signal];
    const signal = AbortSignal.any(signals);
    let url = new URL(first.url);
    let method = first.method;
    const headers = new Headers(first.headers);
    let body = first.body ? new Uint8Array(await first.arrayBuffer()) : undefined;
    for (let hop = 0; ; hop++) {
      const res = await once(url, method, headers, body, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location && first.redirect !== 'manual') {
        res.resume();
        if (first.redirect === 'error') throw new TypeError('fetch failed: redirect refused');
        if (hop >= maxRedirects) throw new TypeError(`fetch failed: more than ${maxRedirects} redirects`);
        const next = new URL(location, url);
        if (next.origin !== url.origin) {
          headers.delete('authorization');
          headers.delete('cookie');
        }
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
          headers.delete('content-type');
        }
        url = next;
        continue;
      }
      const out = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        out.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      if (
        out.has('content-encoding') &&
        /^(?:x-gzip|gzip|deflate|br)$/i.test(out.get('content-encoding')!.trim())
      ) {
        out.delete('content-encoding');
        out.delete('content-length');
      }
      const empty = NULL_BODY.has(status) || method === 'HEAD';
      if (empty) res.resume();
      const response = new Response(
        empty ? null : (Readable.toWeb(decoded(res)) as unknown as ReadableStream<Uint8Array>),
        { status, statusText: res.statusMessage ?? '', headers: out },
      );
      Object.defineProperty(response, 'url', { value: url.href });
      return response;
    }
  };
  return Object.assign(guarded, {
    close: () => {
      http.destroy();
      https.destroy();
    },
  });
}
