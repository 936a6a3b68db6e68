/**
 * The embedded song generator: offline, CPU only, deterministic. Prompt → style (tempo, key,
 * mode, mood), lyrics → syllables, a composed score, a formant-synthesized singer over a
 * small band, encoded as WAV, raw PCM or MP3.
 *
 * @module
 */
import {
  type GeneratedFile,
  type GenerateOptions,
  GenerationError,
  type MusicGenerator,
  type MusicRequest,
} from '../types.js';
import { compose } from './compose.js';
import { encodeMp3, mp3Kbps, nearestMp3SampleRate } from './mp3.js';
import { encodePcm16, encodeWav } from './pcm.js';
import { hashString } from './random.js';
import { renderScore } from './render.js';
import { styleFromPrompt } from './style.js';
import { parseLyrics } from './syllables.js';

export interface EmbeddedMusicOptions {
  /** 2 (stereo, default) or 1 (mono). */
  channels?: 1 | 2;
}

/** Sample rates the embedded generator accepts (the app validates the same range). */
export const MUSIC_SAMPLE_RATE_RANGE = { min: 8000, max: 48000 } as const;

function refuse(message: string): never {
  throw new GenerationError('refused', message);
}

function validate(req: MusicRequest): void {
  if (!req || typeof req !== 'object') refuse('music: request must be an object');
  if (typeof req.prompt !== 'string' || !req.prompt.trim())
    refuse('music: prompt must be a non-empty string');
  if (typeof req.lyrics !== 'string' || !req.lyrics.trim())
    refuse('music: lyrics must be a non-empty string');
  const { min, max } = MUSIC_SAMPLE_RATE_RANGE;
  if (!Number.isInteger(req.sample_rate) || req.sample_rate < min || req.sample_rate > max) {
    refuse(`music: sample_rate must be an integer from ${min} to ${max}, got ${String(req.sample_rate)}`);
  }
  if (!Number.isInteger(req.bitrate) || req.bitrate <= 0)
    refuse(`music: bitrate must be a positive integer, got ${String(req.bitrate)}`);
  if (!['mp3', 'wav', 'pcm'].includes(req.audio_format)) {
    refuse(`music: audio_format must be "mp3", "wav" or "pcm", got ${JSON.stringify(req.audio_format)}`);
  }
}

/**
 * A {@link MusicGenerator} that composes, sings and encodes a song on the CPU. The same
 * prompt and lyrics always give the same song; the format fields only change the encoding.
 *
 * MP3 carries only nine sample rates (8, 11.025, 12, 16, 22.05, 24, 32, 44.1 and 48 kHz): for
 * an MP3 the song is rendered at the nearest of them, and the bitrate is the nearest the MPEG
 * version allows (up to 320 kbps at 32–48 kHz, 160 kbps below). The rates and bitrate actually
 * used are in `metadata`.
 *
 * @example
 * ```ts
 * const music = new EmbeddedMusicGenerator();
 * const file = await music.generate({
 *   prompt: 'upbeat pop song about summer vibes',
 *   lyrics: 'Walking on the beach, sun is shining bright, every day feels right',
 *   model: 'Music Generation', sample_rate: 44100, bitrate: 256000, audio_format: 'mp3',
 * });
 * file.contentType; // 'audio/mpeg'
 * ```
 */
export class EmbeddedMusicGenerator implements MusicGenerator {
  readonly name = 'embedded-music';
  private readonly channels: 1 | 2;

  constructor(options: EmbeddedMusicOptions = {}) {
    if (options.channels !== undefined && options.channels !== 1 && options.channels !== 2) {
      throw new RangeError('EmbeddedMusicGenerator: channels must be 1 or 2');
    }
    this.channels = options.channels ?? 2;
  }

  async generate(req: MusicRequest, opts: GenerateOptions = {}): Promise<GeneratedFile> {
    validate(req);
    const { signal, onProgress } = opts;
    signal?.throwIfAborted();
    const format = req.audio_format;
    const sampleRate = format === 'mp3' ? nearestMp3SampleRate(req.sample_rate) : req.sample_rate;
    const seed = hashString(JSON.stringify([req.prompt, req.lyrics]));

    onProgress?.(0, 'compose');
    const style = styleFromPrompt(req.prompt);
    const lines = parseLyrics(req.lyrics);
    const score = compose({ style, lines, lyricChars: req.lyrics.length, seed });

    const renderShare = format === 'mp3' ? 0.7 : 0.9;
    const channels = await renderScore(score, {
      sampleRate,
      channels: this.channels,
      seed,
      ...(signal ? { signal } : {}),
      onProgress: (f, stage) => onProgress?.(0.05 + f * renderShare, stage),
    });

    const frames = channels[0]?.length ?? 0;
    const metadata: Record<string, unknown> = {
      generator: this.name,
      tempo: style.tempo,
      key: style.key,
      mode: style.mode,
      mood: style.mood,
      genre: style.genre,
      voice: style.voice,
      timeSignature: `${style.beatsPerBar}/4`,
      lines: lines.length,
      syllables: score.syllables,
      durationSeconds: frames / sampleRate,
      sampleRate,
      channels: channels.length,
    };
    if (sampleRate !== req.sample_rate) metadata.requestedSampleRate = req.sample_rate;

    let file: GeneratedFile;
    if (format === 'mp3') {
      onProgress?.(0.75, 'encode');
      const kbps = mp3Kbps(req.bitrate, sampleRate);
      const bytes = await encodeMp3(channels, {
        sampleRate,
        kbps,
        ...(signal ? { signal } : {}),
        onProgress: (f) => onProgress?.(0.75 + f * 0.25, 'encode'),
      });
      file = {
        bytes,
        contentType: 'audio/mpeg',
        extension: 'mp3',
        metadata: { ...metadata, bitrate: kbps * 1000 },
      };
    } else if (format === 'wav') {
      onProgress?.(0.98, 'encode');
      file = { bytes: encodeWav(channels, sampleRate), contentType: 'audio/wav', extension: 'wav', metadata };
    } else {
      onProgress?.(0.98, 'encode');
      file = {
        bytes: encodePcm16(channels),
        contentType: `audio/L16; rate=${sampleRate}; channels=${channels.length}`,
        extension: 'pcm',
        metadata: { ...metadata, sampleFormat: 's16le' },
      };
    }
    onProgress?.(1, 'done');
    return file;
  }
}
