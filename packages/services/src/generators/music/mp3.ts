/**
 * MP3 through `@breezystack/lamejs` (a pure-JS port of LAME, loaded only when an MP3 is
 * asked for). MP3 allows nine sample rates (ISO 11172-3 and 13818-3, plus MPEG 2.5) and a
 * fixed list of bitrates per MPEG version; the helpers here pick the nearest legal ones.
 *
 * @module
 */

/** Sample rates an MP3 frame header can carry. */
export const MP3_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

/** Bitrates (kbps) for MPEG-1 Layer III (32, 44.1, 48 kHz). */
const MPEG1_KBPS = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
/** Bitrates (kbps) for MPEG-2 and 2.5 Layer III (8–24 kHz). */
const MPEG2_KBPS = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/**
 * The MP3 sample rate nearest to `rate` (ties go up).
 *
 * @example
 * ```ts
 * nearestMp3SampleRate(30000); // 32000
 * ```
 */
export function nearestMp3SampleRate(rate: number): number {
  let best: number = MP3_SAMPLE_RATES[0];
  for (const r of MP3_SAMPLE_RATES) if (Math.abs(r - rate) <= Math.abs(best - rate)) best = r;
  return best;
}

/**
 * The bitrate (kbps) nearest to `bitsPerSecond` that MP3 allows at `sampleRate`.
 *
 * @example
 * ```ts
 * mp3Kbps(256000, 44100); // 256
 * mp3Kbps(256000, 22050); // 160 (the MPEG-2 maximum)
 * ```
 */
export function mp3Kbps(bitsPerSecond: number, sampleRate: number): number {
  const list = sampleRate >= 32000 ? MPEG1_KBPS : MPEG2_KBPS;
  const kbps = bitsPerSecond / 1000;
  let best = list[0] ?? 128;
  for (const k of list) if (Math.abs(k - kbps) < Math.abs(best - kbps)) best = k;
  return best;
}

interface LameEncoder {
  encodeBuffer(left: Int16Array, right?: Int16Array): Uint8Array | Int8Array;
  flush(): Uint8Array | Int8Array;
}

function toInt16(x: Float32Array, from: number, to: number): Int16Array {
  const out = new Int16Array(to - from);
  for (let i = from; i < to; i++) {
    const v = Math.max(-1, Math.min(1, x[i] ?? 0));
    out[i - from] = Math.round(v < 0 ? v * 32768 : v * 32767);
  }
  return out;
}

/**
 * Encodes float channels (one or two) as a constant-bitrate MP3, yielding to the event loop
 * between chunks so a server stays responsive, and stopping when `signal` aborts.
 */
export async function encodeMp3(
  channels: Float32Array[],
  opts: { sampleRate: number; kbps: number; signal?: AbortSignal; onProgress?: (fraction: number) => void },
): Promise<Uint8Array> {
  if (!(MP3_SAMPLE_RATES as readonly number[]).includes(opts.sampleRate)) {
    throw new RangeError(`encodeMp3: sampleRate ${opts.sampleRate} is not an MP3 sample rate`);
  }
  const { Mp3Encoder } = (await import('@breezystack/lamejs')) as unknown as {
    Mp3Encoder: new (channels: number, sampleRate: number, kbps: number) => LameEncoder;
  };
  const stereo = channels.length > 1;
  const encoder = new Mp3Encoder(stereo ? 2 : 1, opts.sampleRate, opts.kbps);
  const left = channels[0] ?? new Float32Array(0);
  const right = channels[1] ?? left;
  const parts: Uint8Array[] = [];
  const push = (chunk: Uint8Array | Int8Array) => {
    if (chunk.length) parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length).slice());
  };
  const block = 1152 * 32;
  for (let i = 0; i < left.length; i += block) {
    opts.signal?.throwIfAborted();
    const end = Math.min(left.length, i + block);
    push(
      stereo
        ? encoder.encodeBuffer(toInt16(left, i, end), toInt16(right, i, end))
        : encoder.encodeBuffer(toInt16(left, i, end)),
    );
    opts.onProgress?.(end / left.length);
    if ((i / block) % 8 === 7) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  push(encoder.flush());
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
