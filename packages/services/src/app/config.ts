/**
 * The services app's configuration: prices per service (sats; the song's may depend on the
 * audio format), file storage and expiry, limits. A JSON file for `farebox services --config`;
 * every field is optional and checked, and a bad one is named.
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';

/** A song's price: one price, or one per audio format (`default` for the formats not listed). */
export type MusicPrice = number | { default: number; mp3?: number; wav?: number; pcm?: number };

/**
 * Which generator makes a service's files: the embedded one (offline, CPU), or a hosted
 * model whose API key is read from the environment variable named by `apiKeyEnv` (keys
 * never sit in the file).
 */
export type GeneratorSpec =
  | { provider: 'embedded' }
  | { provider: 'replicate'; apiKeyEnv: string; model?: string; baseUrl?: string }
  | { provider: 'meshy'; apiKeyEnv: string; baseUrl?: string };

/** The configuration, all defaults applied. */
export interface ServicesConfig {
  /** Shown on the home page and in discovery. */
  title: string;
  /** Public origin for absolute URLs in answers (default: the request's own origin). */
  publicUrl?: string;
  /** Prices in sats. */
  prices: { music: MusicPrice; '3d-model': number };
  files: {
    /** How long a generated file (and the paid result pointing at it) is kept. */
    ttlSeconds: number;
    /** Keep files in this directory instead of memory. */
    dir?: string;
    /** Files are published at `<publicBaseUrl>/<id>.<ext>` (e.g. a CDN serving `dir`). */
    publicBaseUrl?: string;
  };
  /** Largest decoded image accepted by the 3D service, bytes. */
  maxImageBytes: number;
  /** Largest image side accepted by the 3D service, pixels. */
  maxImageSide: number;
  /** Longest one generation may run before it fails (and burns nothing), seconds. */
  timeoutSeconds: number;
  /** Generations running at once; more wait in a queue. */
  concurrency: number;
  /** Offer refunds of refused generations when the backend can pay. */
  refunds: boolean;
  /** Invoice lifetime, seconds. */
  invoiceExpirySeconds: number;
  /** Allow browser pages of any origin to call the API (CORS). */
  cors: boolean;
  /** The generators per service. */
  generators: { music: GeneratorSpec; '3d-model': GeneratorSpec };
  /** Listening port and host (read by the CLI). */
  port: number;
  host: string;
  /** Lightning backend connection (read by the CLI); `dev` is the dev node. */
  backend: string;
  /** Server secret, hex or base64 (read by the CLI; default: random per run, so tokens die with it). */
  secret?: string;
}

/** The defaults. */
export const DEFAULT_CONFIG: Readonly<ServicesConfig> = Object.freeze({
  title: 'farebox services: songs and 3D models per request',
  prices: { music: 250, '3d-model': 500 },
  files: { ttlSeconds: 24 * 3600 },
  generators: { music: { provider: 'embedded' as const }, '3d-model': { provider: 'embedded' as const } },
  maxImageBytes: 8 * 1024 * 1024,
  maxImageSide: 8192,
  timeoutSeconds: 300,
  concurrency: 2,
  refunds: true,
  invoiceExpirySeconds: 600,
  cors: false,
  port: 8402,
  host: '127.0.0.1',
  backend: 'dev',
});

function bad(field: string, expected: string): never {
  throw new FareboxError(ErrorCodes.CONFIG_INVALID, `"${field}" must be ${expected}`, { data: { field } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sats(v: unknown, field: string): number {
  // Every call is paid: a free generation would have no token to key its job by.
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || Math.round(v * 1000) !== v * 1000)
    bad(field, 'a number of sats > 0 (at most 3 decimals)');
  return v;
}

function positiveInt(v: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) bad(field, `an integer 1..${max}`);
  return v;
}

function url(v: unknown, field: string): string {
  if (typeof v !== 'string') bad(field, 'an http(s) URL');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    bad(field, 'an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') bad(field, 'an http(s) URL');
  return v.replace(/\/+$/, '');
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) bad(`${prefix}${k}`, `one of the known fields (${allowed.join(', ')})`);
  }
}

const TOP = [
  '$schema',
  'title',
  'publicUrl',
  'prices',
  'files',
  'maxImageBytes',
  'maxImageSide',
  'timeoutSeconds',
  'concurrency',
  'refunds',
  'invoiceExpirySeconds',
  'cors',
  'generators',
  'port',
  'host',
  'backend',
  'secret',
] as const;

function musicPrice(v: unknown): MusicPrice {
  if (typeof v === 'number') return sats(v, 'prices.music');
  if (!isObject(v)) bad('prices.music', 'sats, or {"default": sats, "mp3"?, "wav"?, "pcm"?}');
  checkKeys(v, ['default', 'mp3', 'wav', 'pcm'], 'prices.music.');
  const out: MusicPrice = { default: sats(v.default, 'prices.music.default') };
  for (const f of ['mp3', 'wav', 'pcm'] as const) {
    if (v[f] !== undefined) out[f] = sats(v[f], `prices.music.${f}`);
  }
  return out;
}

function generatorSpec(v: unknown, field: string, providers: readonly string[]): GeneratorSpec {
  if (v === 'embedded') return { provider: 'embedded' };
  const expected = `"embedded" or {"provider": ${providers.map((p) => `"${p}"`).join(' | ')}, "apiKeyEnv": "ENV_NAME", …}`;
  if (!isObject(v) || typeof v.provider !== 'string' || !providers.includes(v.provider)) bad(field, expected);
  if (v.provider === 'embedded') {
    checkKeys(v, ['provider'], `${field}.`);
    return { provider: 'embedded' };
  }
  checkKeys(
    v,
    v.provider === 'replicate'
      ? ['provider', 'apiKeyEnv', 'model', 'baseUrl']
      : ['provider', 'apiKeyEnv', 'baseUrl'],
    `${field}.`,
  );
  if (typeof v.apiKeyEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.apiKeyEnv))
    bad(`${field}.apiKeyEnv`, 'the name of an environment variable holding the API key');
  const out: Record<string, string> = { provider: v.provider, apiKeyEnv: v.apiKeyEnv };
  if (v.baseUrl !== undefined) out.baseUrl = url(v.baseUrl, `${field}.baseUrl`);
  if (v.model !== undefined) {
    if (typeof v.model !== 'string' || !/^[\w.-]+\/[\w.-]+(:[\w]+)?$/.test(v.model))
      bad(`${field}.model`, 'a model name, owner/name or owner/name:version');
    out.model = v.model;
  }
  return out as GeneratorSpec;
}

/**
 * Checks a configuration object (parsed JSON) and applies the defaults. Throws
 * CONFIG_INVALID naming the field (`data.field`).
 *
 * @example
 * ```ts
 * import { parseServicesConfig } from '@farebox/services';
 * const config = parseServicesConfig({ prices: { music: { default: 200, wav: 300 }, '3d-model': 800 } });
 * ```
 */
export function parseServicesConfig(input: unknown = {}): ServicesConfig {
  if (!isObject(input)) bad('(config)', 'a JSON object');
  checkKeys(input, TOP, '');
  const c: ServicesConfig = {
    ...DEFAULT_CONFIG,
    prices: { ...DEFAULT_CONFIG.prices },
    files: { ...DEFAULT_CONFIG.files },
    generators: { ...DEFAULT_CONFIG.generators },
  };
  if (input.title !== undefined) {
    if (typeof input.title !== 'string' || input.title.length === 0 || input.title.length > 200)
      bad('title', 'a string of 1..200 characters');
    c.title = input.title;
  }
  if (input.publicUrl !== undefined) c.publicUrl = url(input.publicUrl, 'publicUrl');
  if (input.prices !== undefined) {
    if (!isObject(input.prices)) bad('prices', 'an object');
    checkKeys(input.prices, ['music', '3d-model'], 'prices.');
    if (input.prices.music !== undefined) c.prices.music = musicPrice(input.prices.music);
    if (input.prices['3d-model'] !== undefined)
      c.prices['3d-model'] = sats(input.prices['3d-model'], 'prices.3d-model');
  }
  if (input.files !== undefined) {
    const f = input.files;
    if (!isObject(f)) bad('files', 'an object');
    checkKeys(f, ['ttlSeconds', 'dir', 'publicBaseUrl'], 'files.');
    if (f.ttlSeconds !== undefined) c.files.ttlSeconds = positiveInt(f.ttlSeconds, 'files.ttlSeconds');
    if (f.dir !== undefined) {
      if (typeof f.dir !== 'string' || f.dir === '') bad('files.dir', 'a directory path');
      c.files.dir = f.dir;
    }
    if (f.publicBaseUrl !== undefined) {
      if (f.dir === undefined) bad('files.publicBaseUrl', 'used together with files.dir (what it serves)');
      c.files.publicBaseUrl = url(f.publicBaseUrl, 'files.publicBaseUrl');
    }
  }
  if (input.generators !== undefined) {
    const g = input.generators;
    if (!isObject(g)) bad('generators', 'an object');
    checkKeys(g, ['music', '3d-model'], 'generators.');
    c.generators = { ...DEFAULT_CONFIG.generators };
    if (g.music !== undefined)
      c.generators.music = generatorSpec(g.music, 'generators.music', ['embedded', 'replicate']);
    if (g['3d-model'] !== undefined)
      c.generators['3d-model'] = generatorSpec(g['3d-model'], 'generators.3d-model', [
        'embedded',
        'replicate',
        'meshy',
      ]);
    if (
      c.generators['3d-model'].provider === 'replicate' &&
      !('model' in c.generators['3d-model'] && c.generators['3d-model'].model)
    )
      bad('generators.3d-model.model', 'set for Replicate (an image-to-3D model, owner/name:version)');
  }
  if (input.maxImageBytes !== undefined)
    c.maxImageBytes = positiveInt(input.maxImageBytes, 'maxImageBytes', 64 * 1024 * 1024);
  if (input.maxImageSide !== undefined)
    c.maxImageSide = positiveInt(input.maxImageSide, 'maxImageSide', 16384);
  if (input.timeoutSeconds !== undefined)
    c.timeoutSeconds = positiveInt(input.timeoutSeconds, 'timeoutSeconds', 3600);
  if (input.concurrency !== undefined) c.concurrency = positiveInt(input.concurrency, 'concurrency', 64);
  if (input.refunds !== undefined) {
    if (typeof input.refunds !== 'boolean') bad('refunds', 'true or false');
    c.refunds = input.refunds;
  }
  if (input.invoiceExpirySeconds !== undefined)
    c.invoiceExpirySeconds = positiveInt(input.invoiceExpirySeconds, 'invoiceExpirySeconds', 7 * 86400);
  if (input.cors !== undefined) {
    if (typeof input.cors !== 'boolean') bad('cors', 'true or false');
    c.cors = input.cors;
  }
  if (input.port !== undefined) {
    if (input.port !== 0) c.port = positiveInt(input.port, 'port', 65535);
    else c.port = 0;
  }
  if (input.host !== undefined) {
    if (typeof input.host !== 'string' || input.host === '') bad('host', 'a host name or address');
    c.host = input.host;
  }
  if (input.backend !== undefined) {
    if (typeof input.backend !== 'string' || input.backend === '') bad('backend', 'a connection string');
    c.backend = input.backend;
  }
  if (input.secret !== undefined) {
    if (typeof input.secret !== 'string' || input.secret.length < 32)
      bad('secret', 'hex or base64 of at least 16 bytes');
    c.secret = input.secret;
  }
  return c;
}

/**
 * The price of a song in sats.
 *
 * @example
 * ```ts
 * import { musicPriceSats } from '@farebox/services';
 * musicPriceSats({ default: 200, wav: 300 }, 'wav'); // 300
 * ```
 */
export function musicPriceSats(price: MusicPrice, format: 'mp3' | 'wav' | 'pcm'): number {
  return typeof price === 'number' ? price : (price[format] ?? price.default);
}
