/**
 * Forwarding a paid (or free) request upstream and the answer back, streaming both ways.
 * Hop-by-hop headers are dropped (RFC 9110 §7.6.1), `X-Forwarded-*` set, the client's
 * credential withheld unless the service asks for it; upstream failures become 502/504 so
 * the paywall releases the token.
 *
 * @module
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { ServiceRuntime } from './runtime.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256 });

/** Headers without hop-by-hop ones (and those the Connection header names). */
export function endToEnd(
  headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders,
  keepUpgrade = false,
): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    // HTTP/2 pseudo-headers (`:path`, `:authority`, …) are not headers to forward.
    if (v === undefined || k.startsWith(':')) continue;
    const lk = k.toLowerCase();
    if (!keepUpgrade && (HOP_BY_HOP.has(lk) || named.has(lk))) continue;
    if (keepUpgrade && (lk === 'proxy-authorization' || lk === 'proxy-connection' || lk === 'keep-alive'))
      continue;
    out[lk] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

/** The upstream path for a request path (rewrite applied). */
export function upstreamPath(svc: ServiceRuntime, path: string, search: string): string {
  let p = path;
  const rw = svc.config.rewrite;
  if (rw?.stripPrefix && p.startsWith(rw.stripPrefix)) p = p.slice(rw.stripPrefix.length) || '/';
  if (rw?.from) p = p.replace(new RegExp(rw.from), rw.to ?? '');
  if (!p.startsWith('/')) p = `/${p}`;
  const base = svc.upstream.pathname.replace(/\/$/, '');
  return `${base}${p}${search}`;
}

/** Request headers for upstream. */
export function upstreamHeaders(
  svc: ServiceRuntime,
  req: IncomingMessage,
  ctx: { requestId: string; clientIp: string | undefined; proto: string },
  keepUpgrade = false,
): Record<string, string | string[]> {
  const h = endToEnd(req.headers, keepUpgrade);
  if (!svc.config.forwardCredential) delete h.authorization;
  const prior = req.headers['x-forwarded-for'];
  h['x-forwarded-for'] = [prior, ctx.clientIp].filter(Boolean).join(', ');
  h['x-forwarded-proto'] = ctx.proto;
  const host = req.headers.host ?? req.headers[':authority'];
  if (typeof host === 'string') h['x-forwarded-host'] = host;
  h['x-request-id'] = ctx.requestId;
  h.host = svc.upstream.host;
  for (const [k, v] of Object.entries(svc.headers)) h[k.toLowerCase()] = v;
  return h;
}

/** Outcome of one proxied request. */
export interface ProxyResult {
  status: number;
  /** Seconds until upstream answered with headers (undefined when it did not). */
  upstreamSeconds?: number;
  error?: 'unreachable' | 'timeout' | 'reset';
}

/**
 * Proxies `req` (or `body` when the paywall already read it) to the service and streams the
 * answer into `res`. Resolves when the answer is finished (or failed).
 */
export function proxyRequest(
  svc: ServiceRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: {
    requestId: string;
    clientIp: string | undefined;
    proto: string;
    path: string;
    search: string;
    body?: Uint8Array;
  },
): Promise<ProxyResult> {
  const u = svc.upstream;
  const secure = u.protocol === 'https:';
  const timeoutMs = (svc.config.timeoutSeconds ?? 300) * 1000;
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProxyResult) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    const headers = upstreamHeaders(svc, req, ctx);
    if (ctx.body) {
      headers['content-length'] = String(ctx.body.length);
      delete headers['transfer-encoding'];
    }
    const up = (secure ? https : http).request({
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port || (secure ? 443 : 80),
      method: req.method,
      path: upstreamPath(svc, ctx.path, ctx.search),
      headers,
      agent: secure ? httpsAgent : httpAgent,
      timeout: timeoutMs,
    });
    const fail = (status: 502 | 504, error: ProxyResult['error'], message: string) => {
      if (!res.headersSent) {
        const body = JSON.stringify({
          error: { code: status === 504 ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE', message },
        });
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': ctx.requestId,
        });
        res.end(body);
      } else {
        res.destroy();
      }
      finish({ status, ...(error ? { error } : {}) });
    };
    up.on('timeout', () => {
      up.destroy(new Error('upstream timeout'));
      fail(
        504,
        'timeout',
        `the upstream service did not answer within ${svc.config.timeoutSeconds ?? 300} s; you were not charged`,
      );
    });
    up.on('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      fail(
        502,
        'unreachable',
        `the upstream service is unavailable (${e.code ?? 'error'}); you were not charged`,
      );
    });
    up.on('response', (ur) => {
      const upstreamSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const h = endToEnd(ur.headers);
      h['x-request-id'] = ctx.requestId;
      // HTTP/2 has no reason phrase (RFC 9113 §8.3.2): pass the upstream's only over HTTP/1.x.
      if (req.httpVersionMajor >= 2 || !ur.statusMessage) res.writeHead(ur.statusCode ?? 502, h);
      else res.writeHead(ur.statusCode ?? 502, ur.statusMessage, h);
      // Streams (SSE, chunked without a length) get their head at once; others go out with the
      // first body chunk, one write instead of two.
      const type = String(ur.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream') || ur.headers['content-length'] === undefined)
        res.flushHeaders();
      ur.pipe(res);
      ur.on('error', () => {
        res.destroy();
        finish({ status: ur.statusCode ?? 502, upstreamSeconds, error: 'reset' });
      });
      res.on('close', () => {
        if (!ur.complete) ur.destroy();
        finish({ status: ur.statusCode ?? 502, upstreamSeconds });
      });
    });
    res.on('close', () => {
      if (!res.writableFinished && !up.destroyed) up.destroy();
    });
    if (ctx.body) up.end(ctx.body);
    else if (req.method === 'GET' || req.method === 'HEAD') up.end();
    else req.pipe(up);
  });
}

/**
 * Proxies a WebSocket (or other) upgrade after payment: opens a TCP/TLS connection upstream,
 * replays the request head, and pipes both sockets. Resolves with the upstream status.
 */
export async function proxyUpgrade(
  svc: ServiceRuntime,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  ctx: { requestId: string; clientIp: string | undefined; proto: string; path: string; search: string },
): Promise<number> {
  const u = svc.upstream;
  const secure = u.protocol === 'https:';
  return new Promise((resolve) => {
    const up = (secure ? https : http).request({
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port || (secure ? 443 : 80),
      method: req.method,
      path: upstreamPath(svc, ctx.path, ctx.search),
      headers: upstreamHeaders(svc, req, ctx, true),
      agent: false,
      timeout: (svc.config.timeoutSeconds ?? 300) * 1000,
    });
    up.on('upgrade', (ur, upSocket, upHead) => {
      const lines = [`HTTP/1.1 ${ur.statusCode ?? 101} ${ur.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < ur.rawHeaders.length; i += 2)
        lines.push(`${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
      const close = () => {
        upSocket.destroy();
        socket.destroy();
      };
      upSocket.on('error', close);
      socket.on('error', close);
      upSocket.on('close', close);
      socket.on('close', close);
      resolve(ur.statusCode ?? 101);
    });
    up.on('response', (ur) => {
      // Upstream refused the upgrade: pass its answer on.
      const lines = [`HTTP/1.1 ${ur.statusCode} ${ur.statusMessage ?? ''}`];
      for (let i = 0; i < ur.rawHeaders.length; i += 2)
        lines.push(`${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      ur.pipe(socket);
      resolve(ur.statusCode ?? 502);
    });
    const fail = (status: number) => {
      socket.end(
        `HTTP/1.1 ${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      resolve(status);
    };
    up.on('timeout', () => {
      up.destroy();
      fail(504);
    });
    up.on('error', () => fail(502));
    up.end();
  });
}
