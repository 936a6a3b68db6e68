/**
 * The Node bridge: Node's `http` request ↔ Web Standards `Request`/`Response`, shared by every
 * Node framework adapter, and `serve()` for a plain `node:http` server.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Paywall } from '../engine.js';
import type { Receipt } from '../types.js';

/** Converts a Node request to a `Request` (the body streams; nothing is buffered here). */
export function toRequest(req: IncomingMessage, signal?: AbortSignal): Request {
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const url = `${proto}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!;
    if (k.startsWith(':')) continue;
    headers.append(k, req.rawHeaders[i + 1]!);
  }
  const init: RequestInit & { duplex?: 'half' } = { method: req.method ?? 'GET', headers };
  if (signal) init.signal = signal;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = lazyBody(req).stream;
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/** How much of a refused body is read and dropped before the connection is cut. */
const DISCARD_MAX_BYTES = 8 * 1024 * 1024;

/**
 * A web stream over a Node request that reads nothing until it is pulled, so a body the
 * paywall does not need can still be piped elsewhere untouched (`used()` tells whether it was).
 */
export function lazyBody(req: IncomingMessage): { stream: ReadableStream<Uint8Array>; used: () => boolean } {
  let used = false;
  // Once the reader cancels (or the stream ended), nothing more goes to the controller.
  let finished = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(ctrl) {
        if (!used) {
          used = true;
          req.on('data', (c: Buffer) => {
            if (finished) return;
            ctrl.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
            if ((ctrl.desiredSize ?? 1) <= 0) req.pause();
          });
          req.on('end', () => {
            if (finished) return;
            finished = true;
            ctrl.close();
          });
          req.on('error', (e) => {
            if (finished) return;
            finished = true;
            ctrl.error(e);
          });
        }
        req.resume();
      },
      cancel() {
        finished = true;
        // The reader stopped (a body over the cap): drop the rest as it arrives, so the
        // answer (413) still reaches the client, but never more than DISCARD_MAX_BYTES.
        let dropped = 0;
        req.on('data', (c: Buffer) => {
          dropped += c.length;
          if (dropped > DISCARD_MAX_BYTES) req.destroy();
        });
        req.resume();
      },
      // highWaterMark 0: nothing is pulled (so nothing read) until a reader asks.
    },
    { highWaterMark: 0 },
  );
  return { stream, used: () => used };
}

/** Writes a `Response` to a Node response, streaming the body. */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  // HTTP/2 has no reason phrase: set it only over HTTP/1.x.
  if (response.statusText && !(res.req?.httpVersionMajor >= 2)) res.statusMessage = response.statusText;
  const setCookies = response.headers.getSetCookie?.() ?? [];
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') res.appendHeader(k, v);
  });
  if (setCookies.length) res.setHeader('set-cookie', setCookies);
  if (!response.body) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const body = Readable.fromWeb(response.body as unknown as NodeReadableStream);
    body.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', resolve);
    body.pipe(res);
  });
}

/** A web handler with the paywall's payment info. */
export type WebHandler = (
  req: Request,
  info: { receipt?: Receipt; free?: boolean },
) => Response | Promise<Response>;

/**
 * A `node:http` request listener running `handler` behind the paywall.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toNodeListener } from '@farebox/server/node';
 * createServer(toNodeListener(paywall, async () => Response.json({ joke: '…' }))).listen(8080);
 * ```
 */
export function toNodeListener(paywall: Paywall, handler: WebHandler) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // No AbortSignal per request: Node 20's Request registers every signal with the garbage
    // collector, which under load costs more than the whole paywall. Handlers that must stop
    // on a client disconnect can listen to the socket themselves.
    let response: Response;
    try {
      response = await paywall.handle(toRequest(req), handler, { ip: req.socket.remoteAddress });
    } catch {
      response = Response.json({ error: { code: 'INTERNAL', message: 'internal error' } }, { status: 500 });
    }
    await writeResponse(res, response);
  };
}

/**
 * Starts a `node:http` server with the paywall in front of `handler`.
 *
 * @example
 * ```ts
 * import { serve } from '@farebox/server/node';
 * const { url, close } = await serve(paywall, async () => new Response('paid content'), { port: 8080 });
 * ```
 */
export async function serve(
  paywall: Paywall,
  handler: WebHandler,
  opts: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(toNodeListener(paywall, handler));
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
