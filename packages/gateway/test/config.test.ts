/**
 * The gateway configuration: YAML and JSON, errors that name the file, line and field, the
 * JSON Schema (equal to `gateway.schema.json`, and agreeing with the validator on the
 * examples and on each kind of mistake), Aperture configs recognised and converted, and
 * `farebox gateway --check` through the CLI's `main()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FareboxError } from '@farebox/core';
import { parseConnection } from '@farebox/lightning';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/src/main.js';
import {
  fromApertureConfig,
  type GatewayConfig,
  gatewaySchema,
  loadConfig,
  looksLikeAperture,
  parseConfig,
  regexpLabel,
  serviceRoutes,
} from '../src/index.js';
import { ROOT, tempDir } from './support/gateway.js';

const EXAMPLES = join(ROOT, 'examples/gateway');

/** The message and data of the error `parseConfig` throws for `text`. */
function errorOf(text: string, file = 'gw.yaml'): { message: string; line?: number; field?: string } {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(FareboxError);
    const fe = e as FareboxError;
    expect(fe.code).toBe('CONFIG_INVALID');
    const data = fe.data as { line?: number; field?: string };
    return { message: fe.message, ...data };
  }
  throw new Error('expected a configuration error');
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const schemaValid = ajv.compile(gatewaySchema);

describe('valid configurations', () => {
  it('reads YAML with defaults filled in', () => {
    const cfg = parseConfig(
      [
        'services:',
        '  - name: jokes',
        '    path: /joke',
        '    upstream: http://127.0.0.1:9000/',
        '    price: 21',
      ].join('\n'),
    );
    expect(cfg).toEqual({
      listen: '127.0.0.1:8402',
      backend: 'dev',
      store: 'sqlite:farebox.db',
      services: [{ name: 'jokes', path: '/joke', upstream: 'http://127.0.0.1:9000', price: 21 }],
    } satisfies GatewayConfig);
  });

  it('reads JSON (a YAML subset) with every kind of setting', () => {
    const json = {
      $schema: './gateway.schema.json',
      listen: '[::1]:9443',
      tls: { cert: '/tls/cert.pem', key: '/tls/key.pem' },
      backend: 'lnd+rest://127.0.0.1:8080?macaroon=/lnd/invoice.macaroon&cert=/lnd/tls.cert',
      store: 'redis://127.0.0.1:6379',
      secret: { file: '/run/secrets/farebox' },
      invoiceExpirySeconds: 300,
      trustProxy: true,
      metrics: { enabled: true, listen: '127.0.0.1:9100' },
      admin: { enabled: true, token: { env: 'ADMIN_TOKEN' } },
      title: 'T',
      description: 'D',
      services: [
        {
          name: 'a',
          hosts: ['api.example.com', '~^api-\\d+\\.example\\.com$'],
          path: '~^/v1/(?<id>\\d+)$',
          methods: ['get', 'POST'],
          upstream: 'https://backend.internal:8443/base',
          rewrite: { from: '^/v1', to: '/v2' },
          headers: { 'x-key': { env: 'K' }, 'x-mac': { file: '/m', encoding: 'hex' }, 'x-plain': 'v' },
          price: { hook: 'http://127.0.0.1:7000/price' },
          policy: { credits: 10 },
          auth: 'freebie 5',
          freePaths: ['^/v1/0$'],
          capabilities: ['read', 'write'],
          validSeconds: 600,
          rateLimit: { perIp: { limit: 10, windowSeconds: 1 }, perToken: { limit: 5, windowSeconds: 60 } },
          maxBodyBytes: 2048,
          timeoutSeconds: 2.5,
          forwardCredential: true,
          description: 'service a',
          requestSchema: { type: 'object' },
        },
        { name: 'b', upstream: 'http://127.0.0.1:1', price: { msat: 1500 }, policy: { pass: 60 } },
        { name: 'c', upstream: 'http://127.0.0.1:1', auth: 'off' },
      ],
    };
    const cfg = parseConfig(JSON.stringify(json, null, 2), 'gw.json');
    expect(schemaValid(json)).toBe(true);
    expect(cfg.listen).toBe('[::1]:9443');
    expect(cfg.secret).toEqual({ file: '/run/secrets/farebox' });
    expect(cfg.services[0]).toMatchObject({
      methods: ['GET', 'POST'],
      upstream: 'https://backend.internal:8443/base',
      policy: { credits: 10 },
      headers: { 'x-key': { env: 'K' }, 'x-mac': { file: '/m', encoding: 'hex' }, 'x-plain': 'v' },
    });
    expect(cfg.services[1]).toMatchObject({ path: '/*', price: { msat: 1500 }, policy: { pass: 60 } });
    expect(cfg.services[2]).toMatchObject({ price: 0, auth: 'off' });
  });

  it('loads the sample configuration in examples/gateway, which the schema accepts', async () => {
    const cfg = await loadConfig(join(EXAMPLES, 'farebox.yaml'));
    expect(cfg.source).toBe(join(EXAMPLES, 'farebox.yaml'));
    expect(cfg.services.map((s) => s.name)).toEqual(['status', 'forecast', 'tiles', 'geocode']);
    expect(cfg.secret).toEqual({ env: 'FAREBOX_SECRET' });
    const { parse } = await import('yaml');
    const raw = parse(readFileSync(join(EXAMPLES, 'farebox.yaml'), 'utf8')) as unknown;
    expect(schemaValid(raw), JSON.stringify(schemaValid.errors)).toBe(true);
  });

  it('turns regular expressions into paywall routes labelled for discovery', () => {
    expect(regexpLabel('^/api/free/')).toBe('/api/free/*');
    expect(regexpLabel('^/re/(?<id>\\d+)$')).toBe('/re/*');
    expect(regexpLabel('^/x$')).toBe('/x');
    expect(regexpLabel('^/.*$')).toBe('/*');
    expect(regexpLabel('freebie')).toBe('/*');
    const routes = serviceRoutes({
      name: 's',
      path: '~^/files/\\d+$',
      upstream: 'http://x',
      price: 1,
      freePaths: ['^/files/0$'],
    });
    expect(routes.map((r) => [r.path, r.free ?? false, r.pathRegExp?.source])).toEqual([
      ['/files/0', true, '^\\/files\\/0$'],
      ['/files/*', false, '^\\/files\\/\\d+$'],
    ]);
  });
});

describe('configuration errors name the file, the line and the field', () => {
  const service = (extra: string[] = []) => [
    'services:',
    '  - name: api',
    '    path: /api/*',
    '    upstream: http://127.0.0.1:9000',
    '    price: 10',
    ...extra,
  ];

  it('an unknown top-level setting', () => {
    const e = errorOf(['listen: 127.0.0.1:8402', 'listne: 1', ...service()].join('\n'));
    expect(e.message).toMatch(/^gw\.yaml:2: listne: unknown setting \(known: listen, tls, /);
    expect(e).toMatchObject({ line: 2, field: 'listne' });
  });

  it('an unknown service setting', () => {
    const e = errorOf(service(['    upstreem: http://x']).join('\n'));
    expect(e.message).toBe('gw.yaml:6: services[0].upstreem: unknown service setting');
  });

  it('a bad price', () => {
    expect(errorOf(service().join('\n').replace('price: 10', 'price: -1')).message).toBe(
      'gw.yaml:5: services[0].price: must be ≥ 0',
    );
    expect(errorOf(service().join('\n').replace('price: 10', 'price: ten')).message).toBe(
      'gw.yaml:5: services[0].price: must be sats (number), {msat: n} or {hook: URL}',
    );
    expect(errorOf(service().join('\n').replace('price: 10', 'price: {msat: 1.5}')).message).toBe(
      'gw.yaml:5: services[0].price.msat: must be a whole number of millisatoshis ≥ 0',
    );
    expect(errorOf(service().join('\n').replace('price: 10', 'price: {hook: ftp://x}')).message).toBe(
      'gw.yaml:5: services[0].price.hook: must be an http:// or https:// URL',
    );
  });

  it('a missing price (unless auth is off)', () => {
    const text = service()
      .filter((l) => !l.includes('price'))
      .join('\n');
    expect(errorOf(text).message).toBe(
      'gw.yaml:2: services[0].price: must be sats (number), {msat: n} or {hook: URL}',
    );
    expect(() => parseConfig(`${text}\n    auth: "off"`)).not.toThrow();
  });

  it('a bad regular expression: path, free path, host, rewrite', () => {
    expect(errorOf(service().join('\n').replace('path: /api/*', 'path: "~^/api/(unclosed"')).message).toBe(
      'gw.yaml:3: services[0].path: is not a valid regular expression',
    );
    expect(
      errorOf(service(['    freePaths:', '      - "^/ok$"', '      - "[z-a]"']).join('\n')).message,
    ).toBe('gw.yaml:8: services[0].freePaths[1]: is not a valid regular expression');
    expect(errorOf(service(['    hosts: ["~(*)"]']).join('\n')).message).toBe(
      'gw.yaml:6: services[0].hosts[0]: is not a valid regular expression',
    );
    expect(errorOf(service(['    rewrite:', '      from: "+"']).join('\n')).message).toBe(
      'gw.yaml:7: services[0].rewrite.from: is not a valid regular expression',
    );
  });

  it('a missing upstream points at the service it is missing from', () => {
    const text = service()
      .filter((l) => !l.includes('upstream'))
      .join('\n');
    const e = errorOf(text);
    expect(e.message).toBe('gw.yaml:2: services[0].upstream: must be a non-empty string');
    expect(e).toMatchObject({ line: 2, field: 'services[0].upstream' });
    expect(errorOf(service().join('\n').replace('http://127.0.0.1:9000', 'ftp://x')).message).toBe(
      'gw.yaml:4: services[0].upstream: must be an http:// or https:// URL',
    );
  });

  it('duplicate service names', () => {
    const text = [...service(), '  - name: api', '    upstream: http://127.0.0.1:9001', '    price: 1'].join(
      '\n',
    );
    expect(errorOf(text).message).toBe('gw.yaml:6: services[1].name: duplicate service name api');
  });

  it('a bad listen address', () => {
    for (const listen of ['8402', 'localhost', 'host:99999', '1.2.3.4:port']) {
      const e = errorOf([`listen: "${listen}"`, ...service()].join('\n'));
      expect(e.message).toBe('gw.yaml:1: listen: must be host:port (e.g. 127.0.0.1:8402)');
    }
  });

  it('other mistakes: backend, store, policy, auth, rate limit, secret, admin token, syntax', () => {
    const top = (line: string) => errorOf([line, ...service()].join('\n')).message;
    expect(top('backend: lnd+rest://127.0.0.1:8080')).toMatch(/^gw\.yaml:1: backend: .*macaroon/);
    expect(top('store: mysql://x')).toBe(
      'gw.yaml:1: store: must be memory, sqlite:<path>, redis://… or postgres://…',
    );
    expect(top('secret: {env: 1}')).toBe(
      'gw.yaml:1: secret: must be a string, {env: NAME} or {file: PATH, encoding?: hex|base64}',
    );
    expect(top('admin: {enabled: true}')).toBe(
      'gw.yaml:1: admin.token: the admin API needs a token ({env: NAME} or {file: PATH})',
    );
    expect(top('h2c: "yes"')).toBe('gw.yaml:1: h2c: must be true or false');
    const svc = (line: string) => errorOf(service([line]).join('\n')).message;
    expect(svc('    policy: {pass: 0}')).toBe('gw.yaml:6: services[0].policy.pass: must be seconds > 0');
    expect(svc('    policy: {credits: 2, pass: 3}')).toMatch(/^gw\.yaml:6: services\[0\]\.policy\.credits: /);
    expect(svc('    policy: monthly')).toBe(
      'gw.yaml:6: services[0].policy: must be per-request, {pass: seconds} or {credits: n}',
    );
    expect(svc('    auth: freebie')).toBe('gw.yaml:6: services[0].auth: must be on, off or "freebie N"');
    expect(svc('    rateLimit: {perIp: {limit: 0, windowSeconds: 1}}')).toBe(
      'gw.yaml:6: services[0].rateLimit.perIp: must be {limit: n ≥ 1, windowSeconds: s > 0}',
    );
    expect(svc('    name: x')).toMatch(/^gw\.yaml:6: /); // a duplicate key is a YAML error
    expect(errorOf('services: [').message).toMatch(/^gw\.yaml:1: /);
    expect(errorOf('- a list').message).toBe('gw.yaml:1: (root): expected a mapping of settings');
    expect(errorOf('listen: 127.0.0.1:1').message).toBe(
      'gw.yaml:1: services: must list at least one service',
    );
  });

  it('a file that cannot be read', async () => {
    await expect(loadConfig('/nonexistent/gw.yaml')).rejects.toThrow(
      '/nonexistent/gw.yaml: cannot read the file',
    );
  });
});

describe('the JSON Schema', () => {
  it('is what gateway.schema.json holds', () => {
    const file = JSON.parse(
      readFileSync(join(ROOT, 'packages/gateway/gateway.schema.json'), 'utf8'),
    ) as unknown;
    expect(file).toEqual(gatewaySchema);
  });

  it('is a valid draft 2020-12 schema that rejects what the validator rejects', () => {
    expect(ajv.validateSchema(gatewaySchema)).toBe(true);
    const base = {
      services: [{ name: 'api', path: '/api/*', upstream: 'http://127.0.0.1:9000', price: 10 }],
    };
    expect(schemaValid(base)).toBe(true);
    const svc = (over: Record<string, unknown>) => ({ services: [{ ...base.services[0], ...over }] });
    const bad: unknown[] = [
      { ...base, listne: 1 },
      { ...base, listen: '8402' },
      { ...base, store: 'mysql://x' },
      { ...base, admin: { enabled: true } },
      { ...base, memory: { heapGrowingPercent: -1 } },
      { ...base, memory: { heapGrowingPercent: 2.5 } },
      { ...base, memory: { heapGrowingPercent: 5000 } },
      { ...base, memory: { heapGrowth: 20 } },
      { services: [] },
      svc({ upstreem: 'x' }),
      svc({ price: -1 }),
      svc({ price: { msat: 1.5 } }),
      svc({ price: undefined }),
      svc({ name: 'a_b' }),
      svc({ upstream: 'ftp://x' }),
      svc({ path: 'api' }),
      svc({ policy: { pass: 0 } }),
      svc({ policy: { credits: 2, pass: 3 } }),
      svc({ auth: 'freebie' }),
      svc({ rateLimit: { perIp: { limit: 0, windowSeconds: 1 } } }),
      svc({ headers: { x: { env: 1 } } }),
    ];
    for (const b of bad) {
      const text = JSON.stringify(b);
      expect(schemaValid(JSON.parse(text)), text).toBe(false);
      expect(() => parseConfig(text), text).toThrow(FareboxError);
    }
    expect(schemaValid(svc({ price: undefined, auth: 'off' }))).toBe(true);
    for (const g of [0, 20, 1000]) {
      const text = JSON.stringify({ ...base, memory: { heapGrowingPercent: g } });
      expect(schemaValid(JSON.parse(text))).toBe(true);
      expect(parseConfig(text).memory).toEqual({ heapGrowingPercent: g });
    }
  });
});

/** An Aperture v0.5 configuration, as in its sample-conf.yaml. */
const APERTURE = `# Aperture's sample-conf.yaml, trimmed
listenaddr: "localhost:8081"
staticroot: "./static"
servestatic: false
debuglevel: "debug"
autocert: false
servername: aperture.example.com
authenticator:
  network: "regtest"
  disable: false
  lndhost: "localhost:10009"
  tlspath: "/path/to/lnd/tls.cert"
  macdir: "/path/to/lnd/data/chain/bitcoin/regtest"
dbbackend: "sqlite"
sqlite:
  dbfile: "/path/to/.aperture/aperture.db"
services:
  - name: "service1"
    hostregexp: '^service1.com$'
    pathregexp: '^/.*$'
    address: "127.0.0.1:10010"
    protocol: https
    auth: "freebie 2"
    authwhitelistpaths:
      - '^/freebieservice.*$'
    timeout: 31557600
    capabilities: "add,subtract"
    constraints:
      "valid_until": 1682483169
    price: 0
    headers:
      X-Api-Key: "sk-123"
      Grpc-Metadata-Macaroon: "!file+hex:/path/to/upstream.macaroon"
  - name: "service_two"
    hostregexp: '.*'
    pathregexp: '^/two/.*$'
    address: "127.0.0.1:8082"
    protocol: http
    price: 5
prometheus:
  enabled: true
  listenaddr: "localhost:9000"
`;

describe('Aperture configurations', () => {
  it('are recognised by their keys', async () => {
    const { parse } = await import('yaml');
    expect(looksLikeAperture(parse(APERTURE) as Record<string, unknown>)).toBe(true);
    expect(looksLikeAperture({ services: [{ name: 'x', address: '1:2' }] })).toBe(true);
    expect(looksLikeAperture({ listen: ':1', services: [{ name: 'x', upstream: 'http://x' }] })).toBe(false);
  });

  it('are converted: lnd gRPC backend with invoice.macaroon, services mapped', () => {
    const cfg = parseConfig(APERTURE, 'aperture.yaml');
    expect(cfg.listen).toBe('127.0.0.1:8081');
    expect(cfg.backend).toBe(
      'lnd+grpc://127.0.0.1:10009?macaroon=/path/to/lnd/data/chain/bitcoin/regtest/invoice.macaroon&cert=/path/to/lnd/tls.cert',
    );
    expect(parseConnection(cfg.backend)).toEqual({
      type: 'lnd',
      transport: 'grpc',
      host: '127.0.0.1:10009',
      macaroon: '/path/to/lnd/data/chain/bitcoin/regtest/invoice.macaroon',
      cert: '/path/to/lnd/tls.cert',
    });
    expect(cfg.store).toBe('sqlite:/path/to/.aperture/aperture.db');
    expect(cfg.secret).toEqual({ env: 'FAREBOX_SECRET' });
    expect(cfg.services).toEqual([
      {
        name: 'service1',
        hosts: ['~^service1.com$'],
        path: '~^/.*$',
        upstream: 'https://127.0.0.1:10010',
        price: 1, // Aperture's default when the price is 0
        auth: 'freebie 2',
        freePaths: ['^/freebieservice.*$'],
        capabilities: ['add', 'subtract'],
        validSeconds: 31557600,
        policy: { pass: 31557600 }, // Aperture tokens are good until they expire
        headers: {
          'X-Api-Key': 'sk-123',
          'Grpc-Metadata-Macaroon': { file: '/path/to/upstream.macaroon', encoding: 'hex' },
        },
      },
      {
        name: 'service-two',
        path: '~^/two/.*$',
        upstream: 'http://127.0.0.1:8082',
        price: 5,
        validSeconds: 365 * 24 * 3600,
        policy: { pass: 365 * 24 * 3600 },
      },
    ]);
  });

  it('serve requests with the converted routes (host and path regexps, whitelist)', () => {
    const cfg = parseConfig(APERTURE, 'aperture.yaml');
    const routes = cfg.services.flatMap(serviceRoutes);
    expect(routes.map((r) => [r.service, r.path, r.free ?? false])).toEqual([
      ['service1', '/freebieservice*', true],
      ['service1', '/*', false],
      ['service-two', '/two/*', false],
    ]);
    expect(routes[1]!.hosts).toEqual([/^service1.com$/]);
    expect(routes[1]!.freePerDay).toBe(2);
  });

  it('convert the postgres backend, a disabled authenticator, and a farebox secret', () => {
    const out = fromApertureConfig({
      authenticator: { disable: true },
      dbbackend: 'postgres',
      postgres: { host: 'db', port: 5433, user: 'ap', password: 'p@ss', dbname: 'tokens', requiressl: true },
      services: [{ name: 's', address: '127.0.0.1:1', price: 3, auth: 'on' }],
    });
    expect(out.store).toBe('postgres://ap:p%40ss@db:5433/tokens?sslmode=require');
    expect(out.backend).toBe('dev');
    expect((out.services as { auth: string }[])[0]!.auth).toBe('off'); // Aperture proxied for free
    expect(out.secret).toBeUndefined();
    const withSecret = fromApertureConfig({
      authenticator: { lndhost: 'lnd:10009', macdir: '/m', tlspath: '/t' },
      secret: { file: '/run/secret' },
      services: [],
    });
    expect(withSecret.secret).toEqual({ file: '/run/secret' });
  });

  it('report mistakes with the Aperture field name and line', () => {
    const e = errorOf(APERTURE.replace("pathregexp: '^/two/.*$'", "pathregexp: '^/two/(('"), 'aperture.yaml');
    expect(e.message).toBe('aperture.yaml:36: services[1].pathregexp: is not a valid regular expression');
    const h = errorOf(APERTURE.replace("hostregexp: '^service1.com$'", "hostregexp: '(('"), 'aperture.yaml');
    expect(h.message).toBe('aperture.yaml:19: services[0].hostregexp: is not a valid regular expression');
  });

  it('load the sample Aperture configuration in examples/gateway', async () => {
    const cfg = await loadConfig(join(EXAMPLES, 'aperture.yaml'));
    expect(cfg.backend).toMatch(/^lnd\+grpc:\/\/127\.0\.0\.1:10009\?macaroon=.*\/invoice\.macaroon&cert=/);
    expect(cfg.services.map((s) => [s.name, s.price])).toEqual([
      ['service1', 1],
      ['service2', 5],
    ]);
  });
});

describe('farebox gateway --check', () => {
  async function cli(args: string[]) {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
    return { code, out, err };
  }

  it('validates a configuration and prints the routes it would serve', async () => {
    const dir = tempDir();
    const file = join(dir, 'gw.yaml');
    writeFileSync(
      file,
      [
        'listen: 127.0.0.1:9999',
        'services:',
        '  - {name: jokes, path: /joke, methods: [GET], upstream: "http://127.0.0.1:9000", price: 21}',
        '  - {name: clock, path: /time, upstream: "http://127.0.0.1:9000", price: 5, policy: {pass: 3600}}',
        '  - {name: health, path: /health, upstream: "http://127.0.0.1:9000", auth: "off"}',
      ].join('\n'),
    );
    const r = await cli(['gateway', '--config', file, '--check']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('listen   127.0.0.1:9999');
    expect(r.out).toContain('backend  dev');
    expect(r.out).toMatch(/jokes +GET +\*\/joke +→ +http:\/\/127\.0\.0\.1:9000 +21 sats, per-request/);
    expect(r.out).toMatch(/clock +ANY +\*\/time +→ +http:\/\/127\.0\.0\.1:9000 +5 sats, pass 3600s/);
    expect(r.out).toMatch(/health .* free/);
    expect(r.out).toContain('configuration OK');
    const j = await cli(['gateway', '--config', file, '--check', '--json']);
    expect(j.code).toBe(0);
    expect((JSON.parse(j.out) as GatewayConfig).services).toHaveLength(3);
  });

  it('prints the routes of an Aperture configuration', async () => {
    const r = await cli(['gateway', '--config', join(EXAMPLES, 'aperture.yaml'), '--check']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('backend  lnd+grpc://127.0.0.1:10009?macaroon=***');
    expect(r.out).toMatch(/service1 .*https:\/\/127\.0\.0\.1:10010 +1 sats, pass 31557600s, freebie 2/);
    expect(r.out).toContain('configuration OK');
  });

  it('fails with the file, line and field of a mistake', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'services:\n  - name: api\n    upstream: http://127.0.0.1:1\n    price: -3\n');
    const r = await cli(['gateway', '--config', file, '--check']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`farebox: CONFIG_INVALID: ${file}:4: services[0].price: must be ≥ 0\n`);
  });
});
