/**
 * The composer: lyrics and a style in, a score out (chords, a sung melody carrying one
 * syllable per note, bass, keys and drums), all in seconds. Deterministic for a given seed.
 *
 * @module
 */
import { Random } from './random.js';
import type { SongStyle } from './style.js';
import type { LyricLine, Syllable } from './syllables.js';

export interface Note {
  /** Start, seconds. */
  start: number;
  /** Length, seconds. */
  dur: number;
  midi: number;
  /** 0…1. */
  vel: number;
}

export interface SungNote extends Note {
  syllable: Syllable;
}

export type DrumKind = 'kick' | 'snare' | 'hat' | 'openhat' | 'clap';

export interface DrumHit {
  time: number;
  kind: DrumKind;
  vel: number;
}

export interface Score {
  style: SongStyle;
  /** Seconds, including the tail of the last note. */
  duration: number;
  bars: number;
  /** Seconds per beat. */
  beat: number;
  /** One chord per bar: its root (MIDI) and its notes. */
  chords: { start: number; dur: number; root: number; notes: number[] }[];
  melody: SungNote[];
  bass: Note[];
  keys: Note[];
  drums: DrumHit[];
  /** How many syllables are sung. */
  syllables: number;
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];

/** Progressions as scale degrees (0 = I), one chord per bar. */
const PROGRESSIONS: Record<'major' | 'minor', number[][]> = {
  major: [
    [0, 4, 5, 3],
    [0, 5, 3, 4],
    [0, 3, 4, 3],
    [0, 3, 5, 4],
  ],
  minor: [
    [0, 5, 2, 6],
    [0, 3, 6, 2],
    [0, 3, 4, 0],
    [0, 6, 5, 6],
  ],
};

/** 16th-note steps of one 4/4 bar for each drum style. */
const GROOVES: Record<SongStyle['drums'], Partial<Record<DrumKind, number[]>>> = {
  pop: { kick: [0, 8, 10], snare: [4, 12], hat: [0, 2, 4, 6, 8, 10, 12, 14] },
  rock: { kick: [0, 6, 8], snare: [4, 12], hat: [0, 2, 4, 6, 8, 10, 12, 14] },
  four: { kick: [0, 4, 8, 12], clap: [4, 12], openhat: [2, 6, 10, 14], hat: [1, 3, 5, 7, 9, 11, 13, 15] },
  hiphop: { kick: [0, 7, 10], snare: [4, 12], hat: [0, 2, 4, 6, 8, 10, 12, 14] },
  brush: { kick: [0, 8], snare: [4, 12], hat: [0, 4, 6, 8, 12, 14] },
  half: { kick: [0, 10], snare: [8], hat: [0, 4, 8, 12] },
  sparse: { kick: [0], hat: [8] },
};

const WALTZ: Partial<Record<DrumKind, number[]>> = { kick: [0], snare: [4, 8], hat: [0, 2, 4, 6, 8, 10] };

/** The target length for a lyric: 10 characters → ~10 s, 600 → ~2 min, linear between. */
export function targetSeconds(lyricChars: number): number {
  return Math.max(10, Math.min(120, 10 + ((lyricChars - 10) * 110) / 590));
}

function triad(scale: readonly number[], degree: number, base: number): number[] {
  return [0, 2, 4].map((step) => {
    const d = degree + step;
    return base + (scale[d % 7] ?? 0) + 12 * Math.floor(d / 7);
  });
}

interface LinePlan {
  line: LyricLine;
  /** Beats from the end of the intro. */
  startBeat: number;
  beats: number;
}

/**
 * Lays the lyrics out in bars at the song's tempo, picks chords, writes the melody and the
 * accompaniment.
 *
 * @example
 * ```ts
 * const score = compose({ style: styleFromPrompt('upbeat pop'), lines: parseLyrics('la la la love'), lyricChars: 12, seed: 1 });
 * score.melody.length; // 4, one note per syllable
 * ```
 */
export function compose(input: {
  style: SongStyle;
  lines: LyricLine[];
  lyricChars: number;
  seed: number;
}): Score {
  const { style, lines } = input;
  const rng = new Random(input.seed);
  const beat = 60 / style.tempo;
  const bpb = style.beatsPerBar;
  const barSec = beat * bpb;
  const target = targetSeconds(input.lyricChars);

  // Note value per syllable (in beats): the one whose song length lands nearest the target,
  // among those a singer can sing (0.2–0.9 s a syllable). Slow songs phrase in half bars.
  const grain = style.tempo < 90 && bpb === 4 ? bpb / 2 : bpb;
  const layout = (unit: number) => {
    const plans: LinePlan[] = [];
    let beats = 0;
    for (const line of lines) {
      if (line.stanzaStart && plans.length) beats += grain; // a breath between stanzas
      const need = line.syllables.length * unit + Math.max(unit, 1) + 0.5;
      let length = Math.ceil(need / grain) * grain;
      if (grain === bpb && length > bpb && (length / bpb) % 2) length += bpb; // phrases of 2 or 4 bars
      plans.push({ line, startBeat: beats, beats: length });
      beats += length;
    }
    return { plans, vocalBars: Math.ceil(beats / bpb) };
  };
  const units = [0.25, 0.5, 0.75, 1, 1.5, 2].filter((u) => u * beat >= 0.2 && u * beat <= 0.9);
  if (!units.length) units.push(0.5);
  let best = layout(units[0] ?? 0.5);
  let bestUnit = units[0] ?? 0.5;
  for (const unit of units) {
    const candidate = layout(unit);
    const err = Math.abs((candidate.vocalBars + 3) * barSec - target);
    if (err < Math.abs((best.vocalBars + 3) * barSec - target)) {
      best = candidate;
      bestUnit = unit;
    }
  }
  const totalBarsWanted = Math.max(best.vocalBars + 3, Math.ceil(target / barSec));
  const introBars = Math.min(4, Math.max(1, Math.floor((totalBarsWanted - best.vocalBars) / 2)));
  const bars = Math.max(introBars + best.vocalBars + 2, totalBarsWanted);
  const barStart = (b: number) => b * barSec;

  // Chords: one progression for verses, another for choruses (when the lyrics are tagged).
  const scale = style.mode === 'major' ? MAJOR : MINOR;
  const progs = PROGRESSIONS[style.mode];
  const verseProg = rng.pick(progs);
  const chorusProg =
    progs[(progs.indexOf(verseProg) + 1 + rng.int(progs.length - 1)) % progs.length] ?? verseProg;
  const sectionOfBar: (string | undefined)[] = new Array(bars).fill(undefined);
  for (const plan of best.plans) {
    const first = introBars + Math.floor(plan.startBeat / bpb);
    const last = introBars + Math.ceil((plan.startBeat + plan.beats) / bpb);
    for (let b = first; b < last && b < bars; b++) sectionOfBar[b] = plan.line.section;
  }
  const chordBase = 48 + style.tonic; // C3…B3
  const chords = Array.from({ length: bars }, (_, b) => {
    const prog = sectionOfBar[b]?.startsWith('chorus') ? chorusProg : verseProg;
    const degree = prog[b % prog.length] ?? 0;
    const notes = triad(scale, degree, chordBase);
    return { start: barStart(b), dur: barSec, root: notes[0] ?? chordBase, notes, degree };
  });

  // Melody: a walk on the scale around the voice's home note, leaning on chord tones at bar
  // starts and at line ends; lines of the same length reuse their tune, as verses do.
  const home = (style.voice === 'female' ? 60 : 48) + style.tonic;
  const low = home - 3;
  const high = home + 10;
  const degreeToMidi = (d: number) => home + (scale[((d % 7) + 7) % 7] ?? 0) + 12 * Math.floor(d / 7);
  const nearestChordDegree = (d: number, chordDegree: number) => {
    let bestD = d;
    let bestDist = 99;
    for (const tone of [0, 2, 4]) {
      for (let oct = -2; oct <= 2; oct++) {
        const cd = chordDegree + tone + oct * 7;
        const dist = Math.abs(cd - d);
        if (dist < bestDist && degreeToMidi(cd) >= low && degreeToMidi(cd) <= high) {
          bestDist = dist;
          bestD = cd;
        }
      }
    }
    return bestD;
  };
  const tunes = new Map<string, number[]>();
  const melody: SungNote[] = [];
  const swingShift = (beatPos: number) =>
    Math.abs((beatPos % 1) - 0.5) < 1e-6 ? style.swing * 0.5 * beat : 0;
  best.plans.forEach((plan, index) => {
    const { syllables } = plan.line;
    const lineStart = introBars * bpb + plan.startBeat; // in beats
    const chorusLift = plan.line.section?.startsWith('chorus') ? 2 : 0;
    const key = `${syllables.length}:${index % 2}:${chorusLift}`;
    let tune = tunes.get(key);
    if (!tune) {
      tune = [];
      let d = rng.pick([0, 2, 4]) + chorusLift;
      for (let i = 0; i < syllables.length; i++) {
        const pos = i / Math.max(1, syllables.length - 1);
        const arch = Math.round(3 * Math.sin(Math.PI * pos)) + chorusLift; // rise then fall
        const step = rng.pick([-2, -1, -1, 0, 1, 1, 2]);
        d += step + Math.sign(arch - d) * (rng.next() < 0.4 ? 1 : 0);
        d = Math.max(-2, Math.min(8, d));
        tune.push(d);
      }
      tunes.set(key, tune);
    }
    let beatPos = 0;
    syllables.forEach((syllable, i) => {
      const last = i === syllables.length - 1;
      const lengthBeats = last ? Math.max(bestUnit, plan.beats - beatPos - 0.5) : bestUnit;
      const bar = Math.floor((lineStart + beatPos) / bpb);
      const chord = chords[Math.min(bar, bars - 1)];
      let d = tune[i] ?? 0;
      const onDownbeat = (lineStart + beatPos) % bpb === 0;
      if (last || onDownbeat) d = nearestChordDegree(d, chord?.degree ?? 0);
      const start = (lineStart + beatPos) * beat + swingShift(beatPos);
      melody.push({
        start,
        dur: Math.min(lengthBeats, last ? 4 : lengthBeats) * beat * 0.96,
        midi: degreeToMidi(d),
        vel: syllable.stressed ? 0.95 : 0.8,
        syllable,
      });
      beatPos += lengthBeats;
    });
  });

  // Accompaniment.
  const bass: Note[] = [];
  const keys: Note[] = [];
  const drums: DrumHit[] = [];
  const stepSec = beat / 4;
  const stepsPerBar = bpb * 4;
  const groove = bpb === 3 ? WALTZ : GROOVES[style.drums];
  const human = () => 0.85 + rng.next() * 0.15;
  for (let b = 0; b < bars; b++) {
    const chord = chords[b];
    if (!chord) continue;
    const t0 = chord.start;
    const outro = b >= bars - 2;
    const root = 36 + ((chord.root - 36) % 12);
    // Bass: whole notes when calm, root and fifth when moderate, driving eighths when energetic.
    if (style.energy < -0.3 || outro) bass.push({ start: t0, dur: barSec, midi: root, vel: 0.9 });
    else if (style.energy < 0.45) {
      for (let q = 0; q < bpb; q += 2) {
        bass.push({ start: t0 + q * beat, dur: beat * 1.8, midi: q ? root + 7 : root, vel: q ? 0.75 : 0.9 });
      }
    } else {
      for (let e = 0; e < bpb * 2; e++) {
        bass.push({
          start: t0 + e * beat * 0.5,
          dur: beat * 0.45,
          midi: e === 6 ? root + 12 : root,
          vel: e % 2 ? 0.7 : 0.9,
        });
      }
    }
    // Keys: sustained pads and organ, offbeat e-piano stabs, plucked arpeggios.
    const voicing = chord.notes.map((n) => n + 12);
    if (style.keys === 'pad' || style.keys === 'organ' || outro) {
      for (const n of voicing) keys.push({ start: t0, dur: barSec, midi: n, vel: 0.7 });
    } else if (style.keys === 'epiano') {
      const hits = style.energy < -0.2 ? [0, 2] : bpb === 3 ? [0, 1, 2] : [0, 1.5, 2.5];
      for (const h of hits) {
        if (h >= bpb) continue;
        const next = hits.find((x) => x > h) ?? bpb;
        const len = (next - h) * beat;
        for (const n of voicing) keys.push({ start: t0 + h * beat, dur: len, midi: n, vel: h ? 0.6 : 0.8 });
      }
    } else {
      const arp = [voicing[0], voicing[1], voicing[2], (voicing[0] ?? 60) + 12, voicing[2], voicing[1]];
      for (let e = 0; e < bpb * 2; e++) {
        keys.push({
          start: t0 + e * beat * 0.5,
          dur: beat * 1.5,
          midi: arp[e % arp.length] ?? 60,
          vel: e % 2 ? 0.6 : 0.75,
        });
      }
    }
    // Drums: none in the first intro bar and the last bar; a snare fill before each stanza.
    if (b === 0 || b === bars - 1) continue;
    const fill =
      b > 1 &&
      best.plans.some((p) => p.line.stanzaStart && introBars + Math.floor(p.startBeat / bpb) === b + 1);
    for (const [kind, steps] of Object.entries(groove) as [DrumKind, number[]][]) {
      for (const step of steps) {
        if (step >= stepsPerBar || (fill && step >= stepsPerBar - 4 && kind !== 'kick')) continue;
        const swing = step % 4 === 2 ? style.swing * stepSec * 2 : 0;
        const accent = kind === 'hat' && step % 4 !== 0 ? 0.6 : 1;
        drums.push({ time: t0 + step * stepSec + swing, kind, vel: accent * human() });
      }
    }
    if (fill) {
      for (let s = stepsPerBar - 4; s < stepsPerBar; s++) {
        drums.push({ time: t0 + s * stepSec, kind: 'snare', vel: 0.5 + 0.12 * (s - stepsPerBar + 4) });
      }
    }
  }

  const lastNoteEnd = Math.max(...melody.map((n) => n.start + n.dur), 0);
  const duration = Math.max(bars * barSec + 1.5, lastNoteEnd + 1.5);
  return {
    style,
    duration,
    bars,
    beat,
    chords: chords.map(({ degree: _d, ...c }) => c),
    melody,
    bass,
    keys,
    drums,
    syllables: melody.length,
  };
}
