/**
 * The two request bodies of the seeds, checked before anything is charged: JSON Schemas (for
 * discovery, OpenAPI and the home page) and validators that name every bad field, then turn
 * a valid body into the generator's input with the defaults applied.
 *
 * Music (seed 000): `prompt` 10-300 characters, `lyrics` 10-600, `model` "Music Generation",
 * `sample_rate` (default 44100), `bitrate` (default 256000), `audio_format` mp3|wav|pcm
 * (default mp3). 3D (seed 001): `image`, a base64 data URI of a PNG, JPEG or WebP whose bytes
 * really are that type. Unknown fields are refused: a misspelt `audioFormat` would otherwise
 * be paid for and silently ignored.
 *
 * @module
 */
import { fromBase64 } from '@farebox/core';
import { checkImage } from '../generators/image/check.js';
import type { ModelRequest, MusicRequest } from '../generators/types.js';

/** Field errors: field name → what is wrong (the 400 answer's `error.data.fields`). */
export type FieldErrors = Record<string, string>;

/** A checked body: the generator's input, or the errors. */
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** Sample rates a song can be made at: the MPEG audio rates, so every format can carry them. */
export const SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;
/** Bitrate bounds, bits per second (MP3 uses the nearest standard bitrate the sample rate allows). */
export const BITRATE_RANGE = { min: 32_000, max: 320_000 } as const;
export const AUDIO_FORMATS = ['mp3', 'wav', 'pcm'] as const;
export const MUSIC_MODEL = 'Music Generation';
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

/** The seed's example song request. */
export const MUSIC_EXAMPLE = {
  prompt: 'upbeat pop song about summer vibes',
  lyrics: 'Walking on the beach, sun is shining bright, every day feels right',
  model: MUSIC_MODEL,
  sample_rate: 44100,
  bitrate: 256000,
  audio_format: 'mp3',
};

/** JSON Schema of `POST /api/l402/music`. */
export const MUSIC_SCHEMA: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['prompt', 'lyrics', 'model'],
  properties: {
    prompt: {
      type: 'string',
      minLength: 10,
      maxLength: 300,
      description: 'Music style description (tempo, key and mood are drawn from it). 10-300 characters.',
    },
    lyrics: {
      type: 'string',
      minLength: 10,
      maxLength: 600,
      description: 'Song lyrics, set syllable by syllable. 10-600 characters.',
    },
    model: { type: 'string', enum: [MUSIC_MODEL], description: 'Accepted value: "Music Generation".' },
    sample_rate: {
      type: 'integer',
      enum: [...SAMPLE_RATES],
      default: 44100,
      description: 'Audio sample rate, Hz.',
    },
    bitrate: {
      type: 'integer',
      minimum: BITRATE_RANGE.min,
      maximum: BITRATE_RANGE.max,
      default: 256000,
      description: 'Audio bitrate, bits per second (MP3 uses the nearest standard bitrate).',
    },
    audio_format: {
      type: 'string',
      enum: [...AUDIO_FORMATS],
      default: 'mp3',
      description: 'Audio file format; "pcm" is raw 16-bit little-endian samples.',
    },
  },
  examples: [MUSIC_EXAMPLE],
};

/** A 1×1 PNG, the shortest example image. */
const TINY_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/**
 * JSON Schema of `POST /api/l402/3d-model` (the size cap is filled in from the config).
 *
 * @example
 * ```ts
 * import { modelSchema } from '@farebox/services';
 * modelSchema(8 * 1024 * 1024).required; // ['image']
 * ```
 */
export function modelSchema(maxImageBytes: number): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['image'],
    properties: {
      image: {
        type: 'string',
        pattern: '^data:image/(png|jpeg|webp);base64,',
        contentMediaType: 'image/png, image/jpeg or image/webp',
        description: `Base64 data URI of the source image, with its prefix (data:image/png;base64,…). Accepted formats: image/png, image/jpeg, image/webp; the bytes must be that type; at most ${maxImageBytes} bytes decoded.`,
      },
    },
    examples: [{ image: TINY_PNG }],
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Length in characters (code points), as JSON Schema counts `minLength`/`maxLength`. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function unknownFields(body: Record<string, unknown>, known: readonly string[], errors: FieldErrors): void {
  for (const k of Object.keys(body)) {
    if (!known.includes(k)) errors[k] = `unknown field; the fields are ${known.join(', ')}`;
  }
}

function text(body: Record<string, unknown>, name: string, min: number, max: number, errors: FieldErrors) {
  const v = body[name];
  if (v === undefined) errors[name] = `required: a string of ${min}-${max} characters`;
  else if (typeof v !== 'string') errors[name] = `must be a string of ${min}-${max} characters`;
  else {
    const n = chars(v.trim());
    if (n < min || n > max) errors[name] = `must be ${min}-${max} characters (got ${n})`;
  }
}

/**
 * Checks a song request and applies the defaults.
 *
 * @example
 * ```ts
 * import { checkMusicRequest, MUSIC_EXAMPLE } from '@farebox/services';
 * const r = checkMusicRequest(MUSIC_EXAMPLE);
 * if (r.ok) r.value.sample_rate; // 44100
 * ```
 */
export function checkMusicRequest(body: unknown): Checked<MusicRequest> {
  if (!isObject(body)) return { ok: false, errors: { body: 'must be a JSON object' } };
  const errors: FieldErrors = {};
  unknownFields(body, Object.keys(MUSIC_SCHEMA.properties as object), errors);
  text(body, 'prompt', 10, 300, errors);
  text(body, 'lyrics', 10, 600, errors);
  if (body.model === undefined) errors.model = `required: "${MUSIC_MODEL}"`;
  else if (body.model !== MUSIC_MODEL) errors.model = `must be "${MUSIC_MODEL}"`;
  const rate = body.sample_rate ?? 44100;
  if (typeof rate !== 'number' || !Number.isInteger(rate))
    errors.sample_rate = `must be an integer, one of ${SAMPLE_RATES.join(', ')}`;
  else if (!(SAMPLE_RATES as readonly number[]).includes(rate))
    errors.sample_rate = `must be one of ${SAMPLE_RATES.join(', ')}`;
  const bitrate = body.bitrate ?? 256000;
  if (
    typeof bitrate !== 'number' ||
    !Number.isInteger(bitrate) ||
    bitrate < BITRATE_RANGE.min ||
    bitrate > BITRATE_RANGE.max
  )
    errors.bitrate = `must be an integer from ${BITRATE_RANGE.min} to ${BITRATE_RANGE.max}`;
  const format = body.audio_format ?? 'mp3';
  if (typeof format !== 'string' || !(AUDIO_FORMATS as readonly string[]).includes(format))
    errors.audio_format = `must be one of ${AUDIO_FORMATS.map((f) => `"${f}"`).join(', ')}`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      prompt: (body.prompt as string).trim(),
      lyrics: (body.lyrics as string).trim(),
      model: MUSIC_MODEL,
      sample_rate: rate as number,
      bitrate: bitrate as number,
      audio_format: format as MusicRequest['audio_format'],
    },
  };
}

const DATA_URI = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+);base64,/i;

/**
 * Checks a 3D request: the data URI's prefix, its base64, the size cap, and that the bytes
 * are an image of the declared type with sane dimensions.
 *
 * @example
 * ```ts
 * import { checkModelRequest } from '@farebox/services';
 * const r = checkModelRequest({ image: 'data:image/gif;base64,R0lGOD' }, { maxImageBytes: 1 << 20 });
 * // { ok: false, errors: { image: 'the type must be image/png, image/jpeg or image/webp (got image/gif)' } }
 * ```
 */
export function checkModelRequest(
  body: unknown,
  limits: { maxImageBytes: number; maxImageSide?: number },
): Checked<ModelRequest> {
  if (!isObject(body)) return { ok: false, errors: { body: 'must be a JSON object' } };
  const errors: FieldErrors = {};
  unknownFields(body, ['image'], errors);
  const image = body.image;
  const fail = (msg: string): Checked<ModelRequest> => ({ ok: false, errors: { ...errors, image: msg } });
  if (image === undefined) return fail('required: a base64 data URI such as data:image/png;base64,iVBOR…');
  if (typeof image !== 'string') return fail('must be a string: a base64 data URI');
  const m = DATA_URI.exec(image);
  if (!m) return fail('must be a base64 data URI with its prefix, e.g. data:image/png;base64,iVBOR…');
  const mime = m[1]!.toLowerCase();
  if (!(IMAGE_TYPES as readonly string[]).includes(mime))
    return fail(`the type must be image/png, image/jpeg or image/webp (got ${mime})`);
  // Base64 wrapped at 76 columns (MIME style) is accepted: whitespace is dropped first.
  const b64 = image.slice(m[0].length).replace(/[\t\n\r ]+/g, '');
  if (b64.length === 0) return fail('the data URI holds no data');
  const decodedLength =
    Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  if (decodedLength > limits.maxImageBytes)
    return fail(`the image is about ${decodedLength} bytes; at most ${limits.maxImageBytes} are accepted`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return fail('the data is not valid base64');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(b64, 'image');
  } catch {
    return fail('the data is not valid base64');
  }
  const check = checkImage(bytes, {
    declared: mime,
    limits: {
      maxBytes: limits.maxImageBytes,
      ...(limits.maxImageSide ? { maxSide: limits.maxImageSide } : {}),
    },
  });
  if (!check.ok) return fail(check.message);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { image: bytes, mime: mime as ModelRequest['mime'] } };
}
