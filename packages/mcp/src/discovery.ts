/**
 * The discovery client: what an L402 host sells, read from what farebox servers (and others)
 * publish: `/.well-known/l402-services` (JSON), else an OpenAPI document whose paid
 * operations carry `x-l402`, else `/llms.txt` as text; and, for a domain name, the DNS TXT
 * record `l402._payment.<domain>` (`v=l402; services=<url>`), which may point at the
 * services document.
 *
 * Every fetch goes through the caller's `fetch` (the SSRF guard in the MCP server), and every
 * document is read up to a size cap.
 *
 * @module
 */
import { resolveTxt as dnsResolveTxt } from 'node:dns/promises';
import { readCapped } from './body.js';
import { isIpLiteral } from './ip.js';
import type { FetchFn } from './ssrf.js';

/** Resolves TXT records: one array of strings per record (injectable for tests). */
export type ResolveTxt = (name: string) => Promise<string[][]>;

/** How a token bought for a service may be used. */
export interface ServicePolicy {
  type: string;
  valid_seconds?: number;
  uses?: number;
}

/** One service a host sells. */
export interface ServiceInfo {
  name: string;
  method: string;
  path: string;
  url: string;
  description?: string;
  /** Fixed price, or null when it depends on the request. */
  price_sats: number | null;
  pricing: string;
  policy?: ServicePolicy;
  free_per_day?: number;
  request_schema?: Record<string, unknown>;
}

/** What discovery found. */
export interface DiscoveryResult {
  base_url: string;
  /** Where the services came from. */
  source: 'well-known' | 'openapi' | 'llms.txt' | 'none';
  title?: string;
  description?: string;
  network?: string;
  notice?: string;
  services: ServiceInfo[];
  /** The llms.txt text, when nothing structured was found (cut at 20 000 characters). */
  llms_txt?: string;
  /** The DNS TXT record, when a domain name was given. */
  dns?: { name: string; records: string[]; services_url?: string; error?: string };
  /** What could not be read, and why. */
  warnings: string[];
}

/** Discovery options. */
export interface DiscoverOptions {
  fetch: FetchFn;
  /** TXT lookups (default: `node:dns/promises` resolveTxt). */
  resolveTxt?: ResolveTxt;
  /** Largest document read, bytes (default 1 MiB). */
  maxBytes?: number;
}

const LLMS_MAX = 20_000;

/**
 * Parses an `l402._payment` TXT value: `v=l402; services=<url>`.
 *
 * @example
 * ```ts
 * import { parseL402Txt } from '@farebox/mcp';
 * parseL402Txt('v=l402; services=https://api.example.com/.well-known/l402-services');
 * // { version: 'l402', services: 'https://api.example.com/.well-known/l402-services' }
 * ```
 */
export function parseL402Txt(value: string): { version: string; services?: string } | undefined {
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  const v = fields.get('v');
  if (v?.toLowerCase() !== 'l402') return undefined;
  const out: { version: string; services?: string } = { version: 'l402' };
  const s = fields.get('services');
  if (s && /^https?:\/\//i.test(s)) out.services = s;
  return out;
}

/** Where to look: the base URL, and the domain for DNS when a bare domain name was given. */
export function discoveryTarget(urlOrDomain: string): { base: string; domain?: string } {
  const input = urlOrDomain.trim();
  if (!input) throw new TypeError('"url_or_domain" must not be empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    const u = new URL(input);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new TypeError('"url_or_domain" must be http(s)');
    return { base: u.origin };
  }
  const u = new URL(`http://${input}`);
  const host = u.hostname;
  const local = host === 'localhost' || isIpLiteral(host);
  if (local) return { base: `http://${u.host}` };
  return { base: `https://${u.host}`, domain: host };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function policyOf(v: unknown): ServicePolicy | undefined {
  const p = obj(v);
  const type = str(p?.type);
  if (!p || !type) return undefined;
  const out: ServicePolicy = { type };
  const valid = num(p.validSeconds) ?? num(p.valid_seconds);
  if (valid !== undefined) out.valid_seconds = valid;
  const uses = num(p.uses);
  if (uses !== undefined) out.uses = uses;
  return out;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** Services of a `/.well-known/l402-services` document. */
export function servicesFromWellKnown(doc: Record<string, unknown>, base: string): ServiceInfo[] {
  const list = Array.isArray(doc.services) ? doc.services : [];
  const out: ServiceInfo[] = [];
  for (const item of list) {
    const s = obj(item);
    const path = str(s?.path);
    if (!s || !path) continue;
    const info: ServiceInfo = {
      name: str(s.name) ?? path,
      method: (str(s.method) ?? 'ANY').toUpperCase(),
      path,
      url: joinUrl(base, path),
      price_sats: s.price_sats === null ? null : (num(s.price_sats) ?? null),
      pricing: str(s.pricing) ?? (num(s.price_sats) === 0 ? 'free' : 'fixed'),
    };
    const d = str(s.description);
    if (d) info.description = d;
    const p = policyOf(s.policy);
    if (p) info.policy = p;
    const f = num(s.free_per_day);
    if (f !== undefined) info.free_per_day = f;
    const rs = obj(s.request_schema);
    if (rs) info.request_schema = rs;
    out.push(info);
  }
  return out;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Paid operations of an OpenAPI document (those with `x-l402`). */
export function servicesFromOpenApi(doc: Record<string, unknown>, base: string): ServiceInfo[] {
  const paths = obj(doc.paths) ?? {};
  const server = str(obj(Array.isArray(doc.servers) ? doc.servers[0] : undefined)?.url);
  const root = server && /^https?:\/\//.test(server) ? server : base;
  const out: ServiceInfo[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const m of HTTP_METHODS) {
      const op = obj(obj(item)?.[m]);
      const x = obj(op?.['x-l402']);
      if (!op || !x) continue;
      const info: ServiceInfo = {
        name: str(x.service) ?? str(op.operationId) ?? `${m} ${path}`,
        method: m.toUpperCase(),
        path,
        url: joinUrl(root, path),
        price_sats: x.price_sats === null ? null : (num(x.price_sats) ?? null),
        pricing: str(x.pricing) ?? 'fixed',
      };
      const d = str(op.summary) ?? str(op.description);
      if (d) info.description = d;
      const p = policyOf(x.policy);
      if (p) info.policy = p;
      const schema = obj(obj(obj(obj(op.requestBody)?.content)?.['application/json'])?.schema);
      if (schema) info.request_schema = schema;
      out.push(info);
    }
  }
  return out;
}

/**
 * Finds what a host sells.
 *
 * @example
 * ```ts
 * import { discover } from '@farebox/mcp';
 * const found = await discover('api.example.com', { fetch });
 * for (const s of found.services) console.log(s.method, s.url, s.price_sats);
 * ```
 */
export async function discover(urlOrDomain: string, o: DiscoverOptions): Promise<DiscoveryResult> {
  const { base, domain } = discoveryTarget(urlOrDomain);
  const maxBytes = o.maxBytes ?? 1024 * 1024;
  const result: DiscoveryResult = { base_url: base, source: 'none', services: [], warnings: [] };

  let servicesUrl = `${base}/.well-known/l402-services`;
  if (domain) {
    const name = `l402._payment.${domain}`;
    const dns: NonNullable<DiscoveryResult['dns']> = { name, records: [] };
    try {
      const records = (await (o.resolveTxt ?? dnsResolveTxt)(name)).map((r) => r.join(''));
      dns.records = records.filter((r) => /^\s*v=l402\b/i.test(r));
      const parsed = dns.records.map(parseL402Txt).find((p) => p?.services);
      if (parsed?.services) {
        dns.services_url = parsed.services;
        servicesUrl = parsed.services;
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      dns.error =
        code === 'ENOTFOUND' || code === 'ENODATA' ? 'no TXT record' : `lookup failed (${code ?? 'error'})`;
    }
    result.dns = dns;
  }

  const get = async (url: string, accept: string): Promise<{ text: string; type: string } | undefined> => {
    const res = await o.fetch(url, { headers: { accept } });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      result.warnings.push(`GET ${url}: HTTP ${res.status}`);
      return undefined;
    }
    const { bytes, truncated } = await readCapped(res, maxBytes);
    if (truncated) result.warnings.push(`GET ${url}: larger than ${maxBytes} bytes, cut`);
    return { text: new TextDecoder().decode(bytes), type: res.headers.get('content-type') ?? '' };
  };
  const getJson = async (url: string): Promise<Record<string, unknown> | undefined> => {
    const r = await get(url, 'application/json');
    if (!r) return undefined;
    try {
      const v = obj(JSON.parse(r.text));
      if (!v) result.warnings.push(`GET ${url}: not a JSON object`);
      return v;
    } catch {
      result.warnings.push(`GET ${url}: not JSON`);
      return undefined;
    }
  };

  const wk = await getJson(servicesUrl);
  if (wk && Array.isArray(wk.services)) {
    const docBase = str(wk.base_url);
    const b = docBase && /^https?:\/\//.test(docBase) ? docBase.replace(/\/$/, '') : base;
    result.base_url = b;
    result.source = 'well-known';
    result.services = servicesFromWellKnown(wk, b);
    for (const k of ['title', 'description', 'network', 'notice'] as const) {
      const v = str(wk[k]);
      if (v) result[k] = v;
    }
    return result;
  }
  const oa = await getJson(`${base}/openapi.json`);
  const oaServices = oa ? servicesFromOpenApi(oa, base) : [];
  if (oa && oaServices.length) {
    result.source = 'openapi';
    result.services = oaServices;
    const info = obj(oa.info);
    const t = str(info?.title);
    if (t) result.title = t;
    const d = str(info?.description);
    if (d) result.description = d;
    return result;
  }
  const llms = await get(`${base}/llms.txt`, 'text/plain, text/markdown');
  if (llms) {
    result.source = 'llms.txt';
    result.llms_txt = llms.text.length > LLMS_MAX ? `${llms.text.slice(0, LLMS_MAX)}\n…(cut)` : llms.text;
  }
  return result;
}
