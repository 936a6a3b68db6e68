/**
 * Lyrics → lines → words → syllables, each with the vowel to sing and the consonants around
 * it. English spelling is irregular, so these are heuristics (vowel groups, a silent final
 * `e`, the usual consonant-cluster splits, a few spelling patterns and a short list of common
 * words), good enough to put one sung vowel on each note.
 *
 * @module
 */

/** Sung vowels (roughly IPA): i ɪ e ɛ æ ɑ ɔ o ʊ u ʌ ɝ. */
export type Vowel = 'i' | 'ɪ' | 'e' | 'ɛ' | 'æ' | 'ɑ' | 'ɔ' | 'o' | 'ʊ' | 'u' | 'ʌ' | 'ɝ';

/** How a consonant is voiced by the synthesizer. */
export type Consonant =
  | 'plosive'
  | 'voicedPlosive'
  | 'sibilant'
  | 'shush'
  | 'fricative'
  | 'nasal'
  | 'liquid'
  | 'glide'
  | 'h';

export interface Syllable {
  text: string;
  vowel: Vowel;
  /** The vowel it glides to, for diphthongs (`aɪ` in "night" is ɑ → i). */
  glide?: Vowel;
  /** Consonants sung before the vowel, in order (at most two). */
  onset: Consonant[];
  /** The consonant that ends the syllable, if any. */
  coda?: Consonant;
  stressed: boolean;
  wordEnd: boolean;
}

export interface LyricLine {
  syllables: Syllable[];
  /** The `[chorus]`-style tag in force, lower-cased, if the lyrics have tags. */
  section?: string;
  /** True after an empty line in the lyrics (a stanza break). */
  stanzaStart: boolean;
}

const VOWEL_LETTERS = new Set(['a', 'e', 'i', 'o', 'u']);
const ONSETS = new Set([
  'bl',
  'br',
  'cl',
  'cr',
  'dr',
  'fl',
  'fr',
  'gl',
  'gr',
  'pl',
  'pr',
  'sc',
  'sk',
  'sl',
  'sm',
  'sn',
  'sp',
  'st',
  'sw',
  'tr',
  'tw',
  'th',
  'sh',
  'ch',
  'ph',
  'wh',
  'qu',
  'wr',
  'kn',
]);
const FUNCTION_WORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'in',
  'on',
  'at',
  'and',
  'or',
  'but',
  'is',
  'are',
  'was',
  'it',
  'its',
  'for',
  'with',
  'as',
  'by',
  'be',
  'am',
  'my',
  'your',
  'our',
  'their',
  'his',
  'her',
  'from',
  'that',
  'this',
  'so',
  'if',
]);

/** Common words whose spelling misleads the rules: their vowels, syllable by syllable. */
const WORD_VOWELS: Record<string, (Vowel | [Vowel, Vowel])[]> = {
  i: [['ɑ', 'i']],
  a: ['ʌ'],
  the: ['ʌ'],
  to: ['u'],
  do: ['u'],
  you: ['u'],
  your: ['o'],
  who: ['u'],
  of: ['ʌ'],
  love: ['ʌ'],
  come: ['ʌ'],
  some: ['ʌ'],
  one: ['ʌ'],
  done: ['ʌ'],
  was: ['ʌ'],
  what: ['ʌ'],
  from: ['ʌ'],
  are: ['ɑ'],
  were: ['ɝ'],
  there: ['ɛ'],
  where: ['ɛ'],
  here: ['i'],
  heart: ['ɑ'],
  eye: [['ɑ', 'i']],
  eyes: [['ɑ', 'i']],
  all: ['ɔ'],
  call: ['ɔ'],
  fall: ['ɔ'],
  walk: ['ɔ'],
  talk: ['ɔ'],
  could: ['ʊ'],
  would: ['ʊ'],
  should: ['ʊ'],
  through: ['u'],
  though: ['o'],
  know: ['o'],
  show: ['o'],
  slow: ['o'],
  glow: ['o'],
  grow: ['o'],
  low: ['o'],
  snow: ['o'],
  blow: ['o'],
  flow: ['o'],
  own: ['o'],
  soul: ['o'],
  said: ['ɛ'],
  again: ['ʌ', 'ɛ'],
  every: ['ɛ', 'ɝ', 'i'],
  baby: [['e', 'i'], 'i'],
  only: ['o', 'i'],
  tomorrow: ['ʌ', 'ɑ', 'o'],
  follow: ['ɑ', 'o'],
  shadow: ['æ', 'o'],
  window: ['ɪ', 'o'],
  yellow: ['ɛ', 'o'],
  forever: ['ɔ', 'ɛ', 'ɝ'],
  together: ['ʊ', 'ɛ', 'ɝ'],
};

function consonantOf(letters: string, i: number): Consonant {
  const c = letters[i] ?? '';
  const next = letters[i + 1] ?? '';
  if ((c === 's' || c === 'c') && next === 'h') return 'shush';
  if (c === 't' && next === 'h') return 'fricative';
  if (c === 'j') return 'shush';
  if ('ptkq'.includes(c)) return 'plosive';
  if (c === 'c') return 'eiy'.includes(next) ? 'sibilant' : 'plosive';
  if ('bdg'.includes(c)) return 'voicedPlosive';
  if ('szx'.includes(c)) return 'sibilant';
  if ('fv'.includes(c)) return 'fricative';
  if ('mn'.includes(c)) return 'nasal';
  if ('lr'.includes(c)) return 'liquid';
  if ('wy'.includes(c)) return 'glide';
  return 'h';
}

/** Which letters of `word` act as vowels (y: a consonant first or before a vowel). */
function vowelMask(word: string): boolean[] {
  const mask = [...word].map((ch, i) => {
    if (VOWEL_LETTERS.has(ch)) return true;
    if (ch !== 'y' || i === 0) return false;
    return !VOWEL_LETTERS.has(word[i + 1] ?? '');
  });
  // A silent final e ("time", "shines", "walked"), but not "-le" ("table") or a lone vowel ("the").
  const n = word.length;
  const count = mask.filter(Boolean).length;
  if (count > 1) {
    const prev = word[n - 2] ?? '';
    if (word.endsWith('e') && !mask[n - 2] && !(prev === 'l' && !mask[n - 3])) mask[n - 1] = false;
    else if (word.endsWith('es') && !mask[n - 3] && !/(s|x|z|ch|sh|ge|ce)es$/.test(word)) mask[n - 2] = false;
    else if (word.endsWith('ed') && !mask[n - 3] && !/[td]ed$/.test(word)) mask[n - 2] = false;
  }
  return mask;
}

/**
 * Splits one word into syllables: one per vowel group, a single consonant going to the next
 * syllable (V-CV), two consonants split (VC-CV) unless they make a usual onset ("br", "st").
 *
 * @example
 * ```ts
 * syllabify('walking'); // ['wal', 'king']
 * syllabify('summer');  // ['sum', 'mer']
 * syllabify('shines');  // ['shines']
 * ```
 */
export function syllabify(word: string): string[] {
  const w = word.toLowerCase().replace(/[^a-z]/g, '');
  if (!w) return [];
  const mask = vowelMask(w);
  const groups: [number, number][] = [];
  for (let i = 0; i < w.length; i++) {
    if (!mask[i]) continue;
    const start = i;
    while (i + 1 < w.length && mask[i + 1]) i++;
    groups.push([start, i]);
  }
  if (groups.length <= 1) return [w];
  const cuts: number[] = [];
  for (let g = 0; g + 1 < groups.length; g++) {
    const from = (groups[g] as [number, number])[1] + 1;
    const to = (groups[g + 1] as [number, number])[0];
    const cluster = w.slice(from, to);
    let cut: number;
    if (cluster.length <= 1) cut = from;
    else if (cluster.length === 2) cut = ONSETS.has(cluster) ? from : from + 1;
    else cut = ONSETS.has(cluster.slice(-2)) ? to - 2 : to - 1;
    cuts.push(cut);
  }
  const out: string[] = [];
  let last = 0;
  for (const cut of cuts) {
    out.push(w.slice(last, cut));
    last = cut;
  }
  out.push(w.slice(last));
  return out;
}

/** The sung vowel of one syllable, from its letters and what follows in the word. */
function vowelOf(syl: string, rest: string, isLast: boolean, syllableCount: number): [Vowel, Vowel?] {
  const m = /[aeiouy]+/.exec(syl.replace(/^y/, '_'));
  const nucleus = m ? m[0] : '';
  const after = m ? syl.slice(m.index + nucleus.length) + rest : rest;
  if (nucleus === 'i' && after.startsWith('gh')) return ['ɑ', 'i'];
  if (/^(ee|ea|ie|ei)$/.test(nucleus)) return nucleus === 'ie' && syllableCount === 1 ? ['ɑ', 'i'] : ['i'];
  if (nucleus === 'oo') return after.startsWith('k') || after.startsWith('d') ? ['ʊ'] : ['u'];
  if (nucleus === 'ou') return after.startsWith('r') ? ['o'] : ['ɑ', 'ʊ'];
  if (nucleus === 'o' && after.startsWith('w')) return ['ɑ', 'ʊ'];
  if (/^(ai|ay|ey)$/.test(nucleus) || (nucleus === 'a' && after.startsWith('y'))) return ['e', 'i'];
  if (/^(oa|oe)$/.test(nucleus)) return ['o', 'ʊ'];
  if (/^(oi|oy)$/.test(nucleus) || (nucleus === 'o' && after.startsWith('y'))) return ['ɔ', 'i'];
  if (/^(au|aw)$/.test(nucleus) || (nucleus === 'a' && after.startsWith('w'))) return ['ɔ'];
  if (/^(ue|ew|ui)$/.test(nucleus) || (nucleus === 'e' && after.startsWith('w'))) return ['u'];
  const v = nucleus[0] ?? 'a';
  if (v === 'a' && nucleus.length === 1 && /^l[kl]/.test(after)) return ['ɔ']; // walk, talk, all
  // R-coloured vowels: car, for, her, bird, turn.
  if (after.startsWith('r') && !VOWEL_LETTERS.has(after[1] ?? '')) {
    if (v === 'a') return ['ɑ'];
    if (v === 'o') return ['ɔ'];
    return ['ɝ'];
  }
  // Long vowels: a silent final e after one consonant ("shine", "times"), an open final syllable
  // ("go", "be", "my"), and open syllables inside a word ("ba-by", "shi-ning"), except for e ("ne-ver").
  const open = syl.endsWith(nucleus);
  const magicE = isLast && /^[^aeiouy]es?$/.test(after);
  if (magicE || (open && (isLast || v !== 'e'))) {
    if (v === 'a') return ['e', 'i'];
    if (v === 'e') return ['i'];
    if (v === 'i') return ['ɑ', 'i'];
    if (v === 'o') return ['o', 'ʊ'];
    if (v === 'u') return ['u'];
    if (v === 'y') return syllableCount === 1 ? ['ɑ', 'i'] : ['i'];
  }
  if (v === 'y') return ['ɪ'];
  if (v === 'a') return ['æ'];
  if (v === 'e') return ['ɛ'];
  if (v === 'i') return ['ɪ'];
  if (v === 'o') return ['ɑ'];
  return ['ʌ'];
}

function consonantsAround(syl: string): { onset: Consonant[]; coda?: Consonant } {
  const m = /[aeiouy]+/.exec(syl.replace(/^y/, '_'));
  if (!m) return { onset: [] };
  const head = syl.slice(0, m.index);
  const tail = syl.slice(m.index + m[0].length).replace(/e$/, '');
  const onset: Consonant[] = [];
  for (let i = 0; i < head.length && onset.length < 2; i++) {
    const kind = consonantOf(head, i);
    onset.push(kind);
    if ((kind === 'shush' || kind === 'fricative') && head[i + 1] === 'h') i++;
    if (head[i] === 'g' && head[i + 1] === 'h') i++;
  }
  const last = tail.replace(/gh$/, '');
  const coda = last ? consonantOf(last, last.length - 1) : undefined;
  return coda ? { onset, coda } : { onset };
}

/** The syllables of one word, each with its vowel and consonants. */
export function wordSyllables(word: string): Syllable[] {
  const clean = word.toLowerCase().replace(/[^a-z']/g, '');
  const letters = clean.replace(/'/g, '');
  const parts = syllabify(letters);
  const known = WORD_VOWELS[letters];
  return parts.map((text, i) => {
    const isLast = i === parts.length - 1;
    const rest = parts.slice(i + 1).join('');
    const k = known && known.length === parts.length ? known[i] : undefined;
    const [vowel, glide] = k ? (Array.isArray(k) ? k : [k]) : vowelOf(text, rest, isLast, parts.length);
    const stressed = parts.length === 1 ? !FUNCTION_WORDS.has(letters) : i === 0;
    const syl: Syllable = { text, vowel, ...consonantsAround(text), stressed, wordEnd: isLast };
    if (glide) syl.glide = glide;
    return syl;
  });
}

/**
 * Lyrics as sung lines. Newlines separate lines (an empty line starts a stanza); a line with
 * no newline at all is cut at punctuation; `[verse]`/`[chorus]` tags name the section and
 * `##` markers (MiniMax's accompaniment marks) are dropped. Long lines are halved so a
 * singer can breathe.
 *
 * @example
 * ```ts
 * parseLyrics('Walking on the beach, sun is shining bright')
 *   .map((l) => l.syllables.map((s) => s.text).join('-')); // ['wal-king-on-the-beach', 'sun-is-shi-ning-bright']
 * ```
 */
export function parseLyrics(lyrics: string): LyricLine[] {
  if (typeof lyrics !== 'string') throw new TypeError('parseLyrics: lyrics must be a string');
  const rawLines = lyrics.replace(/\r\n?/g, '\n').replace(/##/g, '').split('\n');
  const phrases: { text: string; section?: string; stanzaStart: boolean }[] = [];
  let section: string | undefined;
  let stanzaStart = true;
  for (const raw of rawLines) {
    let line = raw.trim();
    const tag = /^\[([^\]]{1,30})\]\s*/.exec(line);
    if (tag) {
      section = (tag[1] ?? '').trim().toLowerCase();
      line = line.slice(tag[0].length);
      stanzaStart = true;
    }
    if (!line) {
      stanzaStart = true;
      continue;
    }
    const pieces = rawLines.length === 1 || line.length > 60 ? line.split(/(?<=[,.;:!?])\s+/) : [line];
    for (const text of pieces) {
      if (!/[a-z]/i.test(text)) continue;
      phrases.push(section === undefined ? { text, stanzaStart } : { text, section, stanzaStart });
      stanzaStart = false;
    }
  }
  const lines: LyricLine[] = [];
  for (const phrase of phrases) {
    const syllables = (phrase.text.match(/[A-Za-z']+/g) ?? []).flatMap(wordSyllables);
    if (!syllables.length) continue;
    const target = Math.ceil(syllables.length / Math.ceil(syllables.length / 14));
    let current: Syllable[] = [];
    let firstOfPhrase = true;
    const flush = () => {
      const line: LyricLine = { syllables: current, stanzaStart: phrase.stanzaStart && firstOfPhrase };
      if (phrase.section !== undefined) line.section = phrase.section;
      lines.push(line);
      current = [];
      firstOfPhrase = false;
    };
    for (const syllable of syllables) {
      current.push(syllable);
      // Cut at a word end once the line is long enough, so no word spans two lines.
      if (current.length >= target && syllable.wordEnd) flush();
    }
    if (current.length) flush();
  }
  return lines;
}
