/**
 * A `fetch` over `node:https` that trusts one self-signed certificate (lnd's `tls.cert`),
 * which the global `fetch` of Node 20 cannot do without a dispatcher from `undici`.
 * Bodies stream (lnd's NDJSON endpoints), with backpressure; connections are kept alive
 * and released by `close()`.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import type { FetchLike } from '../http.js';

/** Options of {@link createTlsFetch}. */
export interface TlsFetchOptions {
  /** PEM certificate(s) to trust instead of the system roots (lnd's `tls.cert`). */
  ca?: string;
  /** Sockets per host (default 16). */
  maxSockets?: number;
}

/** A `fetch` with its own connection pool. */
export interface TlsFetch {
  fetch: FetchLike;
  /** Closes idle and open connections. */
  close(): void;
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('tls fetch: only string and Uint8Array bodies are supported');
}

/** Node's response as a Web stream, pausing the socket while the reader is behind. */
function webBody(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        res.on('data', (chunk: Buffer) => {
          if (finished) return;
          c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((c.desiredSize ?? 1) <= 0) res.pause();
        });
        res.on('end', () => {
          if (finished) return;
          finished = true;
          c.close();
        });
        res.on('error', (e) => {
          if (finished) return;
          finished = true;
          c.error(e);
        });
        res.on('close', () => {
          if (finished) return;
          finished = true;
          c.error(
            Object.assign(new Error('connection closed before the body ended'), { code: 'ECONNRESET' }),
          );
        });
      },
      pull() {
        res.resume();
      },
      cancel() {
        finished = true;
        res.destroy();
      },
    },
    { highWaterMark: 16 },
  );
}

/**
 * A `fetch` that trusts `ca` (lnd's self-signed certificate). `http:` URLs go over plain
 * HTTP. Failures reject like the global `fetch`: a `TypeError` whose `cause` has the code.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createTlsFetch } from '@farebox/lightning/node';
 * const { fetch, close } = createTlsFetch({ ca: readFileSync('/lnd/tls.cert', 'utf8') });
 * const res = await fetch('https://127.0.0.1:8080/v1/state');
 * console.log(await res.json());
 * close();
 * ```
 */
export function createTlsFetch(opts: TlsFetchOptions = {}): TlsFetch {
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 16 };
  const tlsAgent = new https.Agent(opts.ca ? { ...agentOpts, ca: opts.ca } : agentOpts);
  const plainAgent = new http.Agent(agentOpts);
  const fetch: FetchLike = (input, init) =>
    new Promise<Response>((resolve, reject) => {
      let url: URL;
      let body: string | Uint8Array | undefined;
      try {
        url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
        if (url.protocol !== 'https:' && url.protocol !== 'http:')
          throw new TypeError(`unsupported ${url.protocol}`);
        body = bodyOf(init?.body);
      } catch (e) {
        reject(e);
        return;
      }
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const method = (init?.method ?? 'GET').toUpperCase();
      const headers = headersOf(init);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const lib = url.protocol === 'https:' ? https : http;
      const agent = url.protocol === 'https:' ? tlsAgent : plainAgent;
      const send = (retry: boolean) => {
        let res: http.IncomingMessage | undefined;
        const onAbort = () =>
          req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        const req = lib.request(url, { method, headers, agent }, (r) => {
          res = r;
          r.on('close', () => signal?.removeEventListener('abort', onAbort));
          const status = r.statusCode ?? 0;
          const h = new Headers();
          for (const [k, v] of Object.entries(r.headers)) {
            if (Array.isArray(v)) for (const x of v) h.append(k, x);
            else if (v !== undefined) h.set(k, v);
          }
          const empty = method === 'HEAD' || status === 204 || status === 205 || status === 304;
          try {
            resolve(
              new Response(empty ? null : webBody(r), {
                status,
                statusText: r.statusMessage ?? '',
                headers: h,
              }),
            );
          } catch (e) {
            r.destroy();
            reject(new TypeError('fetch failed', { cause: e }));
          }
        });
        req.on('error', (e) => {
          signal?.removeEventListener('abort', onAbort);
          // After the response the body stream reports the error.
          if (res) return;
          if (signal?.aborted) return reject(signal.reason);
          // A kept-alive socket the server closed as we reused it: the request never
          // reached the server, so sending it once more on a fresh socket is safe.
          const code = (e as { code?: string }).code;
          if (retry && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) return send(false);
          reject(new TypeError('fetch failed', { cause: e }));
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        req.end(body);
      };
      send(true);
    });
  return {
    fetch,
    close() {
      tlsAgent.destroy();
      plainAgent.destroy();
    },
  };
}
