// The embedded generators on one core: time to make one minute of audio in each format
// (44.1 kHz stereo; MP3 at 256 kbps) and one 3D model from a 1024-pixel image.
//   npm run bench -- services        (from the repo root; builds first)
//   node bench/services.mjs          (after `npx tsc -b packages/services`)
// BENCH_RUNS (default 3) runs per case; the median is reported. No service overhead here: the
// app's per-call overhead is measured separately.
import sharp from 'sharp';
import {
  EmbeddedModelGenerator,
  EmbeddedMusicGenerator,
} from '../packages/services/dist/generators/index.js';

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = [];

async function time(fn) {
  const samples = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    last = await fn();
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), last };
}

// --- music: ~280 characters of lyrics plan a song of about one minute ---
const music = new EmbeddedMusicGenerator();
const lyrics = [
  'Walking on the beach, sun is shining bright',
  'every day feels right when you hold me tight',
  'waves are rolling in and the sky is blue',
  'all I ever want is a summer with you',
  '',
  'Sing it loud tonight, let the music play',
  'dancing in the light till the break of day',
].join('\n');
for (const format of ['wav', 'pcm', 'mp3']) {
  const req = {
    prompt: 'upbeat pop song about summer vibes',
    lyrics,
    model: 'Music Generation',
    sample_rate: 44100,
    bitrate: 256000,
    audio_format: format,
  };
  const { ms, last } = await time(() => music.generate(req));
  const seconds = last.metadata.durationSeconds;
  const perMinute = (ms * 60) / seconds;
  results.push({
    case: `music ${format}`,
    audioSeconds: Number(seconds.toFixed(2)),
    ms: Math.round(ms),
    msPerAudioMinute: Math.round(perMinute),
    bytes: last.bytes.length,
  });
  console.log(
    `music ${format.padEnd(4)} ${seconds.toFixed(1).padStart(5)} s of audio in ${(ms / 1000).toFixed(2)} s → ${(perMinute / 1000).toFixed(2)} s per minute of audio (${(seconds / (ms / 1000)).toFixed(1)}× real time), ${(last.bytes.length / 1e6).toFixed(2)} MB`,
  );
}

// --- 3D: a 1024 × 1024 image, with alpha (PNG) and opaque on a plain background (JPEG) ---
const svg = (background) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024">
      <defs><radialGradient id="g"><stop offset="0" stop-color="#ffd27a"/><stop offset="1" stop-color="#b03020"/></radialGradient></defs>
      ${background ? `<rect width="1024" height="1024" fill="${background}"/>` : ''}
      <circle cx="512" cy="512" r="400" fill="url(#g)"/>
      <path d="M312 600 Q512 800 712 600" stroke="#402010" stroke-width="40" fill="none"/>
      <circle cx="380" cy="400" r="60" fill="#fff"/><circle cx="644" cy="400" r="60" fill="#fff"/>
    </svg>`,
  );
const model = new EmbeddedModelGenerator();
for (const [label, mime, bytes] of [
  ['png (alpha)', 'image/png', await sharp(svg()).png().toBuffer()],
  ['jpeg', 'image/jpeg', await sharp(svg('#ffffff')).jpeg({ quality: 90 }).toBuffer()],
]) {
  const { ms, last } = await time(() => model.generate({ image: new Uint8Array(bytes), mime }));
  results.push({
    case: `3d ${label} 1024 px`,
    ms: Math.round(ms),
    vertices: last.metadata.vertices,
    bytes: last.bytes.length,
  });
  console.log(
    `3d model from a 1024 px ${label.padEnd(11)} ${(ms / 1000).toFixed(2)} s, ${last.metadata.vertices} vertices, ${last.metadata.triangles} triangles, ${(last.bytes.length / 1e6).toFixed(2)} MB glb`,
  );
}

console.log(JSON.stringify({ bench: 'services', node: process.version, runs, results }));
