/**
 * The gateway's configuration: one YAML or JSON file, validated with messages that name the
 * file, the line and the field. An Aperture configuration is recognised by its keys and
 * converted (see `aperture.ts`), so Aperture users switch in one step.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ErrorCodes, FareboxError } from '@farebox/core';
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { fromApertureConfig, looksLikeAperture } from './aperture.js';

/** A value taken from the environment or a file (never written inline into logs). */
export type SecretSource = string | { env: string } | { file: string };

/** Token policy in configuration. */
export type PolicyConfig = 'per-request' | { pass: number } | { credits: number; validSeconds?: number };

/** One sold service. */
export interface ServiceConfig {
  name: string;
  /** Host names (exact) or `~regexp` entries; empty: any host. */
  hosts?: string[];
  /** Path prefix or pattern (`/api/*`, `/files/:id`), or `~regexp` (Aperture's `pathregexp`). */
  path: string;
  /** Methods; default any. */
  methods?: string[];
  /** Upstream base URL, e.g. `http://127.0.0.1:9000`. */
  upstream: string;
  /** Path rewrite: strip a prefix, or replace a regexp. */
  rewrite?: { stripPrefix?: string; from?: string; to?: string };
  /** Headers added to upstream requests. */
  headers?: Record<string, SecretSource>;
  /** Price in sats, `{ msat }`, or a pricing hook URL that answers `{"price_sats": n}`. */
  price: number | { msat: number } | { hook: string };
  policy?: PolicyConfig;
  /** `on` (default), `off` (no payment), or `freebie N` (N free calls per IP per day). */
  auth?: 'on' | 'off' | `freebie ${number}`;
  /** Paths (regexps) served without payment (Aperture's `authwhitelistpaths`). */
  freePaths?: string[];
  capabilities?: string[];
  /** Token validity, seconds (the `valid_until` caveat; Aperture's `timeout`). */
  validSeconds?: number;
  rateLimit?: {
    perIp?: { limit: number; windowSeconds: number };
    perToken?: { limit: number; windowSeconds: number };
  };
  maxBodyBytes?: number;
  /** Upstream timeout, seconds (default 300: long jobs are normal). */
  timeoutSeconds?: number;
  /** Forward the client's Authorization header upstream (default false). */
  forwardCredential?: boolean;
  description?: string;
  /** JSON Schema of the request body (discovery, validation before charging). */
  requestSchema?: Record<string, unknown>;
}

/** The whole gateway configuration, normalized. */
export interface GatewayConfig {
  /** `host:port` to listen on (default `127.0.0.1:8402`). */
  listen: string;
  tls?: { cert: string; key: string };
  /** Serve HTTP/2 over cleartext (h2c) beside HTTP/1.1. */
  h2c?: boolean;
  /** Lightning backend connection string (default `dev`: the embedded dev node, no real money). */
  backend: string;
  /** Usage store: `sqlite:<path>` (default), `memory`, `redis://…`, `postgres://…`. */
  store: string;
  /** Server secret (hex/base64, ≥ 32 bytes) from a file or an environment variable. */
  secret?: SecretSource;
  invoiceExpirySeconds?: number;
  trustProxy?: boolean;
  /** Metrics at `/metrics` (default on); `listen` for a separate listener. */
  metrics?: { enabled?: boolean; listen?: string };
  /** Admin API and dashboard at `/admin` (default off; bearer token required). */
  admin?: { enabled?: boolean; token?: SecretSource; listen?: string };
  /** Discovery title/description. */
  title?: string;
  description?: string;
  services: ServiceConfig[];
  /** Where the file came from (for messages). */
  source?: string;
}

function fail(
  file: string,
  doc: Document | undefined,
  lc: LineCounter | undefined,
  field: (string | number)[],
  message: string,
): never {
  let line: number | undefined;
  if (doc && lc) {
    const node = doc.getIn(field, true) as { range?: [number, number, number] } | undefined;
    const at = node?.range?.[0];
    if (at !== undefined) line = lc.linePos(at).line;
  }
  const where = field.length
    ? field
        .map((f) => (typeof f === 'number' ? `[${f}]` : `.${f}`))
        .join('')
        .replace(/^\./, '')
    : '(root)';
  throw new FareboxError(
    ErrorCodes.CONFIG_INVALID,
    `${file}${line ? `:${line}` : ''}: ${where}: ${message}`,
    {
      data: { file, line, field: where },
    },
  );
}

/** Parses and validates a configuration text. */
export function parseConfig(text: string, file = 'config'): GatewayConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new FareboxError(
      ErrorCodes.CONFIG_INVALID,
      `${file}${line ? `:${line}` : ''}: ${e.message.split('\n')[0]}`,
      {
        data: { file, line, field: '(syntax)' },
      },
    );
  }
  const raw = doc.toJS() as unknown;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    fail(file, doc, lc, [], 'expected a mapping of settings');
  if (looksLikeAperture(raw as Record<string, unknown>)) {
    return validate(fromApertureConfig(raw as Record<string, unknown>), file, doc, lc, true);
  }
  return validate(raw as Record<string, unknown>, file, doc, lc, false);
}

/** Reads and validates a configuration file (YAML or JSON). */
export async function loadConfig(path: string): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FareboxError(ErrorCodes.CONFIG_INVALID, `${path}: cannot read the file`, {
      data: { file: path },
      cause: e,
    });
  }
  return { ...parseConfig(text, path), source: path };
}

const TOP_KEYS = new Set([
  '$schema',
  'listen',
  'tls',
  'h2c',
  'backend',
  'store',
  'secret',
  'invoiceExpirySeconds',
  'trustProxy',
  'metrics',
  'admin',
  'title',
  'description',
  'services',
]);
const SERVICE_KEYS = new Set([
  'name',
  'hosts',
  'path',
  'methods',
  'upstream',
  'rewrite',
  'headers',
  'price',
  'policy',
  'auth',
  'freePaths',
  'capabilities',
  'validSeconds',
  'rateLimit',
  'maxBodyBytes',
  'timeoutSeconds',
  'forwardCredential',
  'description',
  'requestSchema',
]);

function validate(
  o: Record<string, unknown>,
  file: string,
  doc: Document | undefined,
  lc: LineCounter | undefined,
  converted: boolean,
): GatewayConfig {
  const bad = (field: (string | number)[], msg: string): never =>
    fail(file, converted ? undefined : doc, lc, field, msg);
  for (const k of Object.keys(o))
    if (!TOP_KEYS.has(k))
      bad([k], `unknown setting (known: ${[...TOP_KEYS].filter((x) => x !== '$schema').join(', ')})`);
  const str = (v: unknown, f: (string | number)[], def?: string): string => {
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'string' || v === '') bad(f, 'must be a non-empty string');
    return v as string;
  };
  const num = (v: unknown, f: (string | number)[], min = 0): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) bad(f, `must be a number ≥ ${min}`);
    return v as number;
  };
  const secret = (v: unknown, f: (string | number)[]): SecretSource | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const s = v as Record<string, unknown>;
      if (typeof s.env === 'string') return { env: s.env };
      if (typeof s.file === 'string') return { file: s.file };
    }
    return bad(f, 'must be a string, {env: NAME} or {file: PATH}');
  };
  const cfg: GatewayConfig = {
    listen: str(o.listen, ['listen'], '127.0.0.1:8402'),
    backend: str(o.backend, ['backend'], 'dev'),
    store: str(o.store, ['store'], 'sqlite:farebox.db'),
    services: [],
  };
  if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/.test(cfg.listen))
    bad(['listen'], 'must be host:port (e.g. 127.0.0.1:8402)');
  if (!/^(memory|sqlite:.+|redis(s)?:\/\/.+|postgres(ql)?:\/\/.+)$/.test(cfg.store))
    bad(['store'], 'must be memory, sqlite:<path>, redis://… or postgres://…');
  if (o.tls !== undefined) {
    const t = o.tls as Record<string, unknown>;
    cfg.tls = { cert: str(t?.cert, ['tls', 'cert']), key: str(t?.key, ['tls', 'key']) };
  }
  if (o.h2c !== undefined) cfg.h2c = o.h2c === true;
  const sec = secret(o.secret, ['secret']);
  if (sec !== undefined) cfg.secret = sec;
  const exp = num(o.invoiceExpirySeconds, ['invoiceExpirySeconds'], 1);
  if (exp !== undefined) cfg.invoiceExpirySeconds = exp;
  if (o.trustProxy !== undefined) cfg.trustProxy = o.trustProxy === true;
  if (o.metrics !== undefined) {
    const m = o.metrics as Record<string, unknown>;
    cfg.metrics = { enabled: m?.enabled !== false };
    if (m?.listen !== undefined) cfg.metrics.listen = str(m.listen, ['metrics', 'listen']);
  }
  if (o.admin !== undefined) {
    const a = o.admin as Record<string, unknown>;
    cfg.admin = { enabled: a?.enabled === true };
    const tok = secret(a?.token, ['admin', 'token']);
    if (tok !== undefined) cfg.admin.token = tok;
    if (a?.listen !== undefined) cfg.admin.listen = str(a.listen, ['admin', 'listen']);
    if (cfg.admin.enabled && !cfg.admin.token)
      bad(['admin', 'token'], 'the admin API needs a token ({env: NAME} or {file: PATH})');
  }
  if (typeof o.title === 'string') cfg.title = o.title;
  if (typeof o.description === 'string') cfg.description = o.description;
  if (!Array.isArray(o.services) || o.services.length === 0)
    bad(['services'], 'must list at least one service');
  const names = new Set<string>();
  for (const [i, raw] of (o.services as unknown[]).entries()) {
    const f = (k: string | number, ...rest: (string | number)[]) => ['services', i, k, ...rest];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad(['services', i], 'must be a mapping');
    const s = raw as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!SERVICE_KEYS.has(k)) bad(f(k), 'unknown service setting');
    const name = str(s.name, f('name'));
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(name))
      bad(f('name'), 'letters, digits, "." or "-" (no "_")');
    if (names.has(name)) bad(f('name'), `duplicate service name ${name}`);
    names.add(name);
    const upstream = str(s.upstream, f('upstream'));
    try {
      const u = new URL(upstream);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    } catch {
      bad(f('upstream'), 'must be an http:// or https:// URL');
    }
    const path = str(s.path, f('path'), '/*');
    if (path.startsWith('~')) {
      try {
        new RegExp(path.slice(1));
      } catch {
        bad(f('path'), 'is not a valid regular expression');
      }
    } else if (!path.startsWith('/')) bad(f('path'), 'must start with / (or ~ for a regular expression)');
    let price: ServiceConfig['price'];
    if (typeof s.price === 'number') {
      if (!(s.price >= 0)) bad(f('price'), 'must be ≥ 0');
      price = s.price;
    } else if (
      s.price &&
      typeof s.price === 'object' &&
      typeof (s.price as { msat?: unknown }).msat === 'number'
    ) {
      price = { msat: (s.price as { msat: number }).msat };
    } else if (
      s.price &&
      typeof s.price === 'object' &&
      typeof (s.price as { hook?: unknown }).hook === 'string'
    ) {
      price = { hook: (s.price as { hook: string }).hook };
    } else if (s.price === undefined && s.auth === 'off') {
      price = 0;
    } else {
      price = bad(f('price'), 'must be sats (number), {msat: n} or {hook: URL}');
    }
    const svc: ServiceConfig = { name, path, upstream: upstream.replace(/\/$/, ''), price };
    if (s.hosts !== undefined) {
      if (!Array.isArray(s.hosts) || !s.hosts.every((h) => typeof h === 'string'))
        bad(f('hosts'), 'must be a list of host names');
      svc.hosts = s.hosts as string[];
    }
    if (s.methods !== undefined) {
      if (!Array.isArray(s.methods) || !s.methods.every((m) => typeof m === 'string'))
        bad(f('methods'), 'must be a list of methods');
      svc.methods = (s.methods as string[]).map((m) => m.toUpperCase());
    }
    if (s.rewrite !== undefined) svc.rewrite = s.rewrite as ServiceConfig['rewrite'] & object;
    if (s.headers !== undefined) {
      const h: Record<string, SecretSource> = {};
      for (const [k, v] of Object.entries(s.headers as Record<string, unknown>))
        h[k] = secret(v, f('headers', k))!;
      svc.headers = h;
    }
    if (s.policy !== undefined) {
      const p = s.policy as unknown;
      if (p === 'per-request') svc.policy = 'per-request';
      else if (p && typeof p === 'object' && typeof (p as { pass?: unknown }).pass === 'number')
        svc.policy = { pass: (p as { pass: number }).pass };
      else if (p && typeof p === 'object' && typeof (p as { credits?: unknown }).credits === 'number') {
        svc.policy = { credits: (p as { credits: number }).credits };
      } else bad(f('policy'), 'must be per-request, {pass: seconds} or {credits: n}');
    }
    if (s.auth !== undefined) {
      if (typeof s.auth !== 'string' || !/^(on|off|freebie \d+)$/.test(s.auth))
        bad(f('auth'), 'must be on, off or "freebie N"');
      svc.auth = s.auth as ServiceConfig['auth'] & string;
    }
    if (s.freePaths !== undefined) {
      if (!Array.isArray(s.freePaths)) bad(f('freePaths'), 'must be a list of regular expressions');
      (s.freePaths as unknown[]).forEach((p, j) => {
        try {
          new RegExp(String(p));
        } catch {
          bad(f('freePaths', j), 'is not a valid regular expression');
        }
      });
      svc.freePaths = (s.freePaths as unknown[]).map(String);
    }
    if (s.capabilities !== undefined) svc.capabilities = (s.capabilities as unknown[]).map(String);
    const vs = num(s.validSeconds, f('validSeconds'), 1);
    if (vs !== undefined) svc.validSeconds = vs;
    const mb = num(s.maxBodyBytes, f('maxBodyBytes'), 0);
    if (mb !== undefined) svc.maxBodyBytes = mb;
    const ts = num(s.timeoutSeconds, f('timeoutSeconds'), 0.001);
    if (ts !== undefined) svc.timeoutSeconds = ts;
    if (s.rateLimit !== undefined) svc.rateLimit = s.rateLimit as ServiceConfig['rateLimit'] & object;
    if (s.forwardCredential !== undefined) svc.forwardCredential = s.forwardCredential === true;
    if (typeof s.description === 'string') svc.description = s.description;
    if (s.requestSchema && typeof s.requestSchema === 'object')
      svc.requestSchema = s.requestSchema as Record<string, unknown>;
    cfg.services.push(svc);
  }
  return cfg;
}

export { isMap, isSeq };
