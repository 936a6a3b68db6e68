/**
 * The app with its real embedded generators (the default), over real HTTP on the dev node:
 * the files it hands out are what they claim. Songs decode at the sample rate asked (MP3 with
 * mpg123, WAV by its RIFF header, raw PCM by length), a 3D model from a PNG, a JPEG and a
 * WebP passes the Khronos glTF validator, and audio is served with ranges.
 */
import { createRequire } from 'node:module';
import { DevNode } from '@farebox/lightning';
import { MPEGDecoder } from 'mpg123-decoder';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedModelGenerator, EmbeddedMusicGenerator } from '../src/generators/index.js';
import { createServicesApp, type ServicesApp, serveServices } from '../src/index.js';
import { challengeOf, http } from './app-helpers.js';

const validator = createRequire(import.meta.url)('gltf-validator') as {
  validateBytes(
    bytes: Uint8Array,
    options?: { maxIssues?: number },
  ): Promise<{ issues: { numErrors: number; numWarnings: number; messages: unknown[] } }>;
};

const SHORT = {
  prompt: 'calm acoustic folk song, slow and warm',
  lyrics: 'Morning light on the river, sing along',
  model: 'Music Generation',
};

describe('files made by the embedded generators', () => {
  let app: ServicesApp;
  let url = '';
  let close: () => Promise<void>;
  const node = new DevNode({ production: false });
  const wallet = new DevNode({ production: false });

  beforeAll(async () => {
    app = await createServicesApp({ lightning: node });
    const s = await serveServices(app);
    url = s.url;
    close = s.close;
  });
  afterAll(async () => {
    await close();
    await node.close();
    await wallet.close();
  });

  /** The seeds' two steps; the file's bytes and headers. */
  async function buy(path: string, body: object) {
    const first = await http('POST', `${url}${path}`, { body });
    expect(first.status).toBe(402);
    const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate'));
    const { preimage } = await wallet.payInvoice(invoice);
    const paid = await http('POST', `${url}${path}`, {
      body,
      headers: { authorization: `L402 ${macaroon}:${preimage}` },
    });
    expect(paid.status, paid.text).toBe(200);
    const fileUrl = paid.json.audioUrl ?? paid.json.modelUrl;
    const res = await fetch(fileUrl);
    expect(res.status).toBe(200);
    return {
      url: fileUrl as string,
      type: res.headers.get('content-type'),
      bytes: new Uint8Array(await res.arrayBuffer()),
    };
  }

  it('uses the embedded generators by default', () => {
    expect(app.generators.music).toBeInstanceOf(EmbeddedMusicGenerator);
    expect(app.generators.model).toBeInstanceOf(EmbeddedModelGenerator);
  });

  it('an MP3 at the default 44.1 kHz decodes at 44.1 kHz, and is served in ranges', async () => {
    const f = await buy('/api/l402/music', SHORT);
    expect(f.type).toBe('audio/mpeg');
    expect(f.url).toMatch(/\.mp3$/);
    const decoder = new MPEGDecoder();
    await decoder.ready;
    const d = decoder.decode(f.bytes);
    decoder.free();
    expect(d.errors).toEqual([]);
    expect(d.sampleRate).toBe(44100);
    expect(d.samplesDecoded / d.sampleRate).toBeGreaterThan(1);
    const part = await fetch(f.url, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(f.bytes.subarray(1000, 2000));
  }, 120_000);

  it('an MP3 asked at 24 kHz and 64 kbit/s decodes at 24 kHz', async () => {
    const f = await buy('/api/l402/music', { ...SHORT, sample_rate: 24000, bitrate: 64000 });
    const decoder = new MPEGDecoder();
    await decoder.ready;
    const d = decoder.decode(f.bytes);
    decoder.free();
    expect(d.errors).toEqual([]);
    expect(d.sampleRate).toBe(24000);
  }, 120_000);

  it('a WAV asked at 16 kHz says 16 kHz in its header and holds that much audio', async () => {
    const f = await buy('/api/l402/music', { ...SHORT, sample_rate: 16000, audio_format: 'wav' });
    expect(f.type).toBe('audio/wav');
    const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    const tag = (at: number) => new TextDecoder().decode(f.bytes.subarray(at, at + 4));
    expect(tag(0)).toBe('RIFF');
    expect(tag(8)).toBe('WAVE');
    expect(tag(12)).toBe('fmt ');
    expect(dv.getUint16(20, true)).toBe(1); // PCM
    expect(dv.getUint32(24, true)).toBe(16000);
    const channels = dv.getUint16(22, true);
    const bits = dv.getUint16(34, true);
    expect(dv.getUint32(28, true)).toBe((16000 * channels * bits) / 8);
    expect(dv.getUint32(4, true)).toBe(f.bytes.length - 8);
  }, 120_000);

  it('raw PCM asked at 22.05 kHz is whole 16-bit samples, labelled with its rate', async () => {
    const f = await buy('/api/l402/music', { ...SHORT, sample_rate: 22050, audio_format: 'pcm' });
    expect(f.type).toMatch(/^audio\/L16;.*rate=22050/);
    expect(f.url).toMatch(/\.pcm$/);
    expect(f.bytes.length % 2).toBe(0);
    expect(f.bytes.length / 2 / 22050).toBeGreaterThan(1);
  }, 120_000);

  it('3D models from a PNG, a JPEG and a WebP pass the glTF validator', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><rect width="100%" height="100%" fill="#fff"/>' +
        '<circle cx="80" cy="60" r="45" fill="#2563eb"/><rect x="65" y="45" width="30" height="30" fill="#facc15"/></svg>',
    );
    for (const [mime, img] of [
      ['image/png', await sharp(svg).png().toBuffer()],
      ['image/jpeg', await sharp(svg).jpeg().toBuffer()],
      ['image/webp', await sharp(svg).webp().toBuffer()],
    ] as const) {
      const f = await buy('/api/l402/3d-model', { image: `data:${mime};base64,${img.toString('base64')}` });
      expect(f.type).toBe('model/gltf-binary');
      expect(f.url).toMatch(/\.glb$/);
      const report = await validator.validateBytes(f.bytes, { maxIssues: 20 });
      expect(report.issues.numErrors, JSON.stringify(report.issues.messages)).toBe(0);
    }
  }, 180_000);
});
