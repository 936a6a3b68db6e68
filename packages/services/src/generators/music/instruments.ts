/**
 * The band: small synthesizers that add notes into mono `Float32Array` tracks at any sample
 * rate. Oscillators are band-limited (sines, FM, PolyBLEP saws) so 8 kHz renders don't alias
 * into noise.
 *
 * @module
 */
import type { DrumHit, Note } from './compose.js';
import type { Keys } from './style.js';

const TAU = Math.PI * 2;

export const midiToHz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

/** One cycle of a sine, read with linear interpolation: much cheaper than `Math.sin` per sample. */
const TABLE_SIZE = 4096;
const SINE = new Float32Array(TABLE_SIZE + 1).map((_, i) => Math.sin((TAU * i) / TABLE_SIZE));

/** sin(2π·cycles), for any real `cycles`. */
export function sinCycles(cycles: number): number {
  const x = (cycles - Math.floor(cycles)) * TABLE_SIZE;
  const i = x | 0;
  const a = SINE[i] ?? 0;
  return a + ((SINE[i + 1] ?? 0) - a) * (x - i);
}

/** A single-cycle wavetable of the given harmonics (number → weight), skipping any above `maxHz`. */
function wavetable(
  f: number,
  maxHz: number,
  harmonics: readonly (readonly [number, number])[],
): Float32Array {
  const table = new Float32Array(TABLE_SIZE + 1);
  for (const [h, w] of harmonics) {
    if (f * h >= maxHz) continue;
    for (let i = 0; i <= TABLE_SIZE; i++) table[i] = (table[i] ?? 0) + w * sinCycles((h * i) / TABLE_SIZE);
  }
  return table;
}

function readTable(table: Float32Array, cycles: number): number {
  const x = (cycles - Math.floor(cycles)) * TABLE_SIZE;
  const i = x | 0;
  const a = table[i] ?? 0;
  return a + ((table[i + 1] ?? 0) - a) * (x - i);
}

/** A rational tanh (Padé 3/2), exact enough for soft saturation and far cheaper. */
function softClip(x: number): number {
  if (x > 3) return 1;
  if (x < -3) return -1;
  const x2 = x * x;
  return (x * (27 + x2)) / (27 + 9 * x2);
}

const ORGAN_DRAWBARS = [
  [0.5, 0.5],
  [1, 1],
  [2, 0.6],
  [3, 0.35],
  [4, 0.2],
] as const;
const BASS_HARMONICS = [
  [1, 1],
  [2, 0.35],
  [3, 0.1],
] as const;

/** PolyBLEP correction for a naive saw at phase `t` (0…1) with increment `dt` (Välimäki 2007). */
function polyBlep(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt;
    return x + x - x * x - 1;
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt;
    return x * x + x + x + 1;
  }
  return 0;
}

/** xorshift32 white noise in [-1, 1): fast and seeded, so renders are reproducible. */
export class Noise {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s / 2147483648 - 1;
  }
}

function span(buf: Float32Array, sr: number, start: number, seconds: number): [number, number] {
  const i0 = Math.max(0, Math.round(start * sr));
  const i1 = Math.min(buf.length, Math.round((start + seconds) * sr));
  return [i0, i1];
}

/** Chords: FM electric piano, detuned-saw pad, Karplus–Strong pluck or drawbar organ. */
export function renderKeys(
  buf: Float32Array,
  sr: number,
  notes: Note[],
  kind: Keys,
  brightness: number,
  noise: Noise,
): void {
  const release = kind === 'pad' ? 0.5 : kind === 'pluck' ? 0.3 : 0.12;
  for (const note of notes) {
    const f = midiToHz(note.midi);
    const [i0, i1] = span(buf, sr, note.start, note.dur + release);
    const gateEnd = Math.round((note.start + note.dur) * sr);
    if (kind === 'pluck') {
      // Karplus–Strong: a noise burst circulating in a delay line with a gentle lowpass.
      const period = Math.max(2, Math.round(sr / f));
      const line = new Float32Array(period);
      for (let k = 0; k < period; k++) line[k] = noise.next();
      let p = 0;
      const decay = 0.996 - 0.002 * (1 - brightness);
      for (let i = i0; i < i1; i++) {
        const a = line[p] ?? 0;
        const b = line[(p + 1) % period] ?? 0;
        line[p] = (a + b) * 0.5 * decay;
        p = (p + 1) % period;
        const gate = i < gateEnd ? 1 : Math.max(0, 1 - (i - gateEnd) / (release * sr));
        buf[i] = (buf[i] ?? 0) + a * note.vel * gate * 0.5;
      }
      continue;
    }
    const padInc = [0.997, 1, 1.003].map((d) => (f * d) / sr);
    const padPhase = [0.1, 0.4, 0.7];
    let lp = 0;
    const cutoff = Math.min(0.45 * sr, 700 + 2600 * brightness);
    const alpha = 1 - Math.exp((-TAU * cutoff) / sr);
    const organ = kind === 'organ' ? wavetable(f, sr * 0.45, ORGAN_DRAWBARS) : undefined;
    const tineOn = f * 14 < sr * 0.45;
    // Exponential envelopes as per-sample multipliers instead of Math.exp calls.
    const ampDecay = Math.exp(-1 / (1.4 * sr));
    const indexDecay = Math.exp(-1 / (0.2 * sr));
    const tineDecay = Math.exp(-1 / (0.03 * sr));
    let amp = 1;
    let index = 1.8;
    let tineAmp = 0.06;
    const inc = f / sr;
    for (let i = i0; i < i1; i++) {
      const n = i - i0;
      const t = n / sr;
      const gate = i < gateEnd ? 1 : Math.max(0, 1 - (i - gateEnd) / (release * sr));
      let v: number;
      if (kind === 'epiano') {
        // Two-operator FM (Chowning 1973): ratio 1 with a decaying index, plus a faint tine at ratio 14.
        const phase = inc * n;
        const mod = sinCycles(phase) * (0.3 + index);
        const tine = tineOn ? tineAmp * sinCycles(phase * 14) : 0;
        v = (sinCycles(phase + mod / TAU) + tine) * amp * Math.min(1, t / 0.003);
        amp *= ampDecay;
        index *= indexDecay;
        tineAmp *= tineDecay;
      } else if (kind === 'organ' && organ) {
        const trem = 1 + 0.08 * sinCycles(6 * t);
        v = readTable(organ, inc * n) * 0.45 * trem * Math.min(1, t / 0.01);
      } else {
        // Pad: three detuned band-limited saws through a one-pole lowpass, slow attack.
        v = 0;
        for (let k = 0; k < 3; k++) {
          const dt = padInc[k] ?? 0;
          let ph = (padPhase[k] ?? 0) + dt;
          if (ph >= 1) ph -= 1;
          padPhase[k] = ph;
          v += 2 * ph - 1 - polyBlep(ph, dt);
        }
        lp += alpha * (v / 3 - lp);
        v = lp * Math.min(1, t / 0.35);
      }
      buf[i] = (buf[i] ?? 0) + v * note.vel * gate * 0.35;
    }
  }
}

/** Bass: a sine with its octave, gently saturated, short attack. */
export function renderBass(buf: Float32Array, sr: number, notes: Note[], drive: number): void {
  for (const note of notes) {
    const f = midiToHz(note.midi);
    const table = wavetable(f, sr * 0.45, BASS_HARMONICS);
    const [i0, i1] = span(buf, sr, note.start, note.dur + 0.05);
    const gateEnd = Math.round((note.start + note.dur) * sr);
    const decay = Math.exp(-1 / (0.15 * sr));
    let pluck = 0.25;
    const inc = f / sr;
    const gain = 1 + drive * 2;
    for (let i = i0; i < i1; i++) {
      const n = i - i0;
      const env = Math.min(1, n / (0.006 * sr)) * (0.75 + pluck);
      pluck *= decay;
      const gate = i < gateEnd ? 1 : Math.max(0, 1 - (i - gateEnd) / (0.05 * sr));
      buf[i] = (buf[i] ?? 0) + softClip(readTable(table, inc * n) * gain) * env * gate * note.vel * 0.6;
    }
  }
}

/**
 * Drums: a pitch-swept sine kick, a noise-and-tone snare, high-passed noise hats and a
 * triple-burst clap. Each hit goes to its own track so the mixer can pan them.
 */
export function renderDrums(
  tracks: { kick: Float32Array; snare: Float32Array; hat: Float32Array },
  sr: number,
  hits: DrumHit[],
  noise: Noise,
): void {
  for (const hit of hits) {
    const { kind } = hit;
    const buf =
      kind === 'kick' ? tracks.kick : kind === 'hat' || kind === 'openhat' ? tracks.hat : tracks.snare;
    const length = kind === 'kick' ? 0.45 : kind === 'openhat' ? 0.3 : kind === 'hat' ? 0.06 : 0.25;
    const [i0, i1] = span(buf, sr, hit.time, length);
    let phase = 0;
    let prev = 0;
    let hp = 0;
    // Exponential decays as per-sample multipliers.
    const k = (tau: number) => Math.exp(-1 / (tau * sr));
    const [kBody, kPitch, kClick, kNoise, kTone, kHat] = [
      k(0.28),
      k(0.035),
      k(0.002),
      k(0.075),
      k(0.05),
      k(kind === 'hat' ? 0.018 : 0.12),
    ];
    let body = 1;
    let pitch = 1;
    let click = 0.3;
    let noiseEnv = 1;
    let tone = 1;
    let hatEnv = 1;
    let lpNoise = 0;
    for (let i = i0; i < i1; i++) {
      const t = (i - i0) / sr;
      let v: number;
      if (kind === 'kick') {
        phase += (48 + 110 * pitch) / sr;
        v = sinCycles(phase) * body + click * noise.next();
        body *= kBody;
        pitch *= kPitch;
        click *= kClick;
      } else {
        const n = noise.next();
        hp = n - prev; // first difference: a cheap high-pass for hats and snare wires
        prev = n;
        if (kind === 'snare') {
          phase += 185 / sr;
          lpNoise += 0.45 * (n - lpNoise); // wires: noise softened above ~4 kHz
          v = 0.55 * lpNoise * noiseEnv + 0.5 * sinCycles(phase) * tone;
          noiseEnv *= kNoise;
          tone *= kTone;
        } else if (kind === 'clap') {
          const burst = t < 0.03 ? Math.exp(-(t % 0.01) / 0.003) : Math.exp(-(t - 0.03) / 0.09);
          v = 0.7 * hp * burst;
        } else {
          v = 0.4 * hp * hatEnv;
          hatEnv *= kHat;
        }
      }
      buf[i] = (buf[i] ?? 0) + v * hit.vel;
    }
  }
}

/**
 * A small stereo reverb (Schroeder/Freeverb layout: four damped combs and two allpasses per
 * side), returning the wet signal.
 */
export function reverb(input: Float32Array, sr: number, offset: number): Float32Array {
  const scale = sr / 44100;
  const combs = [1116, 1188, 1277, 1356].map((d) => Math.max(1, Math.round((d + offset) * scale)));
  const allpasses = [556, 441].map((d) => Math.max(1, Math.round((d + offset) * scale)));
  const out = new Float32Array(input.length);
  const feedback = 0.8;
  const damp = 0.25;
  for (const delay of combs) {
    const line = new Float32Array(delay);
    let p = 0;
    let store = 0;
    for (let i = 0; i < input.length; i++) {
      const y = line[p] ?? 0;
      store = y * (1 - damp) + store * damp;
      line[p] = (input[i] ?? 0) + store * feedback;
      p = (p + 1) % delay;
      out[i] = (out[i] ?? 0) + y * 0.25;
    }
  }
  for (const delay of allpasses) {
    const line = new Float32Array(delay);
    let p = 0;
    for (let i = 0; i < out.length; i++) {
      const buffered = line[p] ?? 0;
      const x = out[i] ?? 0;
      line[p] = x + buffered * 0.5;
      out[i] = buffered - x;
      p = (p + 1) % delay;
    }
  }
  return out;
}
