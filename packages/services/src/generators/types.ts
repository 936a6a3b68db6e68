/**
 * The generator interface shared by the embedded generators (offline, CPU) and the adapters
 * for hosted models. The app validates requests before payment; generators get valid input.
 *
 * @module
 */

/** A generated file. */
export interface GeneratedFile {
  bytes: Uint8Array;
  /** MIME type, e.g. `audio/mpeg`, `audio/wav`, `audio/L16`, `model/gltf-binary`. */
  contentType: string;
  /** File extension without the dot: `mp3`, `wav`, `pcm`, `glb`. */
  extension: string;
  /** Anything worth telling (tempo, key, duration, vertex count, …). */
  metadata?: Record<string, unknown>;
}

/** Options for one generation. */
export interface GenerateOptions {
  signal?: AbortSignal;
  /** Progress from 0 to 1, with an optional stage name. */
  onProgress?: (fraction: number, stage?: string) => void;
}

/** A song request (the seed's `POST /api/l402/music` body, validated, defaults applied). */
export interface MusicRequest {
  prompt: string;
  lyrics: string;
  model: 'Music Generation';
  sample_rate: number;
  bitrate: number;
  audio_format: 'mp3' | 'wav' | 'pcm';
}

/** A 3D request (the seed's `POST /api/l402/3d-model` body, decoded and checked). */
export interface ModelRequest {
  /** The decoded image bytes. */
  image: Uint8Array;
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
}

export interface MusicGenerator {
  readonly name: string;
  generate(req: MusicRequest, opts?: GenerateOptions): Promise<GeneratedFile>;
}

export interface ModelGenerator {
  readonly name: string;
  generate(req: ModelRequest, opts?: GenerateOptions): Promise<GeneratedFile>;
}

/**
 * Why a generation failed. `refused`: the provider will never accept this input (the
 * client may claim a refund); `temporary`: try again later with the same token.
 */
export class GenerationError extends Error {
  readonly kind: 'refused' | 'temporary';
  constructor(kind: 'refused' | 'temporary', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GenerationError';
    this.kind = kind;
  }
}
