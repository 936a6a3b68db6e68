/**
 * The services app on `node:http`, through the paywall's own Node bridge.
 *
 * Timeouts: a paid request may be held open for as long as its generation takes (the seeds
 * promise up to 5 minutes). Node's `requestTimeout` only bounds *receiving* the request (a
 * slow upload), `headersTimeout` the headers; neither cuts a response that is being
 * prepared, and the socket idle timeout is off. So the only limit on a held request is the
 * generation timeout; a client gives up on its own terms (Node's `fetch` waits 300 s for
 * headers by default) and can always reconnect with the same token, or use
 * `Prefer: respond-async`.
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toRequest, writeResponse } from '@farebox/server/node';
import type { ServicesApp } from './app.js';

/**
 * Serves the app.
 *
 * @example
 * ```ts
 * import { serveServices } from '@farebox/services';
 * const { url, close } = await serveServices(app, { port: 8402 });
 * ```
 */
export async function serveServices(
  app: ServicesApp,
  opts: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    // No per-request AbortSignal: nothing here stops for a client that left (its generation
    // goes on, for its retry), and a signal per request costs garbage collection on Node 20.
    const ip = req.socket.remoteAddress;
    const response = await app.fetch(toRequest(req), ip ? { ip } : {});
    // A client that left while its generation ran gets nothing written (its job is kept).
    if (res.destroyed) await response.body?.cancel().catch(() => {});
    else await writeResponse(res, response);
  });
  // Uploads (a data URI of several MB) must arrive within 2 minutes; answers may take longer.
  server.requestTimeout = 120_000;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  server.timeout = 0;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Held requests are answered (their jobs fail and release their tokens); connections
      // close as they go idle, and whatever is left after 5 s is cut.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), 5000);
      server.closeIdleConnections();
      await app.close();
      await closed;
      clearInterval(sweep);
      clearTimeout(cut);
    },
  };
}
