/**
 * Discovery, through the Paywall as a client sees it: `/.well-known/l402-services`,
 * `/llms.txt` and `/openapi.json` generated from one route table (fixed, dynamic, msat,
 * free and wildcard routes; request schemas; every policy), turned off with
 * `discovery: false`, and the DNS TXT record value.
 */
import { DevNode } from '@farebox/lightning';
import { afterAll, describe, expect, it } from 'vitest';
import { dnsTxtRecord, Paywall, type PaywallOptions, type RouteConfig } from '../src/index.js';

const PROMPT_SCHEMA = {
  type: 'object',
  required: ['prompt'],
  properties: { prompt: { type: 'string', maxLength: 2000 } },
};

const ROUTES: RouteConfig[] = [
  { method: 'GET', path: '/joke', price: 21, description: 'One joke' },
  {
    method: 'POST',
    path: '/api/generate',
    price: (_req, { body }) => 10 + String((body as { prompt?: string })?.prompt ?? '').length,
    requestSchema: PROMPT_SCHEMA,
    policy: { type: 'credits', uses: 5 },
    capabilities: ['fast'],
    description: 'Text generation, priced by prompt length',
  },
  {
    method: 'GET',
    path: '/files/:id',
    price: { msat: 1500n },
    policy: { type: 'pass', validSeconds: 3600 },
    freePerDay: 3,
  },
  { method: 'GET', path: '/health', free: true, description: 'Liveness' },
  { method: 'POST', path: '/api/summarize', price: 5, requestSchema: PROMPT_SCHEMA },
];

const node = new DevNode({ production: false });
afterAll(() => node.close());

function paywall(extra: Partial<PaywallOptions> = {}, routes = ROUTES): Paywall {
  return new Paywall({
    secret: new Uint8Array(32).fill(7),
    lightning: node,
    routes,
    network: 'regtest',
    notice: 'dev node: no real money',
    discovery: { title: 'Joke API', description: 'Jokes & text for sats' },
    ...extra,
  });
}

const app = async () => new Response('from the app', { status: 404 });

async function get(pw: Paywall, path: string): Promise<Response> {
  return pw.handle(new Request(`http://api.test${path}`), app);
}

interface Service {
  name: string;
  method: string;
  path: string;
  price_sats: number | null;
  pricing: string;
  policy: Record<string, unknown>;
  description?: string;
  free_per_day?: number;
  request_schema?: unknown;
  capabilities?: string[];
}

describe('/.well-known/l402-services', () => {
  it('lists every route with its price, pricing, policy and request schema', async () => {
    const res = await get(paywall(), '/.well-known/l402-services');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const doc = (await res.json()) as Record<string, unknown> & { services: Service[] };
    expect(doc).toMatchObject({
      version: 1,
      protocol: 'L402',
      title: 'Joke API',
      description: 'Jokes & text for sats',
      base_url: 'http://api.test',
      network: 'regtest',
      notice: 'dev node: no real money',
      openapi: 'http://api.test/openapi.json',
      llms_txt: 'http://api.test/llms.txt',
    });
    expect(doc.authorization).toBe('Authorization: L402 <macaroon>:<preimage>');
    const by = Object.fromEntries(doc.services.map((s) => [s.path, s]));
    expect(doc.services).toHaveLength(ROUTES.length);
    expect(by['/joke']).toEqual({
      name: 'joke',
      method: 'GET',
      path: '/joke',
      description: 'One joke',
      price_sats: 21,
      pricing: 'fixed',
      policy: { type: 'per-request' },
    });
    expect(by['/api/generate']).toEqual({
      name: 'generate',
      method: 'POST',
      path: '/api/generate',
      description: 'Text generation, priced by prompt length',
      price_sats: null,
      pricing: 'dynamic',
      policy: { type: 'credits', uses: 5 },
      request_schema: PROMPT_SCHEMA,
      capabilities: ['fast'],
    });
    expect(by['/files/:id']).toMatchObject({
      name: 'files',
      price_sats: 1.5,
      pricing: 'fixed',
      policy: { type: 'pass', validSeconds: 3600 },
      free_per_day: 3,
    });
    expect(by['/health']).toMatchObject({ price_sats: 0, pricing: 'free', policy: { type: 'free' } });
  });

  it('uses the configured public base URL over the request origin', async () => {
    const pw = paywall({ discovery: { baseUrl: 'https://api.example.com' } });
    const doc = (await (await get(pw, '/.well-known/l402-services')).json()) as Record<string, unknown>;
    expect(doc.base_url).toBe('https://api.example.com');
    expect(doc.openapi).toBe('https://api.example.com/openapi.json');
    expect(doc.title).toBe('farebox API');
  });
});

describe('/llms.txt', () => {
  it('tells an agent how to pay and lists each service with its price', async () => {
    const res = await get(paywall(), '/llms.txt');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await res.text();
    const lines = text.split('\n');
    expect(lines[0]).toBe('# Joke API');
    expect(lines).toContain('> Jokes & text for sats');
    expect(lines).toContain('Note: dev node: no real money.');
    expect(text).toContain('`Authorization: L402 <macaroon>:<preimage>`');
    expect(lines).toContain('- GET http://api.test/joke — 21 sats, per-request: One joke');
    expect(lines).toContain(
      '- POST http://api.test/api/generate — price depends on the request, credits: Text generation, priced by prompt length',
    );
    expect(lines).toContain(`  request body schema: ${JSON.stringify(PROMPT_SCHEMA)}`);
    expect(lines).toContain('- GET http://api.test/files/:id — 1.5 sats, pass');
    expect(lines).toContain('- GET http://api.test/health — free, free: Liveness');
    expect(text).toContain(
      'Machine-readable: http://api.test/.well-known/l402-services and http://api.test/openapi.json',
    );
  });
});

type Operation = Record<string, unknown> & {
  operationId: string;
  responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
  parameters?: { name: string; in: string; required?: boolean }[];
  security?: Record<string, string[]>[];
  'x-l402'?: Record<string, unknown>;
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
};
type OpenApi = {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The OpenAPI 3.1 rules this document can break; returns the problems found. */
function openApiProblems(doc: OpenApi): string[] {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi version ${doc.openapi}`);
  if (!doc.info?.title || !doc.info?.version) problems.push('info.title and info.version are required');
  const schemes = doc.components?.securitySchemes ?? {};
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`${path}: must start with /`);
    if (/[:*]/.test(path)) problems.push(`${path}: route syntax left in an OpenAPI path`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.has(method)) problems.push(`${where}: not an HTTP method`);
      if (!op.operationId) problems.push(`${where}: no operationId`);
      else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} repeated`);
      ids.add(op.operationId);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [code, r] of Object.entries(op.responses ?? {})) {
        if (!/^[1-5]\d\d$/.test(code)) problems.push(`${where}: response code ${code}`);
        if (typeof r.description !== 'string') problems.push(`${where}: response ${code} has no description`);
      }
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      for (const name of templated) {
        const p = declared.find((x) => x.name === name);
        if (!p) problems.push(`${where}: path parameter {${name}} not declared`);
        else if (p.required !== true) problems.push(`${where}: path parameter {${name}} must be required`);
      }
      for (const p of declared)
        if (!templated.includes(p.name)) problems.push(`${where}: parameter ${p.name} not in the path`);
      for (const req of op.security ?? [])
        for (const name of Object.keys(req))
          if (!schemes[name]) problems.push(`${where}: security scheme ${name} undefined`);
      if (op.requestBody && method === 'get') problems.push(`${where}: GET with a request body`);
    }
  }
  return problems;
}

describe('/openapi.json', () => {
  async function doc(pw = paywall()): Promise<OpenApi> {
    const res = await get(pw, '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    return (await res.json()) as OpenApi;
  }

  it('is structurally valid OpenAPI 3.1 (paths, unique operationIds, declared parameters and schemes)', async () => {
    const d = await doc();
    expect(openApiProblems(d)).toEqual([]);
    expect(d.openapi).toBe('3.1.0');
    expect(d.info).toEqual({ title: 'Joke API', version: '1.0.0', description: 'Jokes & text for sats' });
    expect(d.servers).toEqual([{ url: 'http://api.test' }]);
    expect(Object.keys(d.paths).sort()).toEqual([
      '/api/generate',
      '/api/summarize',
      '/files/{id}',
      '/health',
      '/joke',
    ]);
    expect(d.components.securitySchemes.L402).toMatchObject({ type: 'http', scheme: 'L402' });
  });

  it('marks paid operations with x-l402, the L402 security scheme and 402/401 responses', async () => {
    const d = await doc();
    const joke = d.paths['/joke']!.get!;
    expect(joke['x-l402']).toEqual({
      price_sats: 21,
      pricing: 'fixed',
      policy: { type: 'per-request' },
      service: 'joke',
    });
    expect(joke.security).toEqual([{ L402: [] }]);
    expect(Object.keys(joke.responses).sort()).toEqual(['200', '401', '402']);
    expect(joke.responses['402']!.headers).toHaveProperty('WWW-Authenticate');
    expect(joke.summary).toBe('One joke');

    const gen = d.paths['/api/generate']!.post!;
    expect(gen['x-l402']).toMatchObject({
      price_sats: null,
      pricing: 'dynamic',
      policy: { type: 'credits', uses: 5 },
    });
    expect(gen.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: PROMPT_SCHEMA } },
    });
    expect(gen.responses['400']!.description).toMatch(/nothing charged/);

    const file = d.paths['/files/{id}']!.get!;
    expect(file['x-l402']).toMatchObject({ price_sats: 1.5, policy: { type: 'pass', validSeconds: 3600 } });
    expect(file.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
  });

  it('leaves free operations without price, security or 402', async () => {
    const health = (await doc()).paths['/health']!.get!;
    expect(health['x-l402']).toBeUndefined();
    expect(health.security).toBeUndefined();
    expect(Object.keys(health.responses)).toEqual(['200']);
  });

  it('gives an any-method route a GET and a POST operation with distinct operationIds', async () => {
    const d = await doc(paywall({}, [{ path: '/echo', price: 1 }]));
    expect(Object.keys(d.paths['/echo']!).sort()).toEqual(['get', 'post']);
    expect(openApiProblems(d)).toEqual([]);
  });

  it('declares the {rest} parameter of a wildcard route', async () => {
    expect(openApiProblems(await doc(paywall({}, [{ method: 'GET', path: '/v1/*', price: 2 }])))).toEqual([]);
  });
  it('keeps operationIds unique when routes share a service name', async () => {
    const shared: RouteConfig[] = [
      { method: 'GET', path: '/a', price: 1, service: 'api' },
      { method: 'GET', path: '/b', price: 1, service: 'api' },
    ];
    expect(openApiProblems(await doc(paywall({}, shared)))).toEqual([]);
  });
});

describe('discovery: false', () => {
  it('lets the three paths fall through to routing (here: the app answers)', async () => {
    const pw = paywall({ discovery: false });
    for (const path of ['/.well-known/l402-services', '/llms.txt', '/openapi.json']) {
      const d = await pw.decide(new Request(`http://api.test${path}`));
      expect(d.type, path).toBe('pass');
      const res = await get(pw, path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe('from the app');
    }
  });

  it('still paywalls a route that happens to match a discovery path', async () => {
    const pw = paywall({ discovery: false }, [{ method: 'GET', path: '/openapi.json', price: 3 }]);
    const res = await get(pw, '/openapi.json');
    expect(res.status).toBe(402);
    expect(res.headers.get('www-authenticate')).toMatch(/^L402 /);
  });

  it('discovery wins over a route on the same path while it is on', async () => {
    const pw = paywall({}, [{ method: 'GET', path: '/llms.txt', price: 3 }]);
    const res = await get(pw, '/llms.txt');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('- GET http://api.test/llms.txt — 3 sats');
  });
});

describe('dnsTxtRecord', () => {
  it('points at the services document, with or without a trailing slash', () => {
    const want = 'v=l402; services=https://api.example.com/.well-known/l402-services';
    expect(dnsTxtRecord('https://api.example.com')).toBe(want);
    expect(dnsTxtRecord('https://api.example.com/')).toBe(want);
    expect(dnsTxtRecord('http://127.0.0.1:8080')).toBe(
      'v=l402; services=http://127.0.0.1:8080/.well-known/l402-services',
    );
  });
});
