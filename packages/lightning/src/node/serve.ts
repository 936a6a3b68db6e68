/**
 * Serving a Web Standards handler on Node's `http` server (for the dev node endpoint).
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** Bridges `(Request) => Promise<Response>` to a Node request listener. */
export function toNodeListener(handler: (req: Request) => Promise<Response>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const ctrl = new AbortController();
    res.on('close', () => ctrl.abort());
    try {
      const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v !== undefined) headers.set(k, v);
      }
      const init: RequestInit & { duplex?: 'half' } = {
        method: req.method ?? 'GET',
        headers,
        signal: ctrl.signal,
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        init.body = Readable.toWeb(req) as unknown as ReadableStream;
        init.duplex = 'half';
      }
      const response = await handler(new Request(url, init));
      res.statusCode = response.status;
      response.headers.forEach((v, k) => {
        res.appendHeader(k, v);
      });
      if (!response.body) return res.end();
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(res);
    } catch {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    }
  };
}

/** Listens on `host:port` (port 0 = any free port); resolves with the server and its URL. */
export async function listen(
  handler: (req: Request) => Promise<Response>,
  opts: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(toNodeListener(handler));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
