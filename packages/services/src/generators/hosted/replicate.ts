/**
 * Replicate's predictions API (create-then-poll), for a song model and an image-to-3D model.
 *
 * The documented shape: `POST /v1/predictions` with `{ version, input }` (an official model as
 * `owner/name`, a community one as `owner/name:version` or the bare version id) returns a
 * prediction `{ id, status, output, error, logs, urls }`; `GET /v1/predictions/{id}` reads it
 * until `status` is `succeeded` (`output` holds file URLs), `failed` (`error` says why) or
 * `canceled`; `POST /v1/predictions/{id}/cancel` stops it. Errors are JSON problem details
 * (`{ title, detail, status }`), 429 carries `Retry-After`.
 *
 * The default music model is `minimax/music-1.5`, whose input is exactly the seed's body
 * (`prompt` 10–300 chars, `lyrics` 10–600, `sample_rate`, `bitrate`, `audio_format`) and whose
 * output is one audio URL.
 *
 * @module
 */
import type {
  GeneratedFile,
  GenerateOptions,
  ModelGenerator,
  ModelRequest,
  MusicGenerator,
  MusicRequest,
} from '../types.js';
import { GenerationError } from '../types.js';
import {
  call,
  dataUri,
  download,
  type HostedConfig,
  type HostedOptions,
  type JobContext,
  jobContext,
  json,
  resolveHosted,
  runJob,
} from './http.js';

interface Prediction {
  id: string;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | string;
  output?: unknown;
  error?: unknown;
  logs?: string | null;
}

const DEFAULTS = { baseUrl: 'https://api.replicate.com', pollIntervalMs: 2000 };

/** The last `NN%` a model printed to its logs (progress bars), as a fraction. */
function logProgress(logs: string | null | undefined): number | undefined {
  const all = logs?.match(/(\d{1,3})%/g);
  const last = all?.at(-1);
  const pct = last ? Number.parseInt(last, 10) : Number.NaN;
  return pct >= 0 && pct <= 100 ? pct / 100 : undefined;
}

/** Runs one prediction to its output. */
async function predict(
  config: HostedConfig,
  model: string,
  input: Record<string, unknown>,
  opts: GenerateOptions,
): Promise<{ output: unknown; ctx: JobContext }> {
  const ctx = jobContext(config, 'replicate', opts.signal);
  const base = `${config.baseUrl}/v1/predictions`;
  const output = await runJob(ctx, {
    start: async () => {
      opts.onProgress?.(0, 'queued');
      const res = await call(ctx, base, { method: 'POST', body: { version: model, input }, phase: 'create' });
      const p = await json<Prediction>(ctx, res);
      if (typeof p?.id !== 'string' || !p.id)
        throw new GenerationError('temporary', 'replicate: the prediction has no id');
      return p.id;
    },
    step: async (id) => {
      const res = await call(ctx, `${base}/${encodeURIComponent(id)}`, { method: 'GET', phase: 'poll' });
      const p = await json<Prediction>(ctx, res);
      if (p.status === 'succeeded') return { value: p.output };
      if (p.status === 'failed') {
        const message = typeof p.error === 'string' ? p.error : JSON.stringify(p.error ?? 'unknown error');
        throw new GenerationError(
          config.classifyFailure(message),
          `replicate: the prediction failed: ${message.slice(0, 300)}`,
        );
      }
      if (p.status === 'canceled')
        throw new GenerationError('temporary', 'replicate: the prediction was canceled');
      const progress = logProgress(p.logs);
      opts.onProgress?.(progress === undefined ? 0.05 : 0.05 + progress * 0.85, p.status);
      return undefined;
    },
    cancel: async (id) => {
      await call(
        { ...ctx, signal: undefined, deadline: Date.now() + 5000 },
        `${base}/${encodeURIComponent(id)}/cancel`,
        {
          method: 'POST',
          phase: 'cancel',
        },
      );
    },
  });
  return { output: output.value, ctx };
}

/** Every string in an output that looks like a URL, in order. */
function urls(output: unknown): string[] {
  if (typeof output === 'string') return /^https?:\/\//.test(output) ? [output] : [];
  if (Array.isArray(output)) return output.flatMap(urls);
  if (output && typeof output === 'object') return Object.values(output).flatMap(urls);
  return [];
}

export interface ReplicateMusicOptions extends HostedOptions {
  /** The model, `owner/name` or `owner/name:version`. Default `minimax/music-1.5`. */
  model?: string;
}

/**
 * Songs from a hosted model on Replicate (default `minimax/music-1.5`).
 *
 * @example
 * ```ts
 * const music = new ReplicateMusicGenerator({ apiKey: token });
 * const file = await music.generate(request, { signal: AbortSignal.timeout(300_000) });
 * ```
 */
export class ReplicateMusicGenerator implements MusicGenerator {
  readonly name: string;
  private readonly config: HostedConfig;
  private readonly model: string;

  constructor(options: ReplicateMusicOptions) {
    this.config = resolveHosted('ReplicateMusicGenerator', options, DEFAULTS);
    this.model = options.model ?? 'minimax/music-1.5';
    this.name = `replicate:${this.model}`;
  }

  async generate(req: MusicRequest, opts: GenerateOptions = {}): Promise<GeneratedFile> {
    const input = {
      prompt: req.prompt,
      lyrics: req.lyrics,
      sample_rate: req.sample_rate,
      bitrate: req.bitrate,
      audio_format: req.audio_format,
    };
    const { output, ctx } = await predict(this.config, this.model, input, opts);
    const url = urls(output)[0];
    if (!url)
      throw new GenerationError('temporary', 'replicate: the prediction succeeded without an audio URL');
    opts.onProgress?.(0.9, 'download');
    const { bytes } = await download(ctx, url);
    opts.onProgress?.(1, 'done');
    const format = req.audio_format;
    return {
      bytes,
      contentType:
        format === 'mp3'
          ? 'audio/mpeg'
          : format === 'wav'
            ? 'audio/wav'
            : `audio/L16; rate=${req.sample_rate}`,
      extension: format,
      metadata: { generator: this.name, sampleRate: req.sample_rate, bitrate: req.bitrate },
    };
  }
}

export interface ReplicateModelOptions extends HostedOptions {
  /** The image-to-3D model, `owner/name` or `owner/name:version`. */
  model: string;
  /** Builds the model's input from the image as a data URI. Default `{ images: [uri] }` (TRELLIS). */
  input?: (imageDataUri: string, req: ModelRequest) => Record<string, unknown>;
}

/**
 * 3D models from a hosted image-to-3D model on Replicate (e.g. a TRELLIS or Hunyuan3D
 * model). The output is searched for the first `.glb` URL (or the first URL at all).
 *
 * @example
 * ```ts
 * const model = new ReplicateModelGenerator({ apiKey: token, model: 'firtoz/trellis:<version>' });
 * ```
 */
export class ReplicateModelGenerator implements ModelGenerator {
  readonly name: string;
  private readonly config: HostedConfig;
  private readonly model: string;
  private readonly input: (uri: string, req: ModelRequest) => Record<string, unknown>;

  constructor(options: ReplicateModelOptions) {
    this.config = resolveHosted('ReplicateModelGenerator', options, DEFAULTS);
    if (typeof options.model !== 'string' || !options.model)
      throw new TypeError('ReplicateModelGenerator: model must be a non-empty string');
    this.model = options.model;
    this.input = options.input ?? ((uri) => ({ images: [uri], generate_model: true }));
    this.name = `replicate:${this.model}`;
  }

  async generate(req: ModelRequest, opts: GenerateOptions = {}): Promise<GeneratedFile> {
    const { output, ctx } = await predict(
      this.config,
      this.model,
      this.input(dataUri(req.image, req.mime), req),
      opts,
    );
    const all = urls(output);
    const url = all.find((u) => /\.glb(?:$|\?)/i.test(u)) ?? all[0];
    if (!url)
      throw new GenerationError('temporary', 'replicate: the prediction succeeded without a model URL');
    opts.onProgress?.(0.9, 'download');
    const { bytes } = await download(ctx, url);
    if (!isGlb(bytes))
      throw new GenerationError('temporary', 'replicate: the output is not a binary glTF file');
    opts.onProgress?.(1, 'done');
    return { bytes, contentType: 'model/gltf-binary', extension: 'glb', metadata: { generator: this.name } };
  }
}

/**
 * Whether bytes start with the GLB magic `glTF` (glTF 2.0 §4.4.2).
 *
 * @example
 * ```ts
 * isGlb(new TextEncoder().encode('glTF\x02\0\0\0\x0c\0\0\0')); // true
 * ```
 */
export function isGlb(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 12 && bytes[0] === 0x67 && bytes[1] === 0x6c && bytes[2] === 0x54 && bytes[3] === 0x46
  );
}
