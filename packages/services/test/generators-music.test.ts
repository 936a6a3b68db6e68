import { MPEGDecoder } from 'mpg123-decoder';
import { describe, expect, it } from 'vitest';
import {
  EmbeddedMusicGenerator,
  GenerationError,
  type MusicRequest,
  parseLyrics,
  styleFromPrompt,
  syllabify,
} from '../src/generators/index.js';
import { compose } from '../src/generators/music/compose.js';
import { hashString } from '../src/generators/music/random.js';
import { renderVoice } from '../src/generators/music/voice.js';

const SEED_LYRICS = 'Walking on the beach, sun is shining bright, every day feels right';
const request = (over: Partial<MusicRequest> = {}): MusicRequest => ({
  prompt: 'upbeat pop song about summer vibes',
  lyrics: SEED_LYRICS,
  model: 'Music Generation',
  sample_rate: 44100,
  bitrate: 256000,
  audio_format: 'mp3',
  ...over,
});
const music = new EmbeddedMusicGenerator();

/** The fields of a canonical 44-byte WAV header. */
function parseWav(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => new TextDecoder().decode(bytes.subarray(at, at + 4));
  return {
    riff: tag(0),
    riffSize: view.getUint32(4, true),
    wave: tag(8),
    fmt: tag(12),
    format: view.getUint16(20, true),
    channels: view.getUint16(22, true),
    sampleRate: view.getUint32(24, true),
    byteRate: view.getUint32(28, true),
    blockAlign: view.getUint16(32, true),
    bits: view.getUint16(34, true),
    data: tag(36),
    dataSize: view.getUint32(40, true),
    samples: new Int16Array(bytes.slice(44).buffer),
  };
}

const rms = (x: ArrayLike<number>, scale = 1) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += ((x[i] ?? 0) / scale) ** 2;
  return Math.sqrt(s / Math.max(1, x.length));
};

/** Every MP3 frame header in a file (ISO 11172-3 §2.4.2.3), walking frame by frame. */
function mp3Frames(bytes: Uint8Array) {
  const RATES: Record<number, number[]> = {
    3: [44100, 48000, 32000],
    2: [22050, 24000, 16000],
    0: [11025, 12000, 8000],
  };
  const KBPS: Record<number, number[]> = {
    3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    0: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  };
  let i = 0;
  // Skip an ID3v2 tag if there is one.
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    i = 10 + (((bytes[6] ?? 0) << 21) | ((bytes[7] ?? 0) << 14) | ((bytes[8] ?? 0) << 7) | (bytes[9] ?? 0));
  }
  const frames: { version: number; kbps: number; sampleRate: number }[] = [];
  while (i + 4 <= bytes.length) {
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    if (bytes[i] !== 0xff || (b1 & 0xe0) !== 0xe0) throw new Error(`no frame sync at byte ${i}`);
    const version = (b1 >> 3) & 3;
    if (((b1 >> 1) & 3) !== 1) throw new Error('not Layer III');
    const kbps = KBPS[version]?.[b2 >> 4] ?? 0;
    const sampleRate = RATES[version]?.[(b2 >> 2) & 3] ?? 0;
    const padding = (b2 >> 1) & 1;
    const samples = version === 3 ? 1152 : 576;
    const size = Math.floor((samples / 8) * ((kbps * 1000) / sampleRate)) + padding;
    if (!kbps || !sampleRate || size < 4) throw new Error(`bad frame header at byte ${i}`);
    frames.push({ version, kbps, sampleRate });
    i += size;
  }
  return { frames, samplesPerFrame: frames[0]?.version === 3 ? 1152 : 576 };
}

describe('lyrics → syllables', () => {
  it('splits words into syllables by vowel groups and consonant clusters', () => {
    const cases: [string, string[]][] = [
      ['walking', ['wal', 'king']],
      ['summer', ['sum', 'mer']],
      ['shining', ['shi', 'ning']],
      ['beautiful', ['beau', 'ti', 'ful']],
      ['table', ['ta', 'ble']],
      ['happy', ['hap', 'py']],
      ['player', ['pla', 'yer']],
      ['every', ['e', 've', 'ry']],
      ['shines', ['shines']],
      ['walked', ['walked']],
      ['the', ['the']],
      ['sky', ['sky']],
    ];
    for (const [word, parts] of cases) expect(syllabify(word), word).toEqual(parts);
  });

  it('cuts unbroken lyrics at punctuation and gives each syllable a sung vowel', () => {
    const lines = parseLyrics(SEED_LYRICS);
    expect(lines.map((l) => l.syllables.map((s) => s.text).join('-'))).toEqual([
      'wal-king-on-the-beach',
      'sun-is-shi-ning-bright',
      'e-ve-ry-day-feels-right',
    ]);
    const vowel = (word: string) => {
      const s = parseLyrics(word)[0]?.syllables[0];
      return `${s?.vowel}${s?.glide ?? ''}`;
    };
    expect(vowel('night')).toBe('ɑi');
    expect(vowel('see')).toBe('i');
    expect(vowel('blue')).toBe('u');
    expect(vowel('go')).toBe('oʊ');
    expect(vowel('day')).toBe('ei');
    expect(vowel('walk')).toBe('ɔ');
  });

  it('keeps section tags and stanza breaks, and halves long lines at word ends', () => {
    const lines = parseLyrics('[Verse]\nla la la\nsing it\n\n[Chorus]\noh oh oh ## yeah');
    expect(lines.map((l) => [l.section, l.stanzaStart])).toEqual([
      ['verse', true],
      ['verse', false],
      ['chorus', true],
    ]);
    const long = parseLyrics(
      'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen',
    );
    expect(long.length).toBe(2);
    for (const line of long) expect(line.syllables.at(-1)?.wordEnd).toBe(true);
  });
});

describe('prompt → style', () => {
  it('hears mood, tempo and mode in the words', () => {
    const happy = styleFromPrompt('upbeat pop song about summer vibes');
    expect(happy).toMatchObject({ mode: 'major', genre: 'pop', mood: 'joyful' });
    expect(happy.tempo).toBeGreaterThanOrEqual(110);
    expect(happy.tempo).toBeLessThanOrEqual(135);
    const sad = styleFromPrompt('a sad slow ballad about lost love');
    expect(sad).toMatchObject({ mode: 'minor', genre: 'ballad' });
    expect(sad.tempo).toBeLessThan(80);
    expect(styleFromPrompt('dark techno for the club').tempo).toBeGreaterThan(115);
  });

  it('takes explicit keys, tempos and meters literally, and is deterministic', () => {
    expect(styleFromPrompt('happy folk tune in D minor at 96 bpm')).toMatchObject({
      key: 'D minor',
      tempo: 96,
      mode: 'minor',
    });
    expect(styleFromPrompt('a gentle waltz in Eb major').beatsPerBar).toBe(3);
    expect(styleFromPrompt('a gentle waltz in Eb major').key).toBe('Eb major');
    expect(styleFromPrompt('female vocal jazz')).toMatchObject({ voice: 'female', genre: 'jazz' });
    expect(styleFromPrompt('any words at all')).toEqual(styleFromPrompt('any words at all'));
  });
});

describe('composition', () => {
  it('scales the song with the lyrics: ~10 s for 10 characters, ~2 min for 600', () => {
    const long = Array.from({ length: 30 }, (_, i) => `line ${i} of the song we sing`)
      .join('\n')
      .slice(0, 600);
    for (const prompt of [
      'upbeat pop song about summer vibes',
      'a sad slow ballad',
      'fast punk rock anthem',
    ]) {
      const style = styleFromPrompt(prompt);
      const short = compose({ style, lines: parseLyrics('hello love'), lyricChars: 10, seed: 1 });
      expect(short.duration, prompt).toBeGreaterThan(7);
      expect(short.duration, prompt).toBeLessThan(20);
      const full = compose({ style, lines: parseLyrics(long), lyricChars: long.length, seed: 1 });
      expect(full.duration, prompt).toBeGreaterThan(90);
      expect(full.duration, prompt).toBeLessThan(160);
    }
  });

  it('sets every syllable on its own melody note, in order, inside the song', () => {
    const style = styleFromPrompt('upbeat pop song about summer vibes');
    const lines = parseLyrics(SEED_LYRICS);
    const score = compose({ style, lines, lyricChars: SEED_LYRICS.length, seed: 3 });
    const sung = lines.flatMap((l) => l.syllables.map((s) => s.text));
    expect(score.melody.map((n) => n.syllable.text)).toEqual(sung);
    for (let i = 1; i < score.melody.length; i++) {
      expect(score.melody[i]?.start).toBeGreaterThan(score.melody[i - 1]?.start ?? 0);
    }
    expect((score.melody.at(-1)?.start ?? 0) + (score.melody.at(-1)?.dur ?? 0)).toBeLessThan(score.duration);
    expect(score.chords.length).toBe(score.bars);
    expect(score.drums.length).toBeGreaterThan(0);
    expect(score.bass.length).toBeGreaterThan(0);
  });
});

describe('the singer', () => {
  /** Goertzel magnitude of one frequency: enough to compare two formant regions. */
  const power = (x: Float32Array, sr: number, f: number) => {
    const w = (2 * Math.PI * f) / sr;
    const c = 2 * Math.cos(w);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < x.length; i++) {
      const s = (x[i] ?? 0) + c * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
  };

  it('sings vowels on pitch: "ee" has a high second formant, "ah" a high first', () => {
    const sr = 16000;
    const sing = (word: string) => {
      const syllable = parseLyrics(word)[0]?.syllables[0];
      if (!syllable) throw new Error('no syllable');
      const buf = new Float32Array(sr);
      renderVoice(buf, sr, [{ start: 0.1, dur: 0.8, midi: 57, vel: 1, syllable }], { register: 1, seed: 1 });
      return buf.subarray(Math.round(0.3 * sr), Math.round(0.5 * sr));
    };
    const ee = sing('see');
    const ah = sing('on'); // an open "ah" (ɑ)
    expect(rms(ee)).toBeGreaterThan(0.01);
    // A3 = 220 Hz: compare harmonics near F2 of /i/ (2200 Hz) and near F1 of /ɑ/ (660 Hz).
    const eeRatio = power(ee, sr, 2200) / power(ee, sr, 660);
    const ahRatio = power(ah, sr, 2200) / power(ah, sr, 660);
    expect(eeRatio).toBeGreaterThan(ahRatio * 5);
    // The pitch is the note's: the fundamental carries energy, a quarter-tone off far less.
    expect(power(ah, sr, 220)).toBeGreaterThan(power(ah, sr, 233) * 3);
  });
});

describe('EmbeddedMusicGenerator', () => {
  it('writes a 16-bit stereo WAV at the asked sample rate, not silent, as long as planned', async () => {
    const file = await music.generate(request({ audio_format: 'wav', sample_rate: 22050 }));
    expect(file.contentType).toBe('audio/wav');
    expect(file.extension).toBe('wav');
    const wav = parseWav(file.bytes);
    expect(wav).toMatchObject({
      riff: 'RIFF',
      wave: 'WAVE',
      fmt: 'fmt ',
      data: 'data',
      format: 1,
      channels: 2,
      bits: 16,
    });
    expect(wav.sampleRate).toBe(22050);
    expect(wav.byteRate).toBe(22050 * 4);
    expect(wav.riffSize).toBe(file.bytes.length - 8);
    expect(wav.dataSize).toBe(file.bytes.length - 44);
    const seconds = wav.dataSize / wav.byteRate;
    expect(seconds).toBeCloseTo(file.metadata?.durationSeconds as number, 3);
    expect(seconds).toBeGreaterThan(15); // 65 characters of lyrics: ~20 s
    expect(seconds).toBeLessThan(35);
    expect(rms(wav.samples, 32768)).toBeGreaterThan(0.05);
    expect(file.metadata).toMatchObject({
      mode: 'major',
      key: expect.any(String),
      tempo: expect.any(Number),
      syllables: 16,
    });
  });

  it('renders at any rate the app allows, down to 8 kHz, and in mono when configured', async () => {
    const mono = new EmbeddedMusicGenerator({ channels: 1 });
    const file = await mono.generate(
      request({ audio_format: 'wav', sample_rate: 8000, lyrics: 'hello world, hello love' }),
    );
    const wav = parseWav(file.bytes);
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 1, bits: 16 });
    expect(rms(wav.samples, 32768)).toBeGreaterThan(0.05);
  });

  it('writes raw PCM: seconds × rate × channels × 2 bytes, the WAV data exactly', async () => {
    const req = request({ audio_format: 'pcm', sample_rate: 16000, lyrics: 'sing a little song for me' });
    const pcm = await music.generate(req);
    expect(pcm.contentType).toBe('audio/L16; rate=16000; channels=2');
    expect(pcm.extension).toBe('pcm');
    const seconds = pcm.metadata?.durationSeconds as number;
    expect(pcm.bytes.length).toBe(Math.round(seconds * 16000) * 2 * 2);
    const wav = await music.generate({ ...req, audio_format: 'wav' });
    expect(Buffer.from(wav.bytes.subarray(44)).equals(Buffer.from(pcm.bytes))).toBe(true);
  });

  it('is deterministic: the same request gives the same bytes; other words another song', async () => {
    const req = request({ audio_format: 'pcm', sample_rate: 8000, lyrics: 'one more time for you' });
    const a = await music.generate(req);
    const b = await music.generate(req);
    expect(hashString(Buffer.from(a.bytes).toString('base64'))).toBe(
      hashString(Buffer.from(b.bytes).toString('base64')),
    );
    const c = await music.generate({ ...req, prompt: 'a sad slow ballad about the rain' });
    expect(c.metadata?.mode).toBe('minor');
    expect(Buffer.from(a.bytes).equals(Buffer.from(c.bytes))).toBe(false);
  });

  it('writes an MP3 a decoder plays back: asked rate, chosen bitrate in every frame, the right length', async () => {
    const file = await music.generate(request());
    expect(file.contentType).toBe('audio/mpeg');
    expect(file.metadata).toMatchObject({ sampleRate: 44100, bitrate: 256000, channels: 2 });
    const { frames, samplesPerFrame } = mp3Frames(file.bytes);
    expect(new Set(frames.map((f) => f.sampleRate))).toEqual(new Set([44100]));
    // LAME's first frame is the Xing/Info tag; every audio frame carries the constant bitrate.
    expect(new Set(frames.slice(1).map((f) => f.kbps))).toEqual(new Set([256]));
    const seconds = file.metadata?.durationSeconds as number;
    expect(Math.abs((frames.length * samplesPerFrame) / 44100 - seconds)).toBeLessThan(0.2);

    const decoder = new MPEGDecoder();
    await decoder.ready;
    const decoded = decoder.decode(file.bytes);
    decoder.free();
    expect(decoded.errors).toEqual([]);
    expect(decoded.sampleRate).toBe(44100);
    expect(decoded.channelData.length).toBe(2);
    expect(Math.abs(decoded.samplesDecoded / 44100 - seconds)).toBeLessThan(0.2);
    expect(rms(decoded.channelData[0] ?? [])).toBeGreaterThan(0.05);
  });

  it('maps MP3 requests to legal rates and bitrates and says which it used', async () => {
    const low = await music.generate(request({ sample_rate: 22050, lyrics: 'short and sweet' }));
    expect(low.metadata).toMatchObject({ sampleRate: 22050, bitrate: 160000 });
    expect(
      new Set(
        mp3Frames(low.bytes)
          .frames.slice(1)
          .map((f) => f.kbps),
      ),
    ).toEqual(new Set([160]));
    const odd = await music.generate(
      request({ sample_rate: 30000, bitrate: 100000, lyrics: 'short and sweet' }),
    );
    expect(odd.metadata).toMatchObject({ sampleRate: 32000, requestedSampleRate: 30000, bitrate: 96000 });
    const decoder = new MPEGDecoder();
    await decoder.ready;
    expect(decoder.decode(odd.bytes).sampleRate).toBe(32000);
    decoder.free();
  });

  it('reports progress by stage and stops when aborted', async () => {
    const seen: [number, string | undefined][] = [];
    await music.generate(request({ audio_format: 'pcm', sample_rate: 8000, lyrics: 'la la la la' }), {
      onProgress: (f, stage) => seen.push([f, stage]),
    });
    const fractions = seen.map(([f]) => f);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    expect(new Set(seen.map(([, s]) => s))).toEqual(
      new Set(['compose', 'instruments', 'voice', 'mix', 'encode', 'done']),
    );

    const controller = new AbortController();
    const pending = music.generate(request({ lyrics: SEED_LYRICS }), {
      signal: controller.signal,
      onProgress: (_f, stage) => stage === 'voice' && controller.abort(new Error('client went away')),
    });
    await expect(pending).rejects.toThrow('client went away');
  });

  it('refuses what it can never render, naming the field', async () => {
    const bad = (over: Partial<MusicRequest>) => music.generate(request(over));
    await expect(bad({ sample_rate: 7999 })).rejects.toThrow(/sample_rate/);
    await expect(bad({ sample_rate: 7999 })).rejects.toBeInstanceOf(GenerationError);
    await expect(bad({ audio_format: 'ogg' as 'mp3' })).rejects.toThrow(/audio_format/);
    await expect(bad({ lyrics: '  ' })).rejects.toMatchObject({ kind: 'refused' });
  });
});
