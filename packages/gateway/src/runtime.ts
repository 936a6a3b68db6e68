/**
 * Turning a configuration into running parts: the Lightning backend, the usage store, the
 * keyring and one paywall whose routes are the configured services.
 *
 * @module
 */
import { join } from 'node:path';
import { ErrorCodes, FareboxError } from '@farebox/core';
import {
  canIssue,
  DEV_NODE_NOTICE,
  type InvoiceIssuer,
  type LightningBackend,
  type Payer,
  redactConnection,
} from '@farebox/lightning';
import { openBackend } from '@farebox/lightning/node';
import {
  MemoryStore,
  Paywall,
  type PaywallEvents,
  type Price,
  type RouteConfig,
  type UsageStore,
} from '@farebox/server';
import type { GatewayConfig, ServiceConfig } from './config.js';
import type { LedgerDatabase } from './ledger.js';
import { loadOrCreateSecretFile, resolveSecret, secretBytes } from './secrets.js';

/** A service ready to proxy. */
export interface ServiceRuntime {
  config: ServiceConfig;
  upstream: URL;
  /** Resolved extra headers. */
  headers: Record<string, string>;
}

/** What the gateway serves with, rebuilt on reload. */
export interface Runtime {
  config: GatewayConfig;
  paywall: Paywall;
  services: Map<string, ServiceRuntime>;
}

/** Long-lived parts (kept across reloads when their configuration does not change). */
export interface Shared {
  backend: LightningBackend & InvoiceIssuer;
  backendConn: string;
  store: UsageStore;
  storeConn: string;
  dev: boolean;
}

/** Opens the usage store of a connection string. */
export async function openStore(conn: string, baseDir: string): Promise<UsageStore> {
  if (conn === 'memory') return new MemoryStore();
  if (conn.startsWith('sqlite:')) {
    const { SqliteStore } = await import('@farebox/stores/sqlite');
    const p = conn.slice('sqlite:'.length);
    return new SqliteStore(p.startsWith('/') || p === ':memory:' ? p : join(baseDir, p));
  }
  if (conn.startsWith('redis://') || conn.startsWith('rediss://')) {
    const { RedisStore } = await import('@farebox/stores/redis');
    return new RedisStore(conn);
  }
  if (conn.startsWith('postgres://') || conn.startsWith('postgresql://')) {
    const { PostgresStore } = await import('@farebox/stores/postgres');
    const s = new PostgresStore(conn);
    await (s as unknown as { migrate?: () => Promise<void> }).migrate?.();
    return s;
  }
  throw new FareboxError(ErrorCodes.CONFIG_INVALID, `unknown store ${conn.split(':')[0]}`, {
    data: { field: 'store' },
  });
}

/**
 * The open database of a SQLite usage store (`store: sqlite:<path>`), where the ledger is
 * kept too; `undefined` for the other stores (the ledger then stays in memory).
 */
export function sqliteDatabaseOf(store: UsageStore): LedgerDatabase | undefined {
  const s = store as UsageStore & { kind?: unknown; db?: LedgerDatabase };
  return s.kind === 'sqlite' && s.db && typeof s.db.prepare === 'function' ? s.db : undefined;
}

/** Opens the backend and store. */
export async function openShared(
  config: GatewayConfig,
  opts: { baseDir: string; production: boolean; allowDevInProduction?: boolean },
  previous?: Shared,
): Promise<Shared> {
  let backend = previous?.backendConn === config.backend ? previous.backend : undefined;
  if (!backend) {
    const b = await openBackend(config.backend, {
      dev: { production: opts.production, ...(opts.allowDevInProduction ? { allowInProduction: true } : {}) },
    });
    if (!canIssue(b)) {
      throw new FareboxError(
        ErrorCodes.CONFIG_INVALID,
        `backend ${redactConnection(config.backend)} cannot issue invoices`,
        {
          data: { field: 'backend' },
        },
      );
    }
    backend = b;
  }
  const store =
    previous?.storeConn === config.store ? previous.store : await openStore(config.store, opts.baseDir);
  return {
    backend,
    backendConn: config.backend,
    store,
    storeConn: config.store,
    dev: backend.backend === 'dev',
  };
}

function hookPrice(url: string): Price {
  return async (req, ctx) => {
    const u = new URL(req.url);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: req.method,
        path: u.pathname,
        query: u.search,
        headers: { 'content-type': req.headers.get('content-type') },
        body: ctx.body ?? null,
      }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`pricing hook answered ${res.status}`);
    const j = (await res.json()) as { price_sats?: unknown; price_msat?: unknown };
    if (typeof j.price_msat === 'number' || typeof j.price_msat === 'string')
      return { msat: BigInt(j.price_msat) };
    if (typeof j.price_sats === 'number') return j.price_sats;
    throw new Error('pricing hook answered no price');
  };
}

function toRegExp(s: string): RegExp {
  return new RegExp(s);
}

/**
 * A path pattern standing for a regular expression in discovery and route keys (the engine
 * wants a path starting with `/`; with `pathRegExp` set it is only a label): the literal
 * start of an anchored expression, `^/files/(\\d+)$` → `/files/*`, `^/a$` → `/a`, else `/*`.
 */
export function regexpLabel(re: string): string {
  const literal = /^\^(\/[^\\.*+?()[\]{}|$^]*)/.exec(re)?.[1];
  if (!literal) return '/*';
  return re === `^${literal}$` ? literal : `${literal}*`;
}

/** The paywall routes of one service: its free paths first, then the service. */
export function serviceRoutes(s: ServiceConfig): RouteConfig[] {
  const hosts = s.hosts?.map((h) => (h.startsWith('~') ? toRegExp(h.slice(1)) : h));
  const base: Partial<RouteConfig> = { service: s.name };
  if (hosts) base.hosts = hosts;
  const routes: RouteConfig[] = [];
  for (const p of s.freePaths ?? [])
    routes.push({ ...base, path: regexpLabel(p), pathRegExp: toRegExp(p), free: true });
  const methods = s.methods?.length ? s.methods : ['*'];
  for (const method of methods) {
    const r: RouteConfig = { ...base, method, path: s.path };
    if (s.path.startsWith('~')) {
      r.path = regexpLabel(s.path.slice(1));
      r.pathRegExp = toRegExp(s.path.slice(1));
    }
    if (s.auth === 'off') r.free = true;
    const freebie = s.auth?.startsWith('freebie') ? Number(s.auth.split(' ')[1]) : 0;
    if (freebie > 0) r.freePerDay = freebie;
    const price = s.price;
    r.price =
      typeof price === 'number' ? price : 'hook' in price ? hookPrice(price.hook) : { msat: price.msat };
    const p = s.policy ?? 'per-request';
    r.policy =
      p === 'per-request'
        ? { type: 'per-request', ...(s.validSeconds ? { validSeconds: s.validSeconds } : {}) }
        : 'pass' in p
          ? { type: 'pass', validSeconds: p.pass }
          : { type: 'credits', uses: p.credits, ...(s.validSeconds ? { validSeconds: s.validSeconds } : {}) };
    if (s.capabilities) r.capabilities = s.capabilities;
    if (s.description) r.description = s.description;
    if (s.requestSchema) r.requestSchema = s.requestSchema;
    if (s.rateLimit) r.rateLimit = s.rateLimit;
    if (s.maxBodyBytes !== undefined) r.maxBodyBytes = s.maxBodyBytes;
    routes.push(r);
  }
  return routes;
}

/** Builds the runtime of a configuration over the shared parts. */
export async function buildRuntime(
  config: GatewayConfig,
  shared: Shared,
  opts: { env: Record<string, string | undefined>; baseDir: string; events: PaywallEvents },
): Promise<{ runtime: Runtime; secretCreated?: string }> {
  let secret: Uint8Array;
  let secretCreated: string | undefined;
  if (config.secret) secret = secretBytes(await resolveSecret(config.secret, opts.env, 'secret'));
  else if (shared.dev) {
    const path = join(opts.baseDir, 'gateway.secret');
    const r = await loadOrCreateSecretFile(path);
    secret = r.secret;
    if (r.created) secretCreated = path;
  } else {
    throw new FareboxError(
      ErrorCodes.CONFIG_INVALID,
      'secret: a server secret is required with a real Lightning backend ({env: NAME} or {file: PATH})',
      {
        data: { field: 'secret' },
      },
    );
  }
  const services = new Map<string, ServiceRuntime>();
  const routes: RouteConfig[] = [];
  for (const s of config.services) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.headers ?? {}))
      headers[k] = await resolveSecret(v, opts.env, `services.${s.name}.headers.${k}`);
    services.set(s.name, { config: s, upstream: new URL(s.upstream), headers });
    routes.push(...serviceRoutes(s));
  }
  const paywall = new Paywall({
    secret,
    lightning: shared.backend,
    store: shared.store,
    routes,
    ...(config.invoiceExpirySeconds ? { invoiceExpirySeconds: config.invoiceExpirySeconds } : {}),
    trustProxy: config.trustProxy ?? false,
    events: opts.events,
    discovery: {
      ...(config.title ? { title: config.title } : {}),
      ...(config.description ? { description: config.description } : {}),
      ...(shared.dev ? { network: 'regtest', notice: DEV_NODE_NOTICE } : {}),
    },
    ...(shared.dev ? { notice: DEV_NODE_NOTICE, devWallet: shared.backend as unknown as Payer } : {}),
  });
  const out: { runtime: Runtime; secretCreated?: string } = { runtime: { config, paywall, services } };
  if (secretCreated) out.secretCreated = secretCreated;
  return out;
}
