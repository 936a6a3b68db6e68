/**
 * The singer: a source–filter formant synthesizer in the manner of Klatt (1980). A
 * band-limited glottal pulse train at the note's pitch (with scoop, vibrato and a little
 * breath) runs through a cascade of four resonators tuned to the vowel's formants; noise
 * through a band-pass makes the consonants. All parameters move along a keyframed timeline,
 * so vowels glide into each other and diphthongs (`aɪ`, `eɪ`, `aʊ`) travel.
 *
 * @module
 */
import type { SungNote } from './compose.js';
import { midiToHz, Noise } from './instruments.js';
import type { Consonant, Vowel } from './syllables.js';

const TAU = Math.PI * 2;

/** F1–F3 in Hz for each sung vowel (Peterson & Barney 1952 averages, nudged for singing). */
const FORMANTS: Record<Vowel, [number, number, number]> = {
  i: [300, 2250, 2950],
  ɪ: [420, 1950, 2600],
  e: [440, 2100, 2700],
  ɛ: [580, 1800, 2550],
  æ: [700, 1700, 2500],
  ɑ: [760, 1150, 2600],
  ɔ: [600, 900, 2550],
  o: [480, 850, 2450],
  ʊ: [460, 1080, 2350],
  u: [340, 880, 2300],
  ʌ: [660, 1250, 2500],
  ɝ: [500, 1380, 1750],
};

/** How each consonant sounds: length, how much voice and noise, the noise band, formants. */
const CONSONANTS: Record<
  Consonant,
  { dur: number; voice: number; noise: number; band: number; formants?: [number, number, number] }
> = {
  plosive: { dur: 0.035, voice: 0, noise: 0.9, band: 2200 },
  voicedPlosive: { dur: 0.03, voice: 0.35, noise: 0.4, band: 1500, formants: [250, 1200, 2400] },
  sibilant: { dur: 0.09, voice: 0, noise: 0.55, band: 6500 },
  shush: { dur: 0.09, voice: 0, noise: 0.6, band: 3000 },
  fricative: { dur: 0.07, voice: 0.1, noise: 0.3, band: 4500 },
  nasal: { dur: 0.06, voice: 0.55, noise: 0, band: 1000, formants: [260, 1100, 2300] },
  liquid: { dur: 0.05, voice: 0.7, noise: 0, band: 1000, formants: [380, 1200, 2500] },
  glide: { dur: 0.05, voice: 0.7, noise: 0, band: 1000, formants: [320, 800, 2250] },
  h: { dur: 0.05, voice: 0, noise: 0, band: 1000 },
};

/** One keyframe: time and every synthesis parameter at that time. */
interface Key {
  t: number;
  f0: number;
  voice: number;
  noise: number;
  band: number;
  aspiration: number;
  vibrato: number;
  f1: number;
  f2: number;
  f3: number;
}

/**
 * Sings the melody into `buf`. `register` scales the formants (1.0 male, ~1.12 female).
 *
 * @example
 * ```ts
 * const buf = new Float32Array(sr * 4);
 * renderVoice(buf, sr, score.melody, { register: 1.12, seed: 7 });
 * ```
 */
export function renderVoice(
  buf: Float32Array,
  sr: number,
  notes: SungNote[],
  opts: { register: number; seed: number },
): void {
  const keys = timeline(notes, opts.register);
  if (keys.length < 2) return;
  const noise = new Noise(opts.seed ^ 0x5bd1e995);
  const nyquist = sr / 2;
  const bandwidths = [90, 110, 170, 250];
  // Cascade resonators (Klatt 1980, eq. 2): y[n] = A·x[n] + B·y[n-1] + C·y[n-2], unity gain at DC.
  const y1 = new Float64Array(4);
  const y2 = new Float64Array(4);
  const A = new Float64Array(4);
  const B = new Float64Array(4);
  const C = new Float64Array(4);
  // Frication band-pass: RBJ cookbook BPF with 0 dB peak gain (b0 = α, b2 = −α).
  let bpAlpha = 0;
  let bpCos = 0;
  let nx1 = 0;
  let nx2 = 0;
  let ny1 = 0;
  let ny2 = 0;
  const tune = (k: number, f: number, bw: number) => {
    const freq = Math.min(f, nyquist * 0.9);
    const c = -Math.exp((-TAU * bw) / sr);
    const b = 2 * Math.exp((-Math.PI * bw) / sr) * Math.cos((TAU * freq) / sr);
    A[k] = 1 - b - c;
    B[k] = b;
    C[k] = c;
  };
  const f4 = 3400 * opts.register;
  let k = 0;
  let phase = 0;
  let tilt = 0;
  let vibPhase = 0;
  const start = Math.max(0, Math.floor((keys[0]?.t ?? 0) * sr));
  const end = Math.min(buf.length, Math.ceil((keys.at(-1)?.t ?? 0) * sr));
  let cur = keys[0] as Key;
  for (let i = start; i < end; i++) {
    const t = i / sr;
    while (k + 1 < keys.length && (keys[k + 1] as Key).t <= t) k++;
    const a = keys[k] as Key;
    const b = keys[k + 1] ?? a;
    const span = b.t - a.t;
    const x = span > 0 ? Math.min(1, (t - a.t) / span) : 0;
    if ((i & 31) === 0) {
      // Parameters move smoothly; recomputing the filters every 32 samples is plenty.
      cur = {
        t,
        f0: a.f0 + (b.f0 - a.f0) * x,
        voice: a.voice + (b.voice - a.voice) * x,
        noise: a.noise + (b.noise - a.noise) * x,
        band: a.band + (b.band - a.band) * x,
        aspiration: a.aspiration + (b.aspiration - a.aspiration) * x,
        vibrato: a.vibrato + (b.vibrato - a.vibrato) * x,
        f1: a.f1 + (b.f1 - a.f1) * x,
        f2: a.f2 + (b.f2 - a.f2) * x,
        f3: a.f3 + (b.f3 - a.f3) * x,
      };
      tune(0, cur.f1, bandwidths[0] ?? 90);
      tune(1, cur.f2, bandwidths[1] ?? 110);
      tune(2, cur.f3, bandwidths[2] ?? 170);
      tune(3, f4, bandwidths[3] ?? 250);
      const w0 = (TAU * Math.min(cur.band, nyquist * 0.85)) / sr;
      bpAlpha = Math.sin(w0) / (2 * 1.4);
      bpCos = Math.cos(w0);
    }
    // Glottal source: a PolyBLEP saw (all harmonics, no aliasing) softened by a one-pole
    // low-pass for the −12 dB/octave tilt of a real glottal pulse, plus breath noise.
    vibPhase += (TAU * 5.4) / sr;
    const f0 = cur.f0 * 2 ** ((cur.vibrato * 0.45 * Math.sin(vibPhase)) / 12);
    const dt = f0 / sr;
    phase += dt;
    if (phase >= 1) phase -= 1;
    let saw = 2 * phase - 1;
    if (phase < dt) {
      const p = phase / dt;
      saw -= p + p - p * p - 1;
    } else if (phase > 1 - dt) {
      const p = (phase - 1) / dt;
      saw -= p * p + p + p + 1;
    }
    tilt += 0.25 * (saw - tilt);
    const n = noise.next();
    let s = tilt * cur.voice + n * (cur.aspiration + 0.03 * cur.voice);
    for (let r = 0; r < 4; r++) {
      const y = (A[r] ?? 0) * s + (B[r] ?? 0) * (y1[r] ?? 0) + (C[r] ?? 0) * (y2[r] ?? 0);
      y2[r] = y1[r] ?? 0;
      y1[r] = y;
      s = y;
    }
    // Frication: noise through its own band-pass.
    const a0 = 1 + bpAlpha;
    const fr = (bpAlpha * n - bpAlpha * nx2 + 2 * bpCos * ny1 - (1 - bpAlpha) * ny2) / a0;
    nx2 = nx1;
    nx1 = n;
    ny2 = ny1;
    ny1 = fr;
    buf[i] = (buf[i] ?? 0) + s + fr * cur.noise * 0.6;
  }
}

/** Builds the keyframes: consonants before the beat so each vowel lands on its note. */
function timeline(notes: SungNote[], register: number): Key[] {
  const keys: Key[] = [];
  const scaled = (f: [number, number, number]): [number, number, number] => [
    f[0] * register,
    f[1] * register,
    f[2] * register,
  ];
  const silent = (t: number, like: Key | undefined): Key => ({
    t,
    f0: like?.f0 ?? 200,
    voice: 0,
    noise: 0,
    band: like?.band ?? 2000,
    aspiration: 0,
    vibrato: 0,
    f1: like?.f1 ?? 500,
    f2: like?.f2 ?? 1500,
    f3: like?.f3 ?? 2500,
  });
  const onsetTime = notes.map((note, n) => {
    const want = note.syllable.onset.reduce((sum, c) => sum + CONSONANTS[c].dur, 0);
    const prev = notes[n - 1];
    const room = prev ? Math.max(0, note.start - (prev.start + prev.dur * 0.67)) : 0.12;
    return Math.min(want, 0.12, room);
  });
  for (let n = 0; n < notes.length; n++) {
    const note = notes[n] as SungNote;
    const next = notes[n + 1];
    const syl = note.syllable;
    const f0 = midiToHz(note.midi);
    const [f1, f2, f3] = scaled(FORMANTS[syl.vowel]);
    const amp = note.vel;
    const vowelKey = (
      t: number,
      vib: number,
      f: [number, number, number] = [f1, f2, f3],
      pitch = f0,
    ): Key => ({
      t,
      f0: pitch,
      voice: amp,
      noise: 0,
      band: 2000,
      aspiration: 0,
      vibrato: vib,
      f1: f[0],
      f2: f[1],
      f3: f[2],
    });
    // Onset consonants sit just before the beat, taking the gap and, when notes are legato,
    // up to a third of the previous note's tail (never more than 120 ms).
    const onset = syl.onset.map((c) => CONSONANTS[c]);
    const want = onset.reduce((sum, c) => sum + c.dur, 0);
    const squeeze = want > 0 ? (onsetTime[n] ?? 0) / want : 0;
    let t = note.start - (onsetTime[n] ?? 0);
    const prevEnd = keys.at(-1)?.t ?? 0;
    if (!keys.length || t - prevEnd > 0.02) {
      keys.push(silent(Math.max(prevEnd, t - 0.015), keys.at(-1)));
    }
    for (let c = 0; c < onset.length; c++) {
      const spec = onset[c];
      const kind = syl.onset[c];
      if (!spec || !kind || squeeze === 0) continue;
      const d = spec.dur * squeeze;
      const form = spec.formants ? scaled(spec.formants) : [f1, f2, f3];
      const key: Key = {
        t,
        f0: f0 * 0.97,
        voice: spec.voice * amp,
        noise: spec.noise * amp,
        band: spec.band,
        aspiration: kind === 'h' ? 0.5 * amp : 0,
        vibrato: 0,
        f1: form[0] ?? f1,
        f2: form[1] ?? f2,
        f3: form[2] ?? f3,
      };
      if (kind === 'plosive' || kind === 'voicedPlosive') {
        // A stop: the tract closes (silence, or a voice bar for b/d/g), then a burst releases it.
        const closure: Key = { ...key, t, voice: kind === 'voicedPlosive' ? 0.2 * amp : 0, noise: 0 };
        keys.push(
          closure,
          { ...closure, t: t + d * 0.5 },
          { ...key, t: t + d * 0.55 },
          { ...key, t: t + d, noise: key.noise * 0.3 },
        );
      } else {
        keys.push(key, { ...key, t: t + d * 0.8 });
      }
      t += d;
    }
    // The vowel: scoop up into the pitch, vibrato after the first 200 ms, glide for diphthongs.
    // The note ends early when the next syllable's consonants need the time.
    const noteEnd = Math.max(
      note.start + 0.03,
      Math.min(note.start + note.dur, next ? next.start - (onsetTime[n + 1] ?? 0) : Infinity),
    );
    const coda = syl.coda ? CONSONANTS[syl.coda] : undefined;
    const codaDur = coda && syl.wordEnd ? Math.min(coda.dur, (noteEnd - note.start) * 0.3) : 0;
    const vowelEnd = noteEnd - codaDur;
    keys.push(vowelKey(note.start, 0, [f1, f2, f3], f0 * 0.97));
    keys.push(vowelKey(Math.min(vowelEnd, note.start + 0.06), 0));
    if (vowelEnd - note.start > 0.25) keys.push(vowelKey(note.start + 0.2, 0));
    if (vowelEnd - note.start > 0.6) keys.push(vowelKey(note.start + 0.6, 1));
    if (syl.glide) {
      const g = scaled(FORMANTS[syl.glide]);
      const glideStart = note.start + (vowelEnd - note.start) * 0.6;
      keys.push(vowelKey(glideStart, vowelEnd - note.start > 0.6 ? 1 : 0));
      keys.push(vowelKey(vowelEnd, vowelEnd - note.start > 0.6 ? 1 : 0, g));
    } else {
      keys.push(vowelKey(vowelEnd, vowelEnd - note.start > 0.6 ? 1 : 0));
    }
    if (coda && codaDur > 0) {
      const form = coda.formants
        ? scaled(coda.formants)
        : [keys.at(-1)?.f1 ?? f1, keys.at(-1)?.f2 ?? f2, keys.at(-1)?.f3 ?? f3];
      const codaKey: Key = {
        t: vowelEnd + codaDur * 0.3,
        f0,
        voice: coda.voice * amp,
        noise: coda.noise * amp * 0.8,
        band: coda.band,
        aspiration: 0,
        vibrato: 0,
        f1: form[0] ?? f1,
        f2: form[1] ?? f2,
        f3: form[2] ?? f3,
      };
      keys.push(codaKey, { ...codaKey, t: noteEnd });
    }
    // Release: a short fade, or a legato join when the next note follows at once.
    const gap = next ? next.start - (onsetTime[n + 1] ?? 0) - noteEnd : 1;
    if (gap > 0.03) keys.push(silent(noteEnd + 0.025, keys.at(-1)));
  }
  // Keyframes must not go back in time (a squeezed onset can touch the previous release).
  for (let i = 1; i < keys.length; i++) {
    const prev = keys[i - 1] as Key;
    const cur = keys[i] as Key;
    if (cur.t < prev.t) cur.t = prev.t;
  }
  return keys;
}
