/**
 * The gateway's admin API and dashboard, plugged into the gateway's admin hook.
 *
 * Off unless `admin.enabled` is set; served to loopback clients only (the peer's socket
 * address, never a forwarded header) unless `allowRemote` is set or the dedicated
 * `admin.listen` listener is bound to a non-loopback address; every API call needs
 * `Authorization: Bearer <admin token>`, compared in constant time. The dashboard page itself
 * holds no data: it asks for the token, keeps it in `sessionStorage` and calls the API.
 *
 * | endpoint | answer |
 * |---|---|
 * | `GET /admin` | the dashboard (HTML, strict CSP with a nonce) |
 * | `GET /admin/api/summary` | totals per service, backend status, uptime, store kind, notice |
 * | `GET /admin/api/earnings?bucket=3600&since=0` | sats per service per time bucket |
 * | `GET /admin/api/payments?limit=50&service=` | recent payments, newest first |
 * | `GET /admin/api/tokens?state=active&limit=100` | tokens seen (active ones by default) |
 * | `POST /admin/api/tokens/{id}/revoke` | revokes a token: its next request gets 401 `L402_REVOKED` |
 * | `GET /admin/api/backend` | the Lightning backend's `getInfo`, or why it failed |
 *
 * Errors are `{"error":{"code","message"}}` with the codes of {@link AdminErrorCodes}.
 * Earnings and payments come from the gateway's ledger (the last `ledger.max` served paid
 * requests; kept in the SQLite store's file across restarts, in memory with other stores);
 * request counts come from the metrics.
 *
 * @module
 */
import { constantTimeEqual, ErrorCodes, FareboxError, sha256, utf8 } from '@farebox/core';
import { DEV_NODE_NOTICE, redactConnection } from '@farebox/lightning';
import type { ServiceConfig } from './config.js';
import { renderDashboard } from './dashboard.js';
import type { AdminRequestInfo, Gateway } from './gateway.js';

/** The error codes of the admin API (stable, as in `{"error":{"code":…}}`). */
export const AdminErrorCodes = {
  /** No `Authorization: Bearer` header, or the token is wrong (or none is configured). */
  UNAUTHORIZED: 'ADMIN_UNAUTHORIZED',
  /** The client is not on loopback and remote admin is not allowed. */
  FORBIDDEN: 'ADMIN_FORBIDDEN',
  NOT_FOUND: 'ADMIN_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'ADMIN_METHOD_NOT_ALLOWED',
  /** A query parameter or path segment is out of range (`data.parameter` in the message). */
  INVALID_PARAMETER: 'ADMIN_INVALID_PARAMETER',
} as const;

/** Options of {@link createAdminHandler}. */
export interface AdminHandlerOptions {
  /** The bearer token. Default: the configuration's `admin.token`, resolved by the gateway. */
  token?: string;
  /** Serve clients that are not on loopback too (default false; the token is still required). */
  allowRemote?: boolean;
}

/** The admin hook the gateway calls for `/admin` and `/admin/*`. */
export type AdminHandler = (req: Request, gw: Gateway, info: AdminRequestInfo) => Promise<Response>;

/** How the Lightning backend answered `getInfo`. */
export interface BackendStatus {
  ok: boolean;
  backend: string;
  /** The connection string with its secrets masked. */
  connection: string;
  dev: boolean;
  network?: string;
  alias?: string;
  pubkey?: string;
  blockHeight?: number;
  latencyMs: number;
  error?: { code: string; message: string };
}

/** One token as the admin API lists it. */
export interface AdminToken {
  tokenId: string;
  service: string;
  uses: number;
  /** Uses a token allows (per-request 1, credits N); absent for passes. */
  maxUses?: number;
  firstSeen: number;
  lastSeen: number;
  /** Upper bound of the token's validity (first use + validity: it was issued a bit earlier). */
  expiresAt?: number;
  sats: number;
  state: 'active' | 'spent' | 'expired' | 'revoked';
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
const TOKEN_ID = /^(?:hash:)?[0-9a-f]{64}$/;
const DAY = 86_400;
// The paywall's defaults (server/src/engine.ts): per-request tokens live a day, credits 30 days.
const PER_REQUEST_VALID_SECONDS = DAY;
const CREDITS_VALID_SECONDS = 30 * DAY;

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function fail(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json({ error: { code, message } }, status, headers);
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Equal tokens, in time independent of where they differ and of their lengths (hashed first). */
function sameToken(given: string, expected: string): boolean {
  return constantTimeEqual(sha256(utf8(given)), sha256(utf8(expected)));
}

/** An integer query parameter in [min, max], or the default; a Response names the bad one. */
function intParam(url: URL, name: string, def: number, min: number, max: number): number | Response {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return def;
  const n = /^\d{1,12}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min && n <= max))
    return fail(400, AdminErrorCodes.INVALID_PARAMETER, `"${name}" must be an integer from ${min} to ${max}`);
  return n;
}

function sats(msat: string | number): number {
  return Number(msat) / 1000;
}

function storeKind(conn: string): string {
  for (const k of ['memory', 'sqlite', 'redis', 'postgres']) if (conn.startsWith(k)) return k;
  return 'custom';
}

function priceText(p: ServiceConfig['price']): string {
  if (typeof p === 'number') return `${p} sats`;
  return 'msat' in p ? `${p.msat} msat` : 'hook';
}

function policyText(s: ServiceConfig): string {
  if (s.auth === 'off') return 'free';
  const p = s.policy ?? 'per-request';
  if (p === 'per-request') return 'per-request';
  return 'pass' in p ? `pass ${p.pass} s` : `credits ${p.credits}`;
}

/** Request counts per service and outcome, read back from the metrics' label keys. */
function requestCounts(gw: Gateway): Map<string, { all: number; byOutcome: Record<string, number> }> {
  const out = new Map<string, { all: number; byOutcome: Record<string, number> }>();
  for (const [key, value] of gw.metrics.requests.values) {
    const labels: Record<string, string> = {};
    for (const m of key.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
    const svc = labels.service ?? 'none';
    const row = out.get(svc) ?? { all: 0, byOutcome: {} };
    row.all += value;
    const o = labels.outcome ?? 'unknown';
    row.byOutcome[o] = (row.byOutcome[o] ?? 0) + value;
    out.set(svc, row);
  }
  return out;
}

async function backendStatus(gw: Gateway): Promise<BackendStatus> {
  const { backend, backendConn, dev } = gw.shared;
  const started = Date.now();
  const base = { backend: backend.backend, connection: redactConnection(backendConn), dev };
  try {
    const info = await backend.getInfo({ timeoutMs: 3000 });
    const s: BackendStatus = { ok: true, ...base, latencyMs: Date.now() - started };
    if (info.network) s.network = info.network;
    if (info.alias) s.alias = info.alias;
    if (info.pubkey) s.pubkey = info.pubkey;
    if (info.blockHeight !== undefined) s.blockHeight = info.blockHeight;
    return s;
  } catch (e) {
    // FareboxError messages carry no secrets (errors.ts); anything else is summarized.
    const fe = e instanceof FareboxError ? e : undefined;
    return {
      ok: false,
      ...base,
      latencyMs: Date.now() - started,
      error: { code: fe?.code ?? 'BACKEND_ERROR', message: fe?.message ?? 'the backend did not answer' },
    };
  }
}

/** Validity and use limits of a service's tokens, from its configuration. */
function tokenRules(s: ServiceConfig | undefined): { maxUses?: number; validSeconds?: number } {
  const p = s?.policy ?? 'per-request';
  if (p === 'per-request') return { maxUses: 1, validSeconds: s?.validSeconds ?? PER_REQUEST_VALID_SECONDS };
  if ('pass' in p) return { validSeconds: p.pass };
  return { maxUses: p.credits, validSeconds: s?.validSeconds ?? CREDITS_VALID_SECONDS };
}

async function listTokens(
  gw: Gateway,
  o: { all: boolean; limit: number; now: number },
): Promise<AdminToken[]> {
  const services = gw.runtime.services;
  const store = gw.shared.store;
  const rows = [...gw.ledger.tokens.values()].sort((a, b) => b.lastSeen - a.lastSeen);
  const out: AdminToken[] = [];
  for (const t of rows) {
    if (out.length >= o.limit) break;
    const rules = tokenRules(services.get(t.service)?.config);
    const row: AdminToken = {
      tokenId: t.tokenId,
      service: t.service,
      uses: t.uses,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
      sats: sats(t.amountMsat),
      state: 'active',
    };
    if (rules.maxUses !== undefined) row.maxUses = rules.maxUses;
    if (rules.validSeconds !== undefined) row.expiresAt = t.firstSeen + rules.validSeconds;
    if (row.maxUses !== undefined && row.uses >= row.maxUses) row.state = 'spent';
    else if (row.expiresAt !== undefined && o.now >= row.expiresAt) row.state = 'expired';
    if (row.state !== 'active' && !o.all) continue;
    if (await store.isRevoked(t.tokenId)) row.state = 'revoked';
    if (row.state !== 'active' && !o.all) continue;
    out.push(row);
  }
  return out;
}

function summary(gw: Gateway, backend: BackendStatus, now: number) {
  const rt = gw.runtime;
  const counts = requestCounts(gw);
  const per = new Map<string, { sats: number; payments: number; paidRequests: number }>();
  for (const e of gw.ledger.entries) {
    const v = per.get(e.service) ?? { sats: 0, payments: 0, paidRequests: 0 };
    v.paidRequests++;
    if (e.use === 1) {
      v.payments++;
      v.sats += sats(e.amountMsat);
    }
    per.set(e.service, v);
  }
  const names = [...rt.config.services.map((s) => s.name)];
  for (const n of per.keys()) if (!names.includes(n)) names.push(n); // removed by a reload
  const services = names.map((name) => {
    const cfg = rt.services.get(name)?.config;
    const v = per.get(name) ?? { sats: 0, payments: 0, paidRequests: 0 };
    const c = counts.get(name);
    return {
      name,
      ...(cfg ? { price: priceText(cfg.price), policy: policyText(cfg) } : {}),
      sats: v.sats,
      payments: v.payments,
      paidRequests: v.paidRequests,
      requests: c?.all ?? 0,
      requestsByOutcome: c?.byOutcome ?? {},
    };
  });
  const sum = (k: 'sats' | 'payments' | 'paidRequests' | 'requests') =>
    services.reduce((a, s) => a + s[k], 0);
  const oldest = gw.ledger.entries[0]?.time;
  return {
    now,
    ...(rt.config.title ? { title: rt.config.title } : {}),
    startedAt: new Date(gw.startedAt).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((Date.now() - gw.startedAt) / 1000)),
    store: storeKind(gw.shared.storeConn),
    notice: gw.shared.dev ? DEV_NODE_NOTICE : null,
    backend,
    services,
    totals: {
      sats: sum('sats'),
      payments: sum('payments'),
      paidRequests: sum('paidRequests'),
      requests: sum('requests'),
    },
    ledger: {
      entries: gw.ledger.entries.length,
      max: gw.ledger.max,
      oldest: oldest ?? null,
      persistent: gw.ledger.persistent,
    },
  };
}

async function api(req: Request, url: URL, gw: Gateway): Promise<Response> {
  const parts = url.pathname.slice('/admin/api/'.length).split('/');
  const route = parts[0] ?? '';
  const now = Math.floor(Date.now() / 1000);
  const onlyGet = () =>
    req.method === 'GET'
      ? undefined
      : fail(405, AdminErrorCodes.METHOD_NOT_ALLOWED, 'use GET', { allow: 'GET' });

  if (parts.length === 1 && route === 'summary') {
    return onlyGet() ?? json(summary(gw, await backendStatus(gw), now));
  }
  if (parts.length === 1 && route === 'backend') {
    return onlyGet() ?? json(await backendStatus(gw));
  }
  if (parts.length === 1 && route === 'earnings') {
    const bad = onlyGet();
    if (bad) return bad;
    const bucket = intParam(url, 'bucket', 3600, 1, 31 * DAY);
    if (bucket instanceof Response) return bucket;
    const since = intParam(url, 'since', 0, 0, 1e11);
    if (since instanceof Response) return since;
    const buckets = gw.ledger.earnings(bucket, since);
    const services = [
      ...new Set([...gw.runtime.config.services.map((s) => s.name), ...buckets.map((b) => b.service)]),
    ];
    return json({ bucketSeconds: bucket, since, now, services, buckets });
  }
  if (parts.length === 1 && route === 'payments') {
    const bad = onlyGet();
    if (bad) return bad;
    const limit = intParam(url, 'limit', 50, 1, 1000);
    if (limit instanceof Response) return limit;
    const service = url.searchParams.get('service');
    const payments = [];
    const entries = gw.ledger.entries;
    for (let i = entries.length - 1; i >= 0 && payments.length < limit; i--) {
      const e = entries[i]!;
      if (e.use !== 1 || (service && e.service !== service)) continue;
      payments.push({
        time: e.time,
        service: e.service,
        sats: sats(e.amountMsat),
        amountMsat: e.amountMsat,
        paymentHash: e.paymentHash,
        tokenId: e.tokenId,
        uses: gw.ledger.tokens.get(e.tokenId)?.uses ?? 1,
      });
    }
    return json({ payments });
  }
  if (parts.length === 1 && route === 'tokens') {
    const bad = onlyGet();
    if (bad) return bad;
    const limit = intParam(url, 'limit', 100, 1, 1000);
    if (limit instanceof Response) return limit;
    const state = url.searchParams.get('state') ?? 'active';
    if (state !== 'active' && state !== 'all')
      return fail(400, AdminErrorCodes.INVALID_PARAMETER, '"state" must be active or all');
    return json({ tokens: await listTokens(gw, { all: state === 'all', limit, now }) });
  }
  if (parts.length === 3 && route === 'tokens' && parts[2] === 'revoke') {
    if (req.method !== 'POST')
      return fail(405, AdminErrorCodes.METHOD_NOT_ALLOWED, 'use POST', { allow: 'POST' });
    let id: string;
    try {
      id = decodeURIComponent(parts[1]!).toLowerCase();
    } catch {
      id = '';
    }
    if (!TOKEN_ID.test(id))
      return fail(400, AdminErrorCodes.INVALID_PARAMETER, '"id" must be a token id (64 hex digits)');
    const known = gw.ledger.tokens.get(id);
    // Keep the mark as long as the token could still be used, and an hour more for clock skew.
    const rules = tokenRules(known ? gw.runtime.services.get(known.service)?.config : undefined);
    const ttl = known && rules.validSeconds ? rules.validSeconds + 3600 : CREDITS_VALID_SECONDS;
    await gw.runtime.paywall.revoke(id, ttl);
    return json({ revoked: true, tokenId: id, known: known !== undefined });
  }
  return fail(404, AdminErrorCodes.NOT_FOUND, 'no such admin endpoint');
}

/**
 * Creates the admin hook: the API under `/admin/api/` and the dashboard at `/admin`.
 *
 * @example
 * ```ts
 * import { createAdminHandler, parseConfig, startGateway } from '@farebox/gateway';
 * const config = parseConfig(`
 * admin: { enabled: true, token: { env: FAREBOX_ADMIN_TOKEN } }
 * services: [{ name: api, path: "/*", upstream: "http://127.0.0.1:9000", price: 10 }]
 * `);
 * const gw = await startGateway({ config, admin: createAdminHandler() });
 * // curl -H "Authorization: Bearer $FAREBOX_ADMIN_TOKEN" http://127.0.0.1:8402/admin/api/summary
 * ```
 */
export function createAdminHandler(opts: AdminHandlerOptions = {}): AdminHandler {
  if (opts === null || typeof opts !== 'object')
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"opts" must be an object', {
      data: { parameter: 'opts' },
    });
  if (opts.token !== undefined && (typeof opts.token !== 'string' || opts.token.length === 0))
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"token" must be a non-empty string', {
      data: { parameter: 'token' },
    });
  return async (req, gw, info) => {
    const url = new URL(req.url);
    // Loopback first: a remote client learns nothing, not even whether its token is right.
    if (!opts.allowRemote && !info?.remoteAllowed && !isLoopbackAddress(info?.clientIp))
      return fail(403, AdminErrorCodes.FORBIDDEN, 'the admin API is served to loopback clients only');
    if (url.pathname === '/admin' || url.pathname === '/admin/') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return fail(405, AdminErrorCodes.METHOD_NOT_ALLOWED, 'use GET', { allow: 'GET, HEAD' });
      return renderDashboard({ apiBase: '/admin/api' });
    }
    if (!url.pathname.startsWith('/admin/api/'))
      return fail(404, AdminErrorCodes.NOT_FOUND, 'no such admin page');
    const expected = opts.token ?? info?.token;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.get('authorization') ?? '');
    if (!expected || !m || !sameToken(m[1]!, expected))
      return fail(
        401,
        AdminErrorCodes.UNAUTHORIZED,
        'a valid admin token is required (Authorization: Bearer …)',
        {
          'www-authenticate': 'Bearer realm="farebox admin"',
        },
      );
    return api(req, url, gw);
  };
}
