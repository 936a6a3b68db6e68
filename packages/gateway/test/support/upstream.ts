/**
 * A real upstream for the gateway tests: a node:http server (with a `ws` WebSocket server on
 * the same port) that records what reaches it and answers a few paths:
 *
 * - `/echo…` (any other path too): JSON of the method, URL, headers and body size it saw;
 * - `/hold/<id>`: answers only when the test calls `release(id)` (slow requests, timeouts);
 * - `/sse`: sends one Server-Sent Event at once, the second after `release('sse')`;
 * - `/download?mb=N`: N MiB generated chunk by chunk (constant memory on this side);
 * - uploads to any other path: the body's bytes are counted, not kept (`bodyBytes`);
 * - `/status/<code>`: answers with that status;
 * - WebSocket upgrades on any path: echoes each message back prefixed with `echo:`.
 *
 * `stop()` closes the port (the "upstream down" case) and `start()` opens it again on the
 * same port.
 *
 * @module
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** One request as the upstream saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  bodyBytes: number;
}

/** A running test upstream. */
export interface Upstream {
  url: string;
  port: number;
  seen: SeenRequest[];
  /** Resolves once a request for `/hold/<id>` (or `/sse`, id `sse`) has arrived. */
  arrived(id: string): Promise<void>;
  /** Lets held requests (`/hold/<id>`, `/sse`) answer, now and from now on. */
  release(id: string): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/**
 * Starts an upstream on a loopback port (`port` 0: any free one).
 *
 * @example
 * ```ts
 * const up = await startUpstream();
 * await fetch(`${up.url}/echo`);
 * await up.stop();
 * ```
 */
export async function startUpstream(port = 0): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  // A held id answers once released; released ids answer at once from then on.
  const released = new Set<string>();
  const waiters = new Map<string, (() => void)[]>();
  const arrivals = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const arrival = (id: string) => {
    let a = arrivals.get(id);
    if (!a) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      a = { promise, resolve };
      arrivals.set(id, a);
    }
    return a;
  };
  const hold = (id: string): Promise<void> => {
    arrival(id).resolve();
    if (released.has(id)) return Promise.resolve();
    return new Promise((r) => waiters.set(id, [...(waiters.get(id) ?? []), r]));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, bodyBytes: number) => {
    const u = new URL(req.url ?? '/', 'http://upstream');
    const path = u.pathname;
    if (path.startsWith('/hold/')) {
      const id = path.slice('/hold/'.length);
      await hold(id);
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ held: id, released: true }));
    }
    if (path === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      await hold('sse');
      res.write('data: second\n\n');
      return res.end();
    }
    if (path === '/download') {
      const total = Number(u.searchParams.get('mb') ?? '1') * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(CHUNK.length, total - sent);
          sent += n;
          if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      return pump();
    }
    if (path.startsWith('/status/')) {
      res.statusCode = Number(path.slice('/status/'.length));
      return res.end(JSON.stringify({ status: res.statusCode }));
    }
    res.setHeader('content-type', 'application/json');
    // Hop-by-hop headers the gateway must drop on the way back.
    res.setHeader('connection', 'keep-alive, x-upstream-private');
    res.setHeader('x-upstream-private', 'hop');
    res.setHeader('keep-alive', 'timeout=5');
    res.setHeader('x-upstream', 'yes');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyBytes }));
  };

  const server = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyBytes,
      });
      void handle(req, res, bodyBytes);
    });
  });
  server.keepAliveTimeout = 1000;
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    seen.push({
      method: 'WS',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
    });
    ws.send(`hello ${req.url}`);
    ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
  });

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const actual = await listen(port);
  const up: Upstream = {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    seen,
    arrived: (id) => arrival(id).promise,
    release: (id) => {
      released.add(id);
      for (const w of waiters.get(id) ?? []) w();
      waiters.delete(id);
    },
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    start: async () => {
      await listen(actual);
    },
  };
  return up;
}
