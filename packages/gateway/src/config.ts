/**
 * The gateway's configuration: one YAML or JSON file, validated with messages that name the
 * file, the line and the field. An Aperture configuration is recognised by its keys and
 * converted (see `aperture.ts`), so Aperture users switch in one step.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ErrorCodes, FareboxError } from '@farebox/core';
import { parseConnection } from '@farebox/lightning';
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { fromApertureConfig, looksLikeAperture } from './aperture.js';

/**
 * A value taken from the environment or a file (never written inline into logs). A file is
 * read as text (trimmed), or with `encoding` as bytes sent hex or base64 encoded.
 */
export type SecretSource = string | { env: string } | { file: string; encoding?: 'hex' | 'base64' };

/** Token policy in configuration. */
export type PolicyConfig = 'per-request' | { pass: number } | { credits: number };

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

/** The gateway's default `memory.heapGrowingPercent` (see {@link GatewayConfig.memory}). */
export const DEFAULT_HEAP_GROWING_PERCENT = 20;

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
  /**
   * Memory tuning of the gateway process (applied by `farebox gateway`, which owns it).
   * `heapGrowingPercent`: how far V8 lets the heap grow past the live data before it
   * collects (default {@link DEFAULT_HEAP_GROWING_PERCENT}; 0 keeps V8's own heuristic,
   * which trades RSS for a little CPU under load).
   */
  memory?: { heapGrowingPercent?: number };
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
  // The field's own node, else its nearest ancestor (a missing field: the mapping it is missing from).
  for (let n = field.length; doc && lc && line === undefined && n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(field.slice(0, n), true)) as
      | { range?: [number, number, number] }
      | undefined;
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
    const line = e.linePos?.[0]?.line ?? (e.pos ? lc.linePos(e.pos[0]).line : undefined);
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
  'memory',
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

/** Where a converted setting came from in an Aperture file (for messages). */
const APERTURE_FIELDS: Record<string, string> = {
  listen: 'listenaddr',
  backend: 'authenticator',
  store: 'sqlite',
  path: 'pathregexp',
  hosts: 'hostregexp',
  upstream: 'address',
  freePaths: 'authwhitelistpaths',
  validSeconds: 'timeout',
  policy: 'timeout',
};

function apertureField(field: (string | number)[]): (string | number)[] {
  const out = field.map((f) => (typeof f === 'string' ? (APERTURE_FIELDS[f] ?? f) : f));
  // hostregexp is one string, converted to a one-entry list.
  return out[2] === 'hostregexp' ? out.slice(0, 3) : out;
}

function isRegExp(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function validate(
  o: Record<string, unknown>,
  file: string,
  doc: Document | undefined,
  lc: LineCounter | undefined,
  converted: boolean,
): GatewayConfig {
  const bad = (field: (string | number)[], msg: string): never =>
    fail(file, doc, lc, converted ? apertureField(field) : field, msg);
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
  const bool = (v: unknown, f: (string | number)[]): boolean | undefined => {
    if (v !== undefined && typeof v !== 'boolean') bad(f, 'must be true or false');
    return v as boolean | undefined;
  };
  const mapping = (v: unknown, f: (string | number)[], keys: string[]): Record<string, unknown> => {
    if (!isObject(v)) return bad(f, `must be a mapping (${keys.join(', ')})`);
    for (const k of Object.keys(v))
      if (!keys.includes(k)) bad([...f, k], `unknown setting (known: ${keys.join(', ')})`);
    return v;
  };
  const secret = (v: unknown, f: (string | number)[]): SecretSource | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const s = v as Record<string, unknown>;
      const only = (...keys: string[]) => Object.keys(s).every((k) => keys.includes(k));
      if (typeof s.env === 'string' && only('env')) return { env: s.env };
      if (typeof s.file === 'string' && s.encoding === undefined && only('file')) return { file: s.file };
      if (typeof s.file === 'string' && (s.encoding === 'hex' || s.encoding === 'base64'))
        if (only('file', 'encoding')) return { file: s.file, encoding: s.encoding };
    }
    return bad(f, 'must be a string, {env: NAME} or {file: PATH, encoding?: hex|base64}');
  };
  const cfg: GatewayConfig = {
    listen: str(o.listen, ['listen'], '127.0.0.1:8402'),
    backend: str(o.backend, ['backend'], 'dev'),
    store: str(o.store, ['store'], 'sqlite:farebox.db'),
    services: [],
  };
  if (
    !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/.test(cfg.listen) ||
    Number(cfg.listen.slice(cfg.listen.lastIndexOf(':') + 1)) > 65535
  )
    bad(['listen'], 'must be host:port (e.g. 127.0.0.1:8402)');
  try {
    parseConnection(cfg.backend);
  } catch (e) {
    bad(['backend'], `${(e as Error).message} (dev, lnd+rest://…, lnd+grpc://…, lnbits://…, …)`);
  }
  if (!/^(memory|sqlite:.+|redis(s)?:\/\/.+|postgres(ql)?:\/\/.+)$/.test(cfg.store))
    bad(['store'], 'must be memory, sqlite:<path>, redis://… or postgres://…');
  if (o.tls !== undefined) {
    const t = mapping(o.tls, ['tls'], ['cert', 'key']);
    cfg.tls = { cert: str(t.cert, ['tls', 'cert']), key: str(t.key, ['tls', 'key']) };
  }
  if (bool(o.h2c, ['h2c']) !== undefined) cfg.h2c = o.h2c === true;
  const sec = secret(o.secret, ['secret']);
  if (sec !== undefined) cfg.secret = sec;
  const exp = num(o.invoiceExpirySeconds, ['invoiceExpirySeconds'], 1);
  if (exp !== undefined) cfg.invoiceExpirySeconds = exp;
  if (bool(o.trustProxy, ['trustProxy']) !== undefined) cfg.trustProxy = o.trustProxy === true;
  if (o.metrics !== undefined) {
    const m = mapping(o.metrics, ['metrics'], ['enabled', 'listen']);
    cfg.metrics = { enabled: bool(m.enabled, ['metrics', 'enabled']) !== false };
    if (m.listen !== undefined) cfg.metrics.listen = str(m.listen, ['metrics', 'listen']);
  }
  if (o.memory !== undefined) {
    const m = mapping(o.memory, ['memory'], ['heapGrowingPercent']);
    const g = num(m.heapGrowingPercent, ['memory', 'heapGrowingPercent'], 0);
    if (g !== undefined && (!Number.isInteger(g) || g > 1000))
      bad(['memory', 'heapGrowingPercent'], 'must be a whole number from 0 to 1000');
    cfg.memory = g === undefined ? {} : { heapGrowingPercent: g };
  }
  if (o.admin !== undefined) {
    const a = mapping(o.admin, ['admin'], ['enabled', 'token', 'listen']);
    cfg.admin = { enabled: bool(a.enabled, ['admin', 'enabled']) === true };
    const tok = secret(a.token, ['admin', 'token']);
    if (tok !== undefined) cfg.admin.token = tok;
    if (a.listen !== undefined) cfg.admin.listen = str(a.listen, ['admin', 'listen']);
    if (cfg.admin.enabled && !cfg.admin.token)
      bad(['admin', 'token'], 'the admin API needs a token ({env: NAME} or {file: PATH})');
  }
  if (o.title !== undefined) cfg.title = str(o.title, ['title']);
  if (o.description !== undefined) cfg.description = str(o.description, ['description']);
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
      if (!isRegExp(path.slice(1))) bad(f('path'), 'is not a valid regular expression');
    } else if (!path.startsWith('/')) bad(f('path'), 'must start with / (or ~ for a regular expression)');
    let price: ServiceConfig['price'];
    if (typeof s.price === 'number') {
      if (!(s.price >= 0)) bad(f('price'), 'must be ≥ 0');
      price = s.price;
    } else if (isObject(s.price) && 'msat' in s.price) {
      const msat = s.price.msat;
      if (typeof msat !== 'number' || !Number.isSafeInteger(msat) || msat < 0)
        bad(f('price', 'msat'), 'must be a whole number of millisatoshis ≥ 0');
      price = { msat: msat as number };
    } else if (isObject(s.price) && 'hook' in s.price) {
      const hook = s.price.hook;
      if (typeof hook !== 'string' || !/^https?:\/\/./.test(hook))
        bad(f('price', 'hook'), 'must be an http:// or https:// URL');
      price = { hook: hook as string };
    } else if (s.price === undefined && s.auth === 'off') {
      price = 0;
    } else {
      price = bad(f('price'), 'must be sats (number), {msat: n} or {hook: URL}');
    }
    const svc: ServiceConfig = { name, path, upstream: upstream.replace(/\/$/, ''), price };
    if (s.hosts !== undefined) {
      if (!Array.isArray(s.hosts) || !s.hosts.every((h) => typeof h === 'string'))
        bad(f('hosts'), 'must be a list of host names');
      (s.hosts as string[]).forEach((h, j) => {
        if (h.startsWith('~') && !isRegExp(h.slice(1)))
          bad(f('hosts', j), 'is not a valid regular expression');
      });
      svc.hosts = s.hosts as string[];
    }
    if (s.methods !== undefined) {
      if (!Array.isArray(s.methods) || !s.methods.every((m) => typeof m === 'string'))
        bad(f('methods'), 'must be a list of methods');
      svc.methods = (s.methods as string[]).map((m) => m.toUpperCase());
    }
    if (s.rewrite !== undefined) {
      if (!isObject(s.rewrite)) bad(f('rewrite'), 'must be {stripPrefix: PATH} or {from: REGEXP, to: TEXT}');
      const rw = s.rewrite as Record<string, unknown>;
      for (const k of Object.keys(rw))
        if (!['stripPrefix', 'from', 'to'].includes(k)) bad(f('rewrite', k), 'unknown rewrite setting');
      for (const k of ['stripPrefix', 'from', 'to'])
        if (rw[k] !== undefined && typeof rw[k] !== 'string') bad(f('rewrite', k), 'must be a string');
      if (rw.from !== undefined && !isRegExp(rw.from))
        bad(f('rewrite', 'from'), 'is not a valid regular expression');
      svc.rewrite = rw as ServiceConfig['rewrite'] & object;
    }
    if (s.headers !== undefined) {
      if (!isObject(s.headers)) bad(f('headers'), 'must be a mapping of header names to values');
      const h: Record<string, SecretSource> = {};
      for (const [k, v] of Object.entries(s.headers as Record<string, unknown>))
        h[k] = secret(v, f('headers', k))!;
      svc.headers = h;
    }
    if (s.policy !== undefined) {
      const p = s.policy as unknown;
      if (p === 'per-request') svc.policy = 'per-request';
      else if (isObject(p) && 'pass' in p) {
        mapping(p, f('policy'), ['pass']);
        if (typeof p.pass !== 'number' || !(p.pass > 0)) bad(f('policy', 'pass'), 'must be seconds > 0');
        svc.policy = { pass: p.pass as number };
      } else if (isObject(p) && 'credits' in p) {
        mapping(p, f('policy'), ['credits']);
        if (!Number.isInteger(p.credits) || (p.credits as number) < 1)
          bad(f('policy', 'credits'), 'must be a whole number ≥ 1');
        svc.policy = { credits: p.credits as number };
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
        if (!isRegExp(p)) bad(f('freePaths', j), 'is not a valid regular expression');
      });
      svc.freePaths = (s.freePaths as unknown[]).map(String);
    }
    if (s.capabilities !== undefined) {
      if (!Array.isArray(s.capabilities) || !s.capabilities.every((c) => typeof c === 'string'))
        bad(f('capabilities'), 'must be a list of names');
      svc.capabilities = s.capabilities as string[];
    }
    const vs = num(s.validSeconds, f('validSeconds'), 1);
    if (vs !== undefined) svc.validSeconds = vs;
    const mb = num(s.maxBodyBytes, f('maxBodyBytes'), 0);
    if (mb !== undefined) svc.maxBodyBytes = mb;
    const ts = num(s.timeoutSeconds, f('timeoutSeconds'), 0.001);
    if (ts !== undefined) svc.timeoutSeconds = ts;
    if (s.rateLimit !== undefined) {
      if (!isObject(s.rateLimit)) bad(f('rateLimit'), 'must be {perIp: …, perToken: …}');
      for (const [k, v] of Object.entries(s.rateLimit as Record<string, unknown>)) {
        if (k !== 'perIp' && k !== 'perToken') bad(f('rateLimit', k), 'unknown setting (perIp, perToken)');
        const ok =
          isObject(v) &&
          Number.isInteger(v.limit) &&
          (v.limit as number) >= 1 &&
          typeof v.windowSeconds === 'number' &&
          v.windowSeconds > 0 &&
          Object.keys(v).every((x) => x === 'limit' || x === 'windowSeconds');
        if (!ok) bad(f('rateLimit', k), 'must be {limit: n ≥ 1, windowSeconds: s > 0}');
      }
      svc.rateLimit = s.rateLimit as ServiceConfig['rateLimit'] & object;
    }
    if (bool(s.forwardCredential, f('forwardCredential')) !== undefined)
      svc.forwardCredential = s.forwardCredential === true;
    if (s.description !== undefined) svc.description = str(s.description, f('description'));
    if (s.requestSchema !== undefined) {
      if (!isObject(s.requestSchema)) bad(f('requestSchema'), 'must be a JSON Schema object');
      svc.requestSchema = s.requestSchema as Record<string, unknown>;
    }
    cfg.services.push(svc);
  }
  return cfg;
}

export { isMap, isSeq };
