/**
 * Score → audio: each part rendered on its own track at the requested sample rate, then
 * balanced, panned, given a little reverb, limited and normalized to −1 dBFS.
 *
 * @module
 */
import type { Score } from './compose.js';
import { Noise, renderBass, renderDrums, renderKeys, reverb } from './instruments.js';
import { renderVoice } from './voice.js';

export interface RenderOptions {
  sampleRate: number;
  channels: 1 | 2;
  seed: number;
  signal?: AbortSignal;
  /** Progress within rendering, 0…1. */
  onProgress?: (fraction: number, stage: string) => void;
}

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function peak(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i] ?? 0);
    if (v > m) m = v;
  }
  return m;
}

/** Scales a track so its peak is `level` (silent tracks stay silent). */
function normalizeTo(x: Float32Array, level: number): Float32Array {
  const m = peak(x);
  if (m > 0) {
    const g = level / m;
    for (let i = 0; i < x.length; i++) x[i] = (x[i] ?? 0) * g;
  }
  return x;
}

/**
 * Renders the score to float channels (−1…1), yielding to the event loop between parts and
 * stopping with the signal's reason when it aborts.
 */
export async function renderScore(score: Score, opts: RenderOptions): Promise<Float32Array[]> {
  const sr = opts.sampleRate;
  const frames = Math.ceil(score.duration * sr);
  const noise = new Noise(opts.seed);
  const step = async (fraction: number, stage: string) => {
    opts.onProgress?.(fraction, stage);
    await pause();
    opts.signal?.throwIfAborted();
  };
  const brightness = Math.max(0, Math.min(1, 0.5 + score.style.energy * 0.4));

  await step(0, 'instruments');
  const keys = new Float32Array(frames);
  renderKeys(keys, sr, score.keys, score.style.keys, brightness, noise);
  await step(0.2, 'instruments');
  const bass = new Float32Array(frames);
  renderBass(bass, sr, score.bass, score.style.genre === 'rock' || score.style.genre === 'metal' ? 0.8 : 0.2);
  const drums = {
    kick: new Float32Array(frames),
    snare: new Float32Array(frames),
    hat: new Float32Array(frames),
  };
  renderDrums(drums, sr, score.drums, noise);
  await step(0.4, 'voice');
  const voice = new Float32Array(frames);
  renderVoice(voice, sr, score.melody, {
    register: score.style.voice === 'female' ? 1.12 : 1,
    seed: opts.seed,
  });
  await step(0.65, 'mix');

  // Balance by peak so every song sits the same way whatever the instrument.
  const calm = score.style.energy < -0.3;
  normalizeTo(voice, 0.55);
  normalizeTo(keys, calm ? 0.3 : 0.22);
  normalizeTo(bass, 0.32);
  normalizeTo(drums.kick, calm ? 0.25 : 0.4);
  normalizeTo(drums.snare, calm ? 0.1 : 0.17);
  normalizeTo(drums.hat, calm ? 0.05 : 0.09);

  const send = new Float32Array(frames);
  for (let i = 0; i < frames; i++) send[i] = (voice[i] ?? 0) * 0.5 + (keys[i] ?? 0) * 0.4;
  const wetL = reverb(send, sr, 0);
  await step(0.8, 'mix');
  const wetR = opts.channels === 2 ? reverb(send, sr, 23) : wetL;
  await step(0.9, 'mix');

  // Constant-power pans: keys a little left, hats right, the rest centred.
  const pan = (p: number): [number, number] => [
    Math.cos(((p + 1) * Math.PI) / 4),
    Math.sin(((p + 1) * Math.PI) / 4),
  ];
  const [kl, kr] = pan(-0.25);
  const [hl, hr] = pan(0.35);
  const [cl, cr] = pan(0);
  const wet = calm ? 0.35 : 0.22;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    const centre = (voice[i] ?? 0) + (bass[i] ?? 0) + (drums.kick[i] ?? 0) + (drums.snare[i] ?? 0);
    left[i] = centre * cl + (keys[i] ?? 0) * kl + (drums.hat[i] ?? 0) * hl + (wetL[i] ?? 0) * wet;
    right[i] = centre * cr + (keys[i] ?? 0) * kr + (drums.hat[i] ?? 0) * hr + (wetR[i] ?? 0) * wet;
  }

  // Soft-knee limiter above 0.6 of the peak, then −1 dBFS; fade in 5 ms and out over 1.5 s.
  const out = opts.channels === 2 ? [left, right] : [left.map((l, i) => (l + (right[i] ?? 0)) / 2)];
  const m = Math.max(...out.map(peak), 1e-9);
  const fadeIn = Math.round(0.005 * sr);
  const fadeOut = Math.round(1.5 * sr);
  for (const ch of out) {
    for (let i = 0; i < frames; i++) {
      const x = (ch[i] ?? 0) / m;
      const a = Math.abs(x);
      const limited = a < 0.6 ? x : Math.sign(x) * (0.6 + 0.4 * Math.tanh((a - 0.6) / 0.4));
      const fade = Math.min(1, i / fadeIn, (frames - i) / fadeOut);
      ch[i] = limited * fade;
    }
  }
  const m2 = Math.max(...out.map(peak), 1e-9);
  for (const ch of out) for (let i = 0; i < frames; i++) ch[i] = ((ch[i] ?? 0) * 0.891) / m2;
  await step(1, 'mix');
  return out;
}
