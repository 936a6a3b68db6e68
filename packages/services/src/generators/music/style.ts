/**
 * Tempo, key, mode, mood, genre and voice drawn from the words of a style prompt. Pure and
 * deterministic: the same prompt always yields the same style.
 *
 * @module
 */
import { hashString, Random } from './random.js';

export type Genre =
  | 'pop'
  | 'rock'
  | 'ballad'
  | 'dance'
  | 'hiphop'
  | 'jazz'
  | 'folk'
  | 'lofi'
  | 'ambient'
  | 'metal';
export type Keys = 'epiano' | 'pad' | 'pluck' | 'organ';
export type DrumStyle = 'pop' | 'rock' | 'four' | 'hiphop' | 'brush' | 'half' | 'sparse';

/** Everything the composer needs to know about the prompt. */
export interface SongStyle {
  genre: Genre;
  /** Beats per minute. */
  tempo: number;
  mode: 'major' | 'minor';
  /** Pitch class of the tonic, 0 = C. */
  tonic: number;
  /** E.g. `"A minor"`. */
  key: string;
  mood: string;
  /** -1 (calm) … 1 (driving). */
  energy: number;
  /** -1 (sad) … 1 (happy). */
  valence: number;
  voice: 'female' | 'male';
  beatsPerBar: 3 | 4;
  /** 0 straight … 0.33 triplet swing of the off-beat eighths. */
  swing: number;
  keys: Keys;
  drums: DrumStyle;
}

interface GenreDefaults {
  tempo: number;
  energy: number;
  keys: Keys;
  drums: DrumStyle;
  swing?: number;
}

const GENRES: Record<Genre, GenreDefaults> = {
  pop: { tempo: 116, energy: 0.3, keys: 'epiano', drums: 'pop' },
  rock: { tempo: 128, energy: 0.6, keys: 'organ', drums: 'rock' },
  ballad: { tempo: 70, energy: -0.5, keys: 'epiano', drums: 'half' },
  dance: { tempo: 124, energy: 0.7, keys: 'pad', drums: 'four' },
  hiphop: { tempo: 90, energy: 0.2, keys: 'epiano', drums: 'hiphop', swing: 0.12 },
  jazz: { tempo: 112, energy: 0, keys: 'epiano', drums: 'brush', swing: 0.3 },
  folk: { tempo: 100, energy: -0.1, keys: 'pluck', drums: 'sparse' },
  lofi: { tempo: 80, energy: -0.4, keys: 'epiano', drums: 'hiphop', swing: 0.18 },
  ambient: { tempo: 72, energy: -0.8, keys: 'pad', drums: 'sparse' },
  metal: { tempo: 150, energy: 0.9, keys: 'organ', drums: 'rock' },
};

/** Word stems and what they say. A stem of 4+ letters also matches longer words ("danc" → dancing). */
const LEXICON: Record<string, { v?: number; e?: number; g?: Genre; voice?: 'female' | 'male' }> = {
  // happy, bright
  happy: { v: 1, e: 0.3 },
  happiness: { v: 1 },
  joy: { v: 1, e: 0.3 },
  joyful: { v: 1, e: 0.3 },
  upbeat: { v: 0.8, e: 0.6 },
  summer: { v: 0.8, e: 0.3 },
  sunny: { v: 0.9, e: 0.2 },
  sun: { v: 0.6 },
  bright: { v: 0.7 },
  cheer: { v: 0.9, e: 0.4 },
  fun: { v: 0.8, e: 0.4 },
  party: { v: 0.8, e: 0.7 },
  celebrat: { v: 0.9, e: 0.5 },
  hope: { v: 0.6 },
  uplift: { v: 0.9, e: 0.3 },
  love: { v: 0.4 },
  romantic: { v: 0.4, e: -0.3 },
  sweet: { v: 0.5 },
  playful: { v: 0.8, e: 0.3 },
  triumph: { v: 0.7, e: 0.6 },
  epic: { e: 0.5 },
  // sad, dark
  sad: { v: -1, e: -0.4 },
  sadness: { v: -1, e: -0.4 },
  melanchol: { v: -1, e: -0.4 },
  lonely: { v: -0.9, e: -0.4 },
  alone: { v: -0.7, e: -0.3 },
  tear: { v: -0.8, e: -0.3 },
  cry: { v: -0.8, e: -0.3 },
  heartbreak: { v: -1, e: -0.3 },
  broken: { v: -0.8 },
  grief: { v: -1, e: -0.5 },
  sorrow: { v: -1, e: -0.5 },
  somber: { v: -0.8, e: -0.5 },
  dark: { v: -0.8, e: 0.1 },
  gloomy: { v: -0.9, e: -0.3 },
  rain: { v: -0.5, e: -0.2 },
  blue: { v: -0.5 },
  blues: { v: -0.6, g: 'jazz' },
  goodbye: { v: -0.6, e: -0.2 },
  nostalgi: { v: -0.4, e: -0.3 },
  angry: { v: -0.7, e: 0.8 },
  haunting: { v: -0.8, e: -0.2 },
  mysterious: { v: -0.6, e: -0.1 },
  // energy
  fast: { e: 0.8 },
  energetic: { e: 0.9 },
  driving: { e: 0.7 },
  intense: { e: 0.8 },
  powerful: { e: 0.6 },
  loud: { e: 0.7 },
  anthem: { e: 0.6, v: 0.3 },
  slow: { e: -0.8 },
  calm: { e: -0.8, v: 0.1 },
  chill: { e: -0.6, v: 0.2 },
  relax: { e: -0.8, v: 0.2 },
  soft: { e: -0.6 },
  gentle: { e: -0.7, v: 0.2 },
  peaceful: { e: -0.8, v: 0.4 },
  dreamy: { e: -0.6, v: 0.2 },
  mellow: { e: -0.6 },
  quiet: { e: -0.7 },
  lullaby: { e: -1, v: 0.3, g: 'ambient' },
  // genres
  pop: { g: 'pop' },
  rock: { g: 'rock', e: 0.4 },
  punk: { g: 'rock', e: 0.9 },
  ballad: { g: 'ballad', e: -0.5 },
  dance: { g: 'dance', e: 0.5, v: 0.3 },
  disco: { g: 'dance', v: 0.6, e: 0.5 },
  edm: { g: 'dance', e: 0.7 },
  house: { g: 'dance' },
  techno: { g: 'dance', e: 0.6 },
  electronic: { g: 'dance' },
  synth: { g: 'dance' },
  synthwave: { g: 'dance', v: -0.2 },
  club: { g: 'dance', e: 0.5 },
  hip: { g: 'hiphop' },
  hop: { g: 'hiphop' },
  hiphop: { g: 'hiphop' },
  rap: { g: 'hiphop' },
  trap: { g: 'hiphop', v: -0.3 },
  rnb: { g: 'hiphop', v: 0.2 },
  soul: { g: 'jazz', v: 0.2 },
  funk: { g: 'jazz', e: 0.5, v: 0.5 },
  jazz: { g: 'jazz' },
  swing: { g: 'jazz', v: 0.4 },
  folk: { g: 'folk' },
  acoustic: { g: 'folk', e: -0.3 },
  country: { g: 'folk', v: 0.3 },
  guitar: { g: 'folk' },
  lofi: { g: 'lofi' },
  ambient: { g: 'ambient' },
  cinematic: { g: 'ambient', e: 0.2 },
  orchestral: { g: 'ambient', e: 0.2 },
  metal: { g: 'metal', v: -0.5 },
  heavy: { g: 'metal', e: 0.6 },
  // voice
  female: { voice: 'female' },
  woman: { voice: 'female' },
  girl: { voice: 'female' },
  she: { voice: 'female' },
  soprano: { voice: 'female' },
  diva: { voice: 'female' },
  male: { voice: 'male' },
  man: { voice: 'male' },
  boy: { voice: 'male' },
  baritone: { voice: 'male' },
  tenor: { voice: 'male' },
};

const NOTE_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];
const LETTER_PC: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

function lookup(word: string) {
  const exact = LEXICON[word];
  if (exact) return exact;
  for (const [stem, meaning] of Object.entries(LEXICON)) {
    if (stem.length >= 4 && word.startsWith(stem)) return meaning;
  }
  return undefined;
}

function mood(valence: number, energy: number): string {
  if (valence > 0.25) return energy > 0.2 ? 'joyful' : energy < -0.3 ? 'tender' : 'warm';
  if (valence < -0.25) return energy > 0.2 ? 'dark' : 'melancholic';
  return energy > 0.3 ? 'driving' : energy < -0.3 ? 'calm' : 'easygoing';
}

/**
 * The style of a song from its prompt.
 *
 * @example
 * ```ts
 * styleFromPrompt('upbeat pop song about summer vibes'); // { mode: 'major', tempo: ~125, mood: 'joyful', … }
 * styleFromPrompt('a sad piano ballad');                  // { mode: 'minor', tempo: ~60, … }
 * ```
 */
export function styleFromPrompt(prompt: string): SongStyle {
  if (typeof prompt !== 'string') throw new TypeError('styleFromPrompt: prompt must be a string');
  const text = prompt.toLowerCase();
  const rng = new Random(hashString(`style:${text}`));
  const words = text.match(/[a-z]+/g) ?? [];
  let valence = 0;
  let energy = 0;
  let genre: Genre | undefined;
  let voice: 'female' | 'male' | undefined;
  for (const word of words) {
    const m = lookup(word);
    if (!m) continue;
    valence += m.v ?? 0;
    energy += m.e ?? 0;
    genre ??= m.g;
    voice ??= m.voice;
  }
  genre ??= 'pop';
  const defaults = GENRES[genre];
  valence = Math.max(-1, Math.min(1, valence));
  energy = Math.max(-1, Math.min(1, (Math.max(-1.5, Math.min(1.5, energy)) + defaults.energy) / 1.5));

  // Explicit musical terms win over the mood words: "in D minor", "Eb major", "96 bpm", "waltz".
  let mode: 'major' | 'minor' =
    valence > 0.1 ? 'major' : valence < -0.1 ? 'minor' : rng.next() < 0.65 ? 'major' : 'minor';
  let tonic = rng.int(12);
  const keyMatch = /\b([a-g])(#|♯|b|♭|-sharp| sharp|-flat| flat)?\s*(major|minor)\b/.exec(text);
  if (keyMatch) {
    const accidental = keyMatch[2]?.trim() ?? '';
    const shift = /#|♯|sharp/.test(accidental) ? 1 : /b|♭|flat/.test(accidental) ? -1 : 0;
    tonic = ((LETTER_PC[keyMatch[1] ?? 'c'] ?? 0) + shift + 12) % 12;
    mode = keyMatch[3] === 'minor' ? 'minor' : 'major';
  } else if (/\bminor\b/.test(text)) mode = 'minor';
  else if (/\bmajor\b/.test(text)) mode = 'major';

  let tempo = defaults.tempo + energy * 14 + rng.signed() * 3;
  const bpm = /\b(\d{2,3})\s*bpm\b/.exec(text);
  if (bpm) tempo = Number(bpm[1]);
  tempo = Math.round(Math.max(50, Math.min(190, tempo)));

  return {
    genre,
    tempo,
    mode,
    tonic,
    key: `${NOTE_NAMES[tonic]} ${mode}`,
    mood: mood(valence, energy),
    energy,
    valence,
    voice: voice ?? (rng.next() < 0.5 ? 'female' : 'male'),
    beatsPerBar: /\bwaltz\b|\b3\/4\b/.test(text) ? 3 : 4,
    swing: defaults.swing ?? 0,
    keys: defaults.keys,
    drums: energy < -0.75 && genre !== 'ballad' ? 'sparse' : defaults.drums,
  };
}
