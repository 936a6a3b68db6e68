/**
 * The two services as data: path, schema, example, checks, generator call, price, and what
 * the answer's URL field is called. The route table, the home page, the try pages and
 * discovery are all generated from these.
 *
 * @module
 */
import type { Price, RouteConfig } from '@farebox/server';
import type {
  GeneratedFile,
  GenerateOptions,
  ModelGenerator,
  ModelRequest,
  MusicGenerator,
  MusicRequest,
} from '../generators/types.js';
import { musicPriceSats, type ServicesConfig } from './config.js';
import {
  AUDIO_FORMATS,
  type Checked,
  checkModelRequest,
  checkMusicRequest,
  MUSIC_EXAMPLE,
  MUSIC_SCHEMA,
  modelSchema,
} from './requests.js';

/** One paid service. */
export interface ServiceDefinition {
  /** Service name in tokens and discovery. */
  name: 'music' | '3d-model';
  method: 'POST';
  path: string;
  /** Where people try it in a browser. */
  tryPath: string;
  title: string;
  description: string;
  /** The answer's one field: `{"audioUrl": …}` / `{"modelUrl": …}`. */
  resultKey: 'audioUrl' | 'modelUrl';
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
  /** Largest request body read, bytes. */
  maxBodyBytes: number;
  price: Price;
  /** The price for people: "250 sats", or per format. */
  priceText: string;
  /** Things a caller should know (shown on the home page). */
  notes: string[];
  check(body: unknown): Checked<unknown>;
  generate(input: unknown, opts: GenerateOptions): Promise<GeneratedFile>;
}

function musicPriceText(price: ServicesConfig['prices']['music']): string {
  if (typeof price === 'number') return `${price} sats`;
  const groups = new Map<number, string[]>();
  for (const f of AUDIO_FORMATS) {
    const p = musicPriceSats(price, f);
    groups.set(p, [...(groups.get(p) ?? []), f]);
  }
  return [...groups].map(([p, fs]) => `${p} sats (${fs.join(', ')})`).join(' · ');
}

/**
 * The services of a configuration.
 *
 * @example
 * ```ts
 * import { defineServices, parseServicesConfig } from '@farebox/services';
 * import { EmbeddedModelGenerator, EmbeddedMusicGenerator } from '@farebox/services/generators';
 * const [music, model] = defineServices(parseServicesConfig({}), {
 *   music: new EmbeddedMusicGenerator(),
 *   model: new EmbeddedModelGenerator(),
 * });
 * ```
 */
export function defineServices(
  config: ServicesConfig,
  generators: { music: MusicGenerator; model: ModelGenerator },
): ServiceDefinition[] {
  const musicPrice = config.prices.music;
  const imageLimits = { maxImageBytes: config.maxImageBytes, maxImageSide: config.maxImageSide };
  const music: ServiceDefinition = {
    name: 'music',
    method: 'POST',
    path: '/api/l402/music',
    tryPath: '/try/music',
    title: 'Music Generation',
    description: 'Create an original song with music and vocals from a style prompt and lyrics.',
    resultKey: 'audioUrl',
    schema: MUSIC_SCHEMA,
    example: MUSIC_EXAMPLE,
    maxBodyBytes: 16 * 1024,
    price:
      typeof musicPrice === 'number'
        ? musicPrice
        : (_req, { body }) => {
            const f = (body as { audio_format?: string } | undefined)?.audio_format;
            return musicPriceSats(musicPrice, f === 'wav' || f === 'pcm' ? f : 'mp3');
          },
    priceText: musicPriceText(musicPrice),
    notes: [],
    check: checkMusicRequest,
    generate: (input, opts) => generators.music.generate(input as MusicRequest, opts),
  };
  const model: ServiceDefinition = {
    name: '3d-model',
    method: 'POST',
    path: '/api/l402/3d-model',
    tryPath: '/try/3d-model',
    title: '3D Model Generation',
    description:
      'Generate a 3D model from an image. Upload a photo of an object and receive a downloadable 3D model (binary glTF, .glb).',
    resultKey: 'modelUrl',
    schema: modelSchema(config.maxImageBytes),
    example: (modelSchema(config.maxImageBytes).examples as Record<string, unknown>[])[0]!,
    // Base64 is 4/3 of the bytes; a little room for the JSON around it and line breaks.
    maxBodyBytes: Math.ceil((config.maxImageBytes * 4) / 3) + 64 * 1024,
    price: config.prices['3d-model'],
    priceText: `${config.prices['3d-model']} sats`,
    notes: [
      `3D model generation may take up to ${Math.round(config.timeoutSeconds / 60)} minutes. The request waits until the model is ready (or send "Prefer: respond-async" and poll the job).`,
    ],
    check: (body) => checkModelRequest(body, imageLimits),
    generate: (input, opts) => generators.model.generate(input as ModelRequest, opts),
  };
  return [music, model];
}

/**
 * The paywall route of a service: per-request tokens bound to the canonical JSON body, the
 * request checked before an invoice, its schema for discovery.
 *
 * @example
 * ```ts
 * import { Paywall } from '@farebox/server';
 * import { DevNode } from '@farebox/lightning';
 * import { defineServices, parseServicesConfig, routeOf } from '@farebox/services';
 * import { EmbeddedModelGenerator, EmbeddedMusicGenerator } from '@farebox/services/generators';
 * const services = defineServices(parseServicesConfig({}), { music: new EmbeddedMusicGenerator(), model: new EmbeddedModelGenerator() });
 * const paywall = new Paywall({ secret: new Uint8Array(32).fill(1), lightning: new DevNode(), routes: services.map(routeOf) });
 * ```
 */
export function routeOf(s: ServiceDefinition): RouteConfig {
  return {
    method: s.method,
    path: s.path,
    service: s.name,
    price: s.price,
    policy: { type: 'per-request' },
    description: `${s.title}: ${s.description}${typeof s.price === 'function' ? ` Price: ${s.priceText}.` : ''}`,
    validate: (body, req) => {
      const type = req.headers.get('content-type') ?? '';
      if (!type.includes('json')) return { body: 'must be JSON, sent with Content-Type: application/json' };
      const r = s.check(body);
      return r.ok ? undefined : r.errors;
    },
    requestSchema: s.schema,
    bindJson: true,
    maxBodyBytes: s.maxBodyBytes,
  };
}
