/**
 * 16-bit PCM: raw interleaved little-endian samples and the RIFF/WAVE container around them
 * (the canonical 44-byte header: `RIFF`, `WAVE`, a 16-byte `fmt ` chunk with format tag 1,
 * then `data`).
 *
 * @module
 */

/** Interleaves float channels (−1…1) into signed 16-bit little-endian samples. */
export function encodePcm16(channels: Float32Array[]): Uint8Array {
  if (!channels.length) throw new TypeError('encodePcm16: channels must not be empty');
  const frames = channels[0]?.length ?? 0;
  const count = channels.length;
  const out = new Uint8Array(frames * count * 2);
  const view = new DataView(out.buffer);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < count; c++) {
      const x = Math.max(-1, Math.min(1, channels[c]?.[i] ?? 0));
      view.setInt16(o, Math.round(x < 0 ? x * 32768 : x * 32767), true);
      o += 2;
    }
  }
  return out;
}

/**
 * A WAV file (16-bit PCM) from float channels.
 *
 * @example
 * ```ts
 * const wav = encodeWav([left, right], 44100); // bytes 0–3 are "RIFF"
 * ```
 */
export function encodeWav(channels: Float32Array[], sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw new RangeError('encodeWav: sampleRate must be a positive integer');
  const pcm = encodePcm16(channels);
  const out = new Uint8Array(44 + pcm.length);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  const blockAlign = channels.length * 2;
  text(0, 'RIFF');
  view.setUint32(4, 36 + pcm.length, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // WAVE_FORMAT_PCM
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, pcm.length, true);
  out.set(pcm, 44);
  return out;
}
