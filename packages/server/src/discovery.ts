/**
 * Discovery, generated from the route table so it never drifts from what is enforced:
 * `/.well-known/l402-services` (JSON), `/llms.txt` (for language-model agents), an OpenAPI
 * 3.1 document whose paid operations carry their price (`x-l402`), and the value of the
 * DNS TXT record `l402._payment.<domain>` for the operator to publish.
 *
 * @module
 */
import type { CompiledRoute } from './routes.js';
import type { Price, TokenPolicy } from './types.js';

/** Discovery options. */
export interface DiscoveryOptions {
  title?: string;
  description?: string;
  /** Public base URL (default: from the request). */
  baseUrl?: string;
  /** Network of the Lightning backend (`mainnet`, `regtest`, …). */
  network?: string;
  /** E.g. "dev node: no real money". */
  notice?: string;
}

/** One service as discovery lists it. */
export interface DiscoveredService {
  name: string;
  method: string;
  path: string;
  description?: string;
  /** Fixed price in sats, or null when it depends on the request. */
  price_sats: number | null;
  pricing: 'fixed' | 'dynamic' | 'free';
  policy: TokenPolicy | { type: 'free' };
  free_per_day?: number;
  request_schema?: Record<string, unknown>;
  capabilities?: string[];
}

function fixedSats(p: Price | undefined): number | null {
  if (p === undefined) return 0;
  if (typeof p === 'number') return p;
  if (typeof p === 'function') return null;
  return Number(BigInt(p.msat)) / 1000;
}

/** The services of a route table. */
export function listServices(routes: readonly CompiledRoute[]): DiscoveredService[] {
  return routes.map((r) => {
    const c = r.config;
    const free = c.free === true || c.price === 0;
    const s: DiscoveredService = {
      name: r.service,
      method: r.method === '*' ? 'ANY' : r.method,
      path: c.path,
      price_sats: free ? 0 : fixedSats(c.price),
      pricing: free ? 'free' : typeof c.price === 'function' ? 'dynamic' : 'fixed',
      policy: free ? { type: 'free' } : (c.policy ?? { type: 'per-request' }),
    };
    if (c.description) s.description = c.description;
    if (c.freePerDay) s.free_per_day = c.freePerDay;
    if (c.requestSchema) s.request_schema = c.requestSchema;
    if (c.capabilities?.length) s.capabilities = c.capabilities;
    return s;
  });
}

/** `/.well-known/l402-services`. */
export function servicesDocument(
  routes: readonly CompiledRoute[],
  o: DiscoveryOptions,
  base: string,
): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    version: 1,
    protocol: 'L402',
    title: o.title ?? 'farebox API',
    base_url: o.baseUrl ?? base,
    network: o.network ?? 'unknown',
    authorization: 'Authorization: L402 <macaroon>:<preimage>',
    challenge: 'WWW-Authenticate: L402 macaroon="…", invoice="…", version="0", token="…"',
    services: listServices(routes),
    openapi: `${o.baseUrl ?? base}/openapi.json`,
    llms_txt: `${o.baseUrl ?? base}/llms.txt`,
  };
  if (o.description) doc.description = o.description;
  if (o.notice) doc.notice = o.notice;
  return doc;
}

/** `/llms.txt`: what an agent needs to call and pay. */
export function llmsTxt(routes: readonly CompiledRoute[], o: DiscoveryOptions, base: string): string {
  const url = o.baseUrl ?? base;
  const lines = [`# ${o.title ?? 'farebox API'}`, ''];
  if (o.description) lines.push(`> ${o.description}`, '');
  if (o.notice) lines.push(`Note: ${o.notice}.`, '');
  lines.push(
    'Paid endpoints use L402 (HTTP 402 + Lightning). Call the endpoint; on 402, pay the BOLT11',
    'invoice from the WWW-Authenticate header (or the JSON body), then send the identical request',
    'again with `Authorization: L402 <macaroon>:<preimage>`.',
    '',
    '## Services',
    '',
  );
  for (const s of listServices(routes)) {
    const price =
      s.pricing === 'free'
        ? 'free'
        : s.price_sats === null
          ? 'price depends on the request'
          : `${s.price_sats} sats`;
    lines.push(
      `- ${s.method} ${url}${s.path} — ${price}, ${s.policy.type}${s.description ? `: ${s.description}` : ''}`,
    );
    if (s.request_schema) lines.push(`  request body schema: ${JSON.stringify(s.request_schema)}`);
  }
  lines.push('', `Machine-readable: ${url}/.well-known/l402-services and ${url}/openapi.json`, '');
  return lines.join('\n');
}

/** An OpenAPI 3.1 document; paid operations have a 402 response and `x-l402` with the price. */
export function openApiDocument(
  routes: readonly CompiledRoute[],
  o: DiscoveryOptions,
  base: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const used = new Set<string>();
  const uniqueId = (id: string): string => {
    let out = id;
    for (let n = 2; used.has(out); n++) out = `${id}_${n}`;
    used.add(out);
    return out;
  };
  for (const s of listServices(routes)) {
    const p = s.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{rest}');
    const methods = s.method === 'ANY' ? ['get', 'post'] : [s.method.toLowerCase()];
    for (const m of methods) {
      const op: Record<string, unknown> = {
        operationId: uniqueId(`${m}_${s.name}`.replace(/[^A-Za-z0-9_]/g, '_')),
        summary: s.description ?? s.name,
        responses: {
          '200': { description: 'Success' },
          ...(s.pricing === 'free'
            ? {}
            : {
                '402': {
                  description:
                    'Payment required: pay the invoice in WWW-Authenticate, then retry with Authorization: L402',
                  headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
                },
                '401': { description: 'Invalid credential (a fresh challenge is attached)' },
              }),
        },
      };
      if (s.pricing !== 'free') {
        op.security = [{ L402: [] }];
        op['x-l402'] = { price_sats: s.price_sats, pricing: s.pricing, policy: s.policy, service: s.name };
      }
      if (s.request_schema && m !== 'get') {
        op.requestBody = { required: true, content: { 'application/json': { schema: s.request_schema } } };
        (op.responses as Record<string, unknown>)['400'] = {
          description: 'Invalid request; nothing charged',
        };
      }
      const params = [...s.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((x) => ({
        name: x[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      if (/\/\*$/.test(s.path))
        params.push({ name: 'rest', in: 'path', required: true, schema: { type: 'string' } });
      if (params.length) op.parameters = params;
      paths[p] = { ...(paths[p] ?? {}), [m]: op };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: o.title ?? 'farebox API',
      version: '1.0.0',
      ...(o.description ? { description: o.description } : {}),
    },
    servers: [{ url: o.baseUrl ?? base }],
    paths,
    components: {
      securitySchemes: {
        L402: {
          type: 'http',
          scheme: 'L402',
          description:
            'Authorization: L402 <base64 macaroon>:<hex preimage>, obtained by paying the 402 challenge',
        },
      },
    },
  };
}

/**
 * The TXT record value to publish at `l402._payment.<domain>`.
 *
 * @example
 * ```ts
 * import { dnsTxtRecord } from '@farebox/server';
 * dnsTxtRecord('https://api.example.com'); // 'v=l402; services=https://api.example.com/.well-known/l402-services'
 * ```
 */
export function dnsTxtRecord(baseUrl: string): string {
  return `v=l402; services=${baseUrl.replace(/\/$/, '')}/.well-known/l402-services`;
}
