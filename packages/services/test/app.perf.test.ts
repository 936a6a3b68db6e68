/**
 * Performance, measured and printed (not asserted): the app's own overhead per paid call (an
 * instant generator, so only the paywall, the job book, the file store and HTTP are left),
 * and the embedded generators' time for a minute of audio and for a 3D model from a
 * 1024-pixel image. Skipped unless `FAREBOX_BENCH=1`; the numbers are written down in
 * docs/services.md.
 *
 *   FAREBOX_BENCH=1 npx vitest run packages/services/test/app.perf.test.ts
 */
import { DevNode } from '@farebox/lightning';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EmbeddedModelGenerator, EmbeddedMusicGenerator } from '../src/generators/index.js';
import { createServicesApp, serveServices } from '../src/index.js';
import { challengeOf, http, SONG, sineWav } from './app-helpers.js';

const ms = (t: number) => `${t.toFixed(2)} ms`;
function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: q(0.5), p95: q(0.95), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

describe.skipIf(!process.env.FAREBOX_BENCH)('performance', () => {
  it('the service’s own overhead per paid call', async () => {
    const node = new DevNode({ production: false });
    const wallet = new DevNode({ production: false });
    const file = { bytes: sineWav(8000, 0.1), contentType: 'audio/wav', extension: 'wav' };
    const instant = { name: 'instant', generate: async () => file };
    const app = await createServicesApp({ lightning: node, generators: { music: instant, model: instant } });
    const s = await serveServices(app);
    const body = JSON.stringify(SONG);
    const challenge: number[] = [];
    const paid: number[] = [];
    const repeat: number[] = [];
    const N = 300;
    for (let i = 0; i < N + 20; i++) {
      let t = performance.now();
      const first = await http('POST', `${s.url}/api/l402/music`, { body });
      const t1 = performance.now() - t;
      const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate'));
      const auth = `L402 ${macaroon}:${(await wallet.payInvoice(invoice)).preimage}`;
      t = performance.now();
      const ok = await http('POST', `${s.url}/api/l402/music`, { body, headers: { authorization: auth } });
      const t2 = performance.now() - t;
      t = performance.now();
      await http('POST', `${s.url}/api/l402/music`, { body, headers: { authorization: auth } });
      const t3 = performance.now() - t;
      expect(ok.status).toBe(200);
      if (i >= 20) {
        challenge.push(t1);
        paid.push(t2);
        repeat.push(t3);
      }
    }
    await s.close();
    await node.close();
    await wallet.close();
    for (const [name, xs] of [
      ['402 challenge (validate, price, invoice, mint)', challenge],
      ['paid call (verify, job, store file, answer)', paid],
      ['repeat of a paid call (answered by the job book)', repeat],
    ] as const) {
      const st = stats(xs);
      console.log(
        `${name}: p50 ${ms(st.p50)}, p95 ${ms(st.p95)}, mean ${ms(st.mean)} over ${xs.length} calls`,
      );
    }
  }, 300_000);

  it('the embedded generators: a minute of audio, a 3D model from a 1024-pixel image', async () => {
    const music = new EmbeddedMusicGenerator();
    // Lyrics long enough for about a minute at the tempo the prompt asks for.
    const lyrics = Array.from(
      { length: 6 },
      () => 'Walking on the beach, sun is shining bright, every day feels right',
    ).join('\n');
    for (const format of ['wav', 'mp3'] as const) {
      const t = performance.now();
      const f = await music.generate({
        ...SONG,
        lyrics,
        audio_format: format,
        sample_rate: 44100,
        bitrate: 256000,
      } as never);
      const secs = (performance.now() - t) / 1000;
      const dur = Number(f.metadata?.durationSeconds);
      console.log(
        `music ${format} 44.1 kHz stereo: ${dur.toFixed(1)} s of audio in ${secs.toFixed(2)} s → ${((secs / dur) * 60).toFixed(2)} s per minute of audio`,
      );
    }
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024"><rect width="100%" height="100%" fill="#fff"/>' +
        '<radialGradient id="g" cx="40%" cy="35%"><stop offset="0" stop-color="#fde68a"/><stop offset="1" stop-color="#9a3412"/></radialGradient>' +
        '<circle cx="512" cy="540" r="380" fill="url(#g)"/><rect x="490" y="90" width="40" height="120" fill="#713f12"/></svg>',
    );
    const png = new Uint8Array(await sharp(svg).png().toBuffer());
    const model = new EmbeddedModelGenerator();
    const t = performance.now();
    const f = await model.generate({ image: png, mime: 'image/png' });
    console.log(
      `3d-model from a 1024×1024 PNG: ${((performance.now() - t) / 1000).toFixed(2)} s, ${(f.bytes.length / 1024).toFixed(0)} KiB glb`,
    );
  }, 300_000);
});
