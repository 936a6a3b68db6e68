/**
 * The JSON Schema (draft 2020-12) of the gateway configuration, for editors: put
 * `"$schema": "./node_modules/@farebox/gateway/gateway.schema.json"` in a JSON config, or
 * `# yaml-language-server: $schema=…` at the top of a YAML one, and the editor completes
 * and checks keys as you type. `gateway.schema.json` in the package is this object, written
 * out (a test keeps the two equal). {@link parseConfig} remains the authority: it checks
 * the same rules and names the file, line and field of a mistake.
 *
 * @module
 */

const secret = {
  description:
    'A value given inline, or (better, for secrets) read from an environment variable or a file when the gateway starts.',
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      required: ['env'],
      properties: { env: { type: 'string', minLength: 1, description: 'Environment variable name.' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: {
        file: { type: 'string', minLength: 1, description: 'File path; read as text and trimmed.' },
        encoding: {
          enum: ['hex', 'base64'],
          description: "Send the file's raw bytes in this encoding (e.g. a macaroon as hex).",
        },
      },
    },
  ],
} as const;

const rate = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'windowSeconds'],
  properties: {
    limit: { type: 'integer', minimum: 1 },
    windowSeconds: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

const service = {
  type: 'object',
  description: 'One sold service. Services are matched in order: the first match wins.',
  additionalProperties: false,
  required: ['name', 'upstream'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$',
      description: 'Service name, in tokens and metrics (letters, digits, "." or "-").',
    },
    hosts: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'Host names (exact) or "~regexp" entries; none: any host.',
    },
    path: {
      type: 'string',
      pattern: '^[/~]',
      default: '/*',
      description: 'Path pattern ("/api/*", "/files/:id") or "~regexp" (Aperture pathregexp).',
    },
    methods: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Default: any method.' },
    upstream: {
      type: 'string',
      pattern: '^https?://',
      description: 'Upstream base URL, e.g. http://127.0.0.1:9000.',
    },
    rewrite: {
      type: 'object',
      additionalProperties: false,
      properties: {
        stripPrefix: { type: 'string', description: 'Remove this prefix from the path.' },
        from: { type: 'string', description: 'Regular expression replaced in the path…' },
        to: { type: 'string', description: '…by this text ($1, $<name> allowed).' },
      },
    },
    headers: {
      type: 'object',
      description: 'Headers added to upstream requests (replacing any the client sent).',
      additionalProperties: { $ref: '#/$defs/secret' },
    },
    price: {
      description: 'Sats per request (or per pass, per credit pack), millisats, or an HTTP pricing hook.',
      oneOf: [
        { type: 'number', minimum: 0 },
        {
          type: 'object',
          additionalProperties: false,
          required: ['msat'],
          properties: { msat: { type: 'integer', minimum: 0 } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['hook'],
          properties: {
            hook: {
              type: 'string',
              pattern: '^https?://',
              description: 'POSTed the request (method, path, query, body); answers {"price_sats": n}.',
            },
          },
        },
      ],
    },
    policy: {
      description: 'What one payment buys: one request (default), a time pass, or credits.',
      oneOf: [
        { const: 'per-request' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['pass'],
          properties: { pass: { type: 'number', exclusiveMinimum: 0, description: 'Seconds.' } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['credits'],
          properties: { credits: { type: 'integer', minimum: 1 } },
        },
      ],
    },
    auth: {
      type: 'string',
      pattern: '^(on|off|freebie \\d+)$',
      default: 'on',
      description: '"on", "off" (free), or "freebie N" (N free calls per IP per day).',
    },
    freePaths: {
      type: 'array',
      items: { type: 'string' },
      description: 'Regular expressions of paths served without payment (Aperture authwhitelistpaths).',
    },
    capabilities: { type: 'array', items: { type: 'string' }, description: 'Put into tokens as a caveat.' },
    validSeconds: { type: 'number', minimum: 1, description: 'Token validity (the valid_until caveat).' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      properties: { perIp: { $ref: '#/$defs/rate' }, perToken: { $ref: '#/$defs/rate' } },
    },
    maxBodyBytes: { type: 'number', minimum: 0, description: 'Largest request body read (default 1 MiB).' },
    timeoutSeconds: {
      type: 'number',
      minimum: 0.001,
      default: 300,
      description: 'Upstream timeout: past it the client gets 504 and keeps its token.',
    },
    forwardCredential: {
      type: 'boolean',
      default: false,
      description: "Forward the client's Authorization header upstream.",
    },
    description: { type: 'string', minLength: 1 },
    requestSchema: { type: 'object', description: 'JSON Schema of the request body (discovery).' },
  },
  if: { required: ['auth'], properties: { auth: { const: 'off' } } },
  // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, not a thenable.
  then: {},
  else: { required: ['price'] },
} as const;

/**
 * The JSON Schema of a gateway configuration file.
 *
 * @example
 * ```ts
 * import { gatewaySchema } from '@farebox/gateway';
 * console.log(Object.keys(gatewaySchema.properties)); // listen, backend, store, services, …
 * ```
 */
export const gatewaySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'farebox gateway configuration',
  description:
    'A reverse proxy that sells upstream HTTP services per request over L402. See docs/gateway.md.',
  type: 'object',
  additionalProperties: false,
  required: ['services'],
  properties: {
    $schema: { type: 'string', description: 'This schema, for editors.' },
    listen: {
      type: 'string',
      pattern: '^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]*):\\d{1,5}$',
      default: '127.0.0.1:8402',
      description: 'host:port to listen on.',
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: {
        cert: { type: 'string', minLength: 1, description: 'PEM certificate (chain) file.' },
        key: { type: 'string', minLength: 1, description: 'PEM private key file.' },
      },
    },
    h2c: { type: 'boolean', default: false, description: 'Also serve HTTP/2 over cleartext.' },
    backend: {
      type: 'string',
      minLength: 1,
      default: 'dev',
      description: 'Lightning backend connection string; "dev" is the embedded dev node (no real money).',
      examples: [
        'dev',
        'lnd+rest://127.0.0.1:8080?macaroon=/lnd/invoice.macaroon&cert=/lnd/tls.cert',
        'lnd+grpc://127.0.0.1:10009?macaroon=/lnd/invoice.macaroon&cert=/lnd/tls.cert',
        'lnbits://lnbits.example.com?key=INVOICE_KEY',
      ],
    },
    store: {
      type: 'string',
      pattern: '^(memory|sqlite:.+|rediss?://.+|postgres(ql)?://.+)$',
      default: 'sqlite:farebox.db',
      description:
        'Usage store: sqlite:<path> (relative to the config file), memory, redis://…, postgres://….',
    },
    secret: {
      $ref: '#/$defs/secret',
      description:
        'Server secret (hex or base64, ≥ 32 bytes). Required with a real backend; use env or file.',
    },
    invoiceExpirySeconds: { type: 'number', minimum: 1, default: 600 },
    trustProxy: {
      type: 'boolean',
      default: false,
      description: 'Take the client IP from X-Forwarded-For (only behind your own proxy).',
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: true },
        listen: { type: 'string', description: 'A separate host:port for /metrics.' },
      },
    },
    memory: {
      type: 'object',
      additionalProperties: false,
      properties: {
        heapGrowingPercent: {
          type: 'integer',
          minimum: 0,
          maximum: 1000,
          default: 20,
          description:
            'How far (%) V8 lets the heap grow past the live data before collecting; 0 = V8 default. Lower: less RSS, a little more CPU.',
        },
      },
    },
    admin: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: false },
        token: {
          $ref: '#/$defs/secret',
          description: 'Bearer token of the admin API (required when enabled).',
        },
        listen: { type: 'string', description: 'A separate host:port for /admin.' },
      },
      if: { required: ['enabled'], properties: { enabled: { const: true } } },
      // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, not a thenable.
      then: { required: ['token'] },
    },
    title: { type: 'string', minLength: 1, description: 'Title in discovery documents.' },
    description: { type: 'string', minLength: 1 },
    services: { type: 'array', minItems: 1, items: { $ref: '#/$defs/service' } },
  },
  $defs: { secret, rate, service },
} as const;
