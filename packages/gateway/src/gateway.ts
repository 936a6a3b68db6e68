/**
 * The gateway: a reverse proxy that sells upstream services per request. One paywall
 * decides; this module serves HTTP(S), proxies, and runs operations (health, metrics, logs,
 * admin, reload, graceful shutdown).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '@farebox/core';
import { DEV_NODE_NOTICE, redactConnection } from '@farebox/lightning';
import type { Decision, PaywallEvents } from '@farebox/server';
import { lazyBody } from '@farebox/server/node';
import type { GatewayConfig } from './config.js';
import { Ledger } from './ledger.js';
import { GatewayMetrics } from './metrics.js';
import { proxyRequest, proxyUpgrade } from './proxy.js';
import { buildRuntime, openShared, type Runtime, type Shared, sqliteDatabaseOf } from './runtime.js';
import { resolveSecret } from './secrets.js';

/** Structured log lines (JSON objects). */
export interface Logger {
  info(o: Record<string, unknown>): void;
  warn(o: Record<string, unknown>): void;
  error(o: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Options for {@link startGateway}. */
export interface GatewayOptions {
  config: GatewayConfig;
  /** Environment for `{env: NAME}` secrets. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Directory for relative SQLite paths and the dev secret (default: the working directory). */
  baseDir?: string;
  /** Production mode: the dev node refuses to start (default: `NODE_ENV === 'production'`). */
  production?: boolean;
  allowDevInProduction?: boolean;
  /**
   * Extra request handler for `/admin*` (the admin API and dashboard plug in here: see
   * `createAdminHandler`). Called only when `admin.enabled` is set in the configuration.
   */
  admin?: (req: Request, gw: Gateway, info: AdminRequestInfo) => Promise<Response | undefined>;
}

/** What the gateway tells the admin hook about one request, beside the request itself. */
export interface AdminRequestInfo {
  /** The peer's socket address (never a forwarded header, whatever `trustProxy` says). */
  clientIp: string | undefined;
  /** The configured `admin.token`, resolved from its source (undefined when none is set). */
  token: string | undefined;
  /**
   * True when the request came in on the dedicated admin listener (`admin.listen`) and that
   * listener is bound to a non-loopback address: the operator opened it to the network on
   * purpose. On the main listener admin stays loopback-only.
   */
  remoteAllowed: boolean;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port: Number(listen.slice(i + 1)) };
}

function toWebRequest(req: IncomingMessage, proto: string, body?: ReadableStream<Uint8Array>): Request {
  // Pairs, not a Headers object: the Request fills its own headers once, with no copy.
  const headers: [string, string][] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!raw[i]!.startsWith(':')) headers.push([raw[i]!, raw[i + 1]!]);
  const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost';
  const init: RequestInit & { duplex?: 'half' } = { method: req.method ?? 'GET', headers };
  if (body && req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = body;
    init.duplex = 'half';
  }
  return new Request(`${proto}://${host}${req.url ?? '/'}`, init);
}

async function writeWeb(res: ServerResponse, r: Response, requestId: string): Promise<void> {
  const headers: Record<string, string | string[]> = { 'x-request-id': requestId };
  r.headers.forEach((v, k) => {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  });
  // Headers joins repeated WWW-Authenticate values with ", ": send them as separate lines.
  const www = r.headers.get('www-authenticate');
  if (www) headers['www-authenticate'] = www.split(/, (?=(?:L402|LSAT) )/);
  const body = r.body ? Buffer.from(await r.arrayBuffer()) : undefined;
  if (body) headers['content-length'] = String(body.length);
  res.writeHead(r.status, headers);
  res.end(body);
}

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** Sends a cleartext connection to the HTTP/2 server if it opens with the h2 preface, else to HTTP/1.1. */
function sniffPreface(socket: Socket, h1: http.Server, h2: http2.Http2Server): void {
  let buf = Buffer.alloc(0);
  const onReadable = () => {
    for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null)
      buf = Buffer.concat([buf, c]);
    const start = buf.toString('latin1', 0, H2_PREFACE.length);
    if (buf.length < H2_PREFACE.length && H2_PREFACE.startsWith(start) && !socket.readableEnded) return;
    socket.off('readable', onReadable);
    socket.unshift(buf);
    (start === H2_PREFACE ? h2 : h1).emit('connection', socket);
  };
  socket.on('readable', onReadable);
  socket.on('error', () => socket.destroy());
}

async function errorCode(r: Response): Promise<string | undefined> {
  try {
    const code = ((await r.json()) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

const ID_PREFIX = randomBytes(4).toString('hex');
let idCounter = 0;

function requestIdOf(req: IncomingMessage): string {
  const v = req.headers['x-request-id'];
  if (typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v)) return v;
  idCounter = (idCounter + 1) % 0x100000000;
  return `${ID_PREFIX}${idCounter.toString(16).padStart(8, '0')}`;
}

/** A running gateway. */
export class Gateway {
  readonly metrics = new GatewayMetrics();
  readonly ledger = new Ledger();
  readonly logger: Logger;
  url = '';
  metricsUrl: string | undefined;
  /** The dedicated admin listener's base URL (`admin.listen`), when there is one. */
  adminUrl: string | undefined;
  /** When {@link start} was called (ms since the epoch). */
  startedAt = 0;
  #adminToken: string | undefined;
  #rt!: Runtime;
  #shared!: Shared;
  #servers: Server[] = [];
  #active = 0;
  #ready: { ok: boolean; at: number } = { ok: false, at: 0 };
  readonly #opts: GatewayOptions;

  constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.logger = opts.logger ?? silentLogger;
  }

  /** The current runtime (paywall, services, config). */
  get runtime(): Runtime {
    return this.#rt;
  }

  get shared(): Shared {
    return this.#shared;
  }

  #events(): PaywallEvents {
    const svcOf = (routeKey: string) =>
      this.#rt.paywall.routes.find((r) => r.key === routeKey)?.service ?? 'unknown';
    return {
      challenge: (e) => this.metrics.challenges.inc({ service: svcOf(e.route) }),
      paid: (e) => this.metrics.payments.inc({ service: e.receipt.service }),
      served: (e) => {
        if (e.receipt) {
          this.ledger.record(e.receipt);
          if (e.receipt.use === 1)
            this.metrics.satsEarned.inc({ service: e.receipt.service }, Number(e.receipt.amountMsat) / 1000);
        }
      },
      refused: (e) => this.metrics.refused.inc({ service: svcOf(e.route), reason: e.code }),
    };
  }

  async #build(config: GatewayConfig): Promise<void> {
    const baseDir = this.#opts.baseDir ?? process.cwd();
    const production = this.#opts.production ?? process.env.NODE_ENV === 'production';
    const shared = await openShared(
      config,
      { baseDir, production, ...(this.#opts.allowDevInProduction ? { allowDevInProduction: true } : {}) },
      this.#shared,
    );
    const { runtime, secretCreated } = await buildRuntime(config, shared, {
      env: this.#opts.env ?? process.env,
      baseDir,
      events: this.#events(),
    });
    if (secretCreated)
      this.logger.warn({ msg: 'created a server secret for the dev setup', path: secretCreated });
    // Resolved before anything is swapped, so a reload with an unreadable token keeps the old one.
    const adminToken =
      config.admin?.enabled && config.admin.token
        ? await resolveSecret(config.admin.token, this.#opts.env ?? process.env, 'admin.token')
        : undefined;
    this.#adminToken = adminToken;
    const old = this.#shared;
    this.#shared = shared;
    this.#rt = runtime;
    if (!old || old.store !== shared.store) {
      // The ledger lives in a SQLite store's file: flush it to the old one before that is
      // closed; a new SQLite store brings its own ledger, any other store keeps memory's.
      this.ledger.detach();
      const db = sqliteDatabaseOf(shared.store);
      try {
        if (db)
          this.ledger.attach(db, {
            onError: (e) => this.logger.error({ msg: 'ledger write failed', error: e.message }),
          });
      } catch (e) {
        this.logger.error({ msg: 'ledger kept in memory only', error: (e as Error).message });
      }
    }
    if (old && old.store !== shared.store) await old.store.close?.();
    if (old && old.backend !== shared.backend)
      await (old.backend as { close?: () => Promise<void> }).close?.();
  }

  /** Starts listening. */
  async start(): Promise<this> {
    const config = this.#opts.config;
    this.startedAt = Date.now();
    await this.#build(config);
    const { host, port } = parseListen(config.listen);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    let server: Server;
    if (config.tls) {
      const [cert, key] = await Promise.all([readFile(config.tls.cert), readFile(config.tls.key)]);
      server = https.createServer({ cert, key }, handler) as unknown as Server;
    } else if (config.h2c) {
      // A cleartext HTTP/2 server speaks only HTTP/2 (`allowHTTP1` is for TLS servers): one
      // port for both means reading the connection preface and handing the socket over.
      const h1 = http.createServer(handler);
      const h2 = http2.createServer(handler as never);
      server = net.createServer((socket) => sniffPreface(socket, h1, h2)) as unknown as Server;
      this.#servers.push(h1);
      h1.keepAliveTimeout = 65_000;
      h1.headersTimeout = 66_000;
      h1.requestTimeout = 0;
      h1.on(
        'upgrade',
        (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head),
      );
    } else {
      server = http.createServer(handler);
    }
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0; // long jobs: upstream timeouts apply per service
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#servers.push(server);
    const addr = server.address() as AddressInfo;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.url = `${config.tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${addr.port}`;
    if (config.metrics?.listen) {
      const m = parseListen(config.metrics.listen);
      const ms = http.createServer((req, res) => {
        if (req.url === '/metrics') void this.#metricsResponse(res);
        else {
          res.statusCode = 404;
          res.end();
        }
      });
      await new Promise<void>((resolve) => ms.listen(m.port, m.host, () => resolve()));
      this.#servers.push(ms);
      this.metricsUrl = `http://${m.host}:${(ms.address() as AddressInfo).port}/metrics`;
    }
    if (config.admin?.enabled && config.admin.listen && this.#opts.admin) {
      // A separate plain-HTTP listener that serves only /admin* (keep it on loopback, or
      // behind a firewall): the public port then has no admin surface at all.
      const a = parseListen(config.admin.listen);
      const remoteAllowed = !isLoopbackHost(a.host);
      const as = http.createServer(
        (req, res) => void this.#admin(req, res, { proto: 'http', remoteAllowed, dedicated: true }),
      );
      await new Promise<void>((resolve, reject) => {
        as.once('error', reject);
        as.listen(a.port, a.host, () => resolve());
      });
      this.#servers.push(as);
      const shownA = a.host === '0.0.0.0' || a.host === '::' ? '127.0.0.1' : a.host;
      this.adminUrl = `http://${shownA.includes(':') ? `[${shownA}]` : shownA}:${(as.address() as AddressInfo).port}/admin`;
    }
    this.logger.info({
      msg: 'gateway listening',
      url: this.url,
      backend: redactConnection(config.backend),
      store: config.store.replace(/\/\/[^@]*@/, '//***@'),
      services: config.services.map((s) => s.name),
      ...(this.adminUrl ? { admin: this.adminUrl } : {}),
      ...(this.#shared.dev ? { notice: DEV_NODE_NOTICE } : {}),
    });
    return this;
  }

  /** Swaps in a new configuration; connections and in-flight requests are kept. */
  async reload(config: GatewayConfig): Promise<void> {
    await this.#build(config);
    this.logger.info({ msg: 'configuration reloaded', services: config.services.map((s) => s.name) });
  }

  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes. */
  async stop(graceMs = 10_000): Promise<void> {
    for (const s of this.#servers) s.close();
    const until = Date.now() + graceMs;
    while (this.#active > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const s of this.#servers) (s as http.Server).closeAllConnections?.();
    this.ledger.close(); // token use counts not yet written, before the store's file closes
    await this.#shared?.store.close?.();
    await (this.#shared?.backend as { close?: () => Promise<void> } | undefined)?.close?.();
    this.logger.info({ msg: 'gateway stopped' });
  }

  async #metricsResponse(res: ServerResponse): Promise<void> {
    await this.#checkBackend();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(this.metrics.render());
  }

  /**
   * Serves `/admin*` through the admin hook; `undefined` when the hook declined. On the
   * dedicated listener everything else is a 404 (and `/` leads to the dashboard).
   */
  async #admin(
    req: IncomingMessage,
    res: ServerResponse,
    o: { proto: string; remoteAllowed: boolean; dedicated?: boolean; requestId?: string },
  ): Promise<number | undefined> {
    const { proto, remoteAllowed, dedicated = false } = o;
    const requestId = o.requestId ?? requestIdOf(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      // A reload may turn admin off: the dedicated listener then answers 404 like any path.
      if ((path === '/admin' || path.startsWith('/admin/')) && this.#rt.config.admin?.enabled) {
        const r = await this.#opts.admin!(toWebRequest(req, proto, lazyBody(req).stream), this, {
          clientIp: req.socket.remoteAddress,
          token: this.#adminToken,
          remoteAllowed,
        });
        if (r) {
          await writeWeb(res, r, requestId);
          return r.status;
        }
      }
      if (!dedicated) return undefined;
      const r =
        path === '/'
          ? new Response(null, { status: 302, headers: { location: '/admin' } })
          : Response.json({ error: { code: 'NOT_FOUND', message: 'not found' } }, { status: 404 });
      await writeWeb(res, r, requestId);
      return r.status;
    } catch (e) {
      this.logger.error({ msg: 'admin request failed', requestId, error: (e as Error).message });
      if (!res.headersSent)
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"error":{"code":"INTERNAL","message":"internal error"}}');
      else res.destroy();
      return 500;
    }
  }

  async #checkBackend(): Promise<boolean> {
    if (Date.now() - this.#ready.at < 5000) return this.#ready.ok;
    let ok = false;
    try {
      await this.#shared.backend.getInfo({ timeoutMs: 3000 });
      ok = true;
    } catch {
      ok = false;
    }
    this.#ready = { ok, at: Date.now() };
    this.metrics.backendUp.set({ backend: this.#shared.backend.backend }, ok ? 1 : 0);
    return ok;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    const rt = this.#rt;
    const proto = this.#opts.config.tls ? 'https' : 'http';
    const url = new URL(req.url ?? '/', 'http://x');
    const clientIp = req.socket.remoteAddress;
    this.#active++;
    this.metrics.inFlight.set({}, this.#active);
    let status = 0;
    let service: string | undefined;
    let outcome = 'served';
    try {
      const path = url.pathname;
      if (path === '/healthz') {
        status = 200;
        return await writeWeb(res, Response.json({ status: 'ok' }), requestId);
      }
      if (path === '/readyz') {
        const ok = await this.#checkBackend();
        status = ok ? 200 : 503;
        return await writeWeb(
          res,
          Response.json({ status: ok ? 'ready' : 'backend unavailable' }, { status }),
          requestId,
        );
      }
      if (path === '/metrics' && rt.config.metrics?.enabled !== false && !rt.config.metrics?.listen) {
        status = 200;
        return await this.#metricsResponse(res);
      }
      if (
        (path === '/admin' || path.startsWith('/admin/')) &&
        rt.config.admin?.enabled &&
        this.#opts.admin &&
        !rt.config.admin.listen
      ) {
        const s = await this.#admin(req, res, { proto, remoteAllowed: false, requestId });
        if (s !== undefined) {
          status = s;
          return;
        }
      }
      // GET and HEAD carry no body to stream (toWebRequest would drop it): no stream for them.
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : lazyBody(req);
      const webReq = toWebRequest(req, proto, body?.stream);
      let d: Decision;
      try {
        d = await rt.paywall.decide(webReq, clientIp ? { ip: clientIp } : {});
      } catch (e) {
        outcome = 'error';
        this.logger.error({ msg: 'paywall error', requestId, error: (e as Error).message });
        status = 500;
        return await writeWeb(
          res,
          Response.json({ error: { code: 'INTERNAL', message: 'internal error' } }, { status: 500 }),
          requestId,
        );
      }
      if (d.type === 'respond') {
        status = d.response.status;
        outcome = status === 402 ? 'challenged' : status < 400 ? 'answered' : 'refused';
        service =
          d.response.status === 402 || d.response.status === 401 ? this.#serviceOf(rt, webReq) : undefined;
        if (status === 402 && service) {
          // The engine reports 401s and refusals; a 402 that is not a first challenge (a
          // used-up or replayed token) is a refusal too, by its code.
          const code = await errorCode(d.response.clone());
          if (code && code !== ErrorCodes.PAYMENT_REQUIRED) {
            outcome = 'refused';
            this.metrics.refused.inc({ service, reason: code });
          }
        }
        return await writeWeb(res, d.response, requestId);
      }
      if (!d.route) {
        status = 404;
        outcome = 'no-service';
        return await writeWeb(
          res,
          Response.json(
            { error: { code: 'NO_SERVICE', message: 'no service is configured for this host and path' } },
            { status: 404 },
          ),
          requestId,
        );
      }
      // The engine names the matched route's service; otherwise match again rather than look
      // the key up: two services may share a key (`* /*` on two hosts), and the key alone
      // would pick the first one's upstream.
      service = d.service ?? rt.paywall.match(webReq)?.route.service;
      const svc = service ? rt.services.get(service) : undefined;
      if (!svc) {
        status = 404;
        await d.settle(404);
        return await writeWeb(
          res,
          Response.json(
            { error: { code: 'NO_SERVICE', message: 'no upstream for this route' } },
            { status: 404 },
          ),
          requestId,
        );
      }
      const buffered = d.request !== webReq || (body?.used() ?? false);
      const bytes = buffered ? new Uint8Array(await d.request.arrayBuffer()) : undefined;
      const ctx = {
        requestId,
        clientIp,
        proto,
        path: url.pathname,
        search: url.search,
        ...(bytes ? { body: bytes } : {}),
      };
      const r = await proxyRequest(svc, req, res, ctx);
      status = r.status;
      if (r.upstreamSeconds !== undefined)
        this.metrics.upstreamLatency.observe({ service: svc.config.name }, r.upstreamSeconds);
      if (r.error) outcome = `upstream-${r.error}`;
      else outcome = d.type === 'paid' ? 'paid' : 'free';
      await d.settle(r.error ? (r.status >= 500 ? r.status : 502) : r.status);
    } catch (e) {
      outcome = 'error';
      this.logger.error({ msg: 'request failed', requestId, error: (e as Error).message });
      if (!res.headersSent) {
        status = 500;
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"error":{"code":"INTERNAL","message":"internal error"}}');
      } else res.destroy();
    } finally {
      this.#active--;
      this.metrics.inFlight.set({}, this.#active);
      this.metrics.requests.inc({ service: service ?? 'none', outcome });
      this.logger.info({
        msg: 'request',
        requestId,
        method: req.method,
        path: url.pathname,
        status,
        service,
        outcome,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    }
  }

  #serviceOf(rt: Runtime, req: Request): string | undefined {
    return rt.paywall.match(req)?.route.service;
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const requestId = requestIdOf(req);
    const rt = this.#rt;
    const proto = this.#opts.config.tls ? 'https' : 'http';
    const url = new URL(req.url ?? '/', 'http://x');
    const webReq = toWebRequest(req, proto);
    let d: Decision;
    try {
      d = await rt.paywall.decide(webReq, req.socket.remoteAddress ? { ip: req.socket.remoteAddress } : {});
    } catch {
      socket.end('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (d.type === 'respond') {
      const r = d.response;
      const body = Buffer.from(await r.arrayBuffer());
      const lines = [
        `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status] ?? ''}`,
        'connection: close',
        `content-length: ${body.length}`,
        `x-request-id: ${requestId}`,
      ];
      r.headers.forEach((v, k) => {
        if (k === 'www-authenticate')
          for (const c of v.split(/, (?=(?:L402|LSAT) )/)) lines.push(`${k}: ${c}`);
        else lines.push(`${k}: ${v}`);
      });
      socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
      return;
    }
    const route = d.route ? rt.paywall.match(webReq)?.route : undefined;
    const svc = route ? rt.services.get(route.service) : undefined;
    if (!svc) {
      await d.settle(404);
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const status = await proxyUpgrade(svc, req, socket, head, {
      requestId,
      clientIp: req.socket.remoteAddress,
      proto,
      path: url.pathname,
      search: url.search,
    });
    await d.settle(status === 101 ? 200 : status);
    this.logger.info({ msg: 'upgrade', requestId, path: url.pathname, status, service: svc.config.name });
  }
}

/**
 * Starts a gateway.
 *
 * @example
 * ```ts
 * import { parseConfig, startGateway } from '@farebox/gateway';
 * const gw = await startGateway({ config: parseConfig('services: [{name: api, path: "/*", upstream: "http://127.0.0.1:9000", price: 10}]') });
 * console.log(gw.url);
 * ```
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  return new Gateway(opts).start();
}
