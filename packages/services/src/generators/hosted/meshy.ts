/**
 * Meshy's Image to 3D API (create-then-poll).
 *
 * The documented shape: `POST /openapi/v1/image-to-3d` with `{ image_url }` (a public URL or
 * a base64 data URI; `.jpg`, `.jpeg` and `.png` are accepted) answers `{ result: <task id> }`;
 * `GET /openapi/v1/image-to-3d/{id}` returns the task `{ id, status, progress, model_urls:
 * { glb, fbx, obj, usdz }, task_error: { message } }` with `status` one of `PENDING`,
 * `IN_PROGRESS`, `SUCCEEDED`, `FAILED`, `CANCELED`. Errors carry `{ message }`: 400 bad
 * request, 401 bad key, 402 out of credits, 429 rate limited, 5xx server trouble.
 *
 * WebP is converted to PNG first (with `sharp`, loaded only then), since Meshy takes JPEG and
 * PNG only. Meshy has no cancel call: on abort the adapter just stops polling.
 *
 * @module
 */
import type { GeneratedFile, GenerateOptions, ModelGenerator, ModelRequest } from '../types.js';
import { GenerationError } from '../types.js';
import {
  call,
  dataUri,
  download,
  type HostedConfig,
  type HostedOptions,
  jobContext,
  json,
  resolveHosted,
  runJob,
} from './http.js';
import { isGlb } from './replicate.js';

interface MeshyTask {
  id?: string;
  status?: string;
  progress?: number;
  model_urls?: { glb?: string };
  task_error?: { message?: string } | null;
}

export interface MeshyModelOptions extends HostedOptions {
  /** Extra fields for the create request, e.g. `{ ai_model: 'meshy-5', enable_pbr: true }`. */
  extra?: Record<string, unknown>;
}

/**
 * 3D models from Meshy's image-to-3D API.
 *
 * @example
 * ```ts
 * const model = new MeshyModelGenerator({ apiKey: process.env.MESHY_API_KEY! });
 * const file = await model.generate({ image, mime: 'image/png' });
 * ```
 */
export class MeshyModelGenerator implements ModelGenerator {
  readonly name = 'meshy:image-to-3d';
  private readonly config: HostedConfig;
  private readonly extra: Record<string, unknown>;

  constructor(options: MeshyModelOptions) {
    this.config = resolveHosted('MeshyModelGenerator', options, {
      baseUrl: 'https://api.meshy.ai',
      pollIntervalMs: 5000,
    });
    this.extra = options.extra ?? {};
  }

  async generate(req: ModelRequest, opts: GenerateOptions = {}): Promise<GeneratedFile> {
    let image = req.image;
    let mime: string = req.mime;
    if (mime === 'image/webp') {
      const { default: sharp } = await import('sharp');
      try {
        const png = await sharp(image, { failOn: 'error' }).png().toBuffer();
        image = new Uint8Array(png.buffer, png.byteOffset, png.length);
        mime = 'image/png';
      } catch (cause) {
        throw new GenerationError('refused', 'meshy: the WebP image could not be converted', { cause });
      }
    }
    const ctx = jobContext(this.config, 'meshy', opts.signal);
    const base = `${this.config.baseUrl}/openapi/v1/image-to-3d`;
    const glbUrl = await runJob(ctx, {
      start: async () => {
        opts.onProgress?.(0, 'queued');
        const body = { should_texture: true, ...this.extra, image_url: dataUri(image, mime) };
        const res = await call(ctx, base, { method: 'POST', body, phase: 'create' });
        const created = await json<{ result?: unknown }>(ctx, res);
        if (typeof created?.result !== 'string' || !created.result)
          throw new GenerationError('temporary', 'meshy: the task has no id');
        return created.result;
      },
      step: async (id) => {
        const res = await call(ctx, `${base}/${encodeURIComponent(id)}`, { method: 'GET', phase: 'poll' });
        const task = await json<MeshyTask>(ctx, res);
        if (task.status === 'SUCCEEDED') {
          const url = task.model_urls?.glb;
          if (!url) throw new GenerationError('temporary', 'meshy: the task succeeded without a GLB URL');
          return url;
        }
        if (task.status === 'FAILED') {
          const message = task.task_error?.message || 'unknown error';
          throw new GenerationError(
            this.config.classifyFailure(message),
            `meshy: the task failed: ${message.slice(0, 300)}`,
          );
        }
        if (task.status === 'CANCELED' || task.status === 'EXPIRED') {
          throw new GenerationError('temporary', `meshy: the task was ${task.status.toLowerCase()}`);
        }
        const pct = typeof task.progress === 'number' ? Math.max(0, Math.min(100, task.progress)) : 0;
        opts.onProgress?.(0.05 + (pct / 100) * 0.85, task.status === 'PENDING' ? 'queued' : 'generating');
        return undefined;
      },
    });
    opts.onProgress?.(0.9, 'download');
    const { bytes } = await download(ctx, glbUrl);
    if (!isGlb(bytes)) throw new GenerationError('temporary', 'meshy: the output is not a binary glTF file');
    opts.onProgress?.(1, 'done');
    return { bytes, contentType: 'model/gltf-binary', extension: 'glb', metadata: { generator: this.name } };
  }
}
