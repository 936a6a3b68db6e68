/**
 * Shared helpers of the services app tests: scriptable fake generators (count calls, fail,
 * refuse, go slow), curl-like HTTP calls, and starting the app on a real port.
 */
import { DevNode, type LightningBackend } from '@farebox/lightning';
import {
  createServicesApp,
  type GeneratedFile,
  type GenerateOptions,
  GenerationError,
  type ModelGenerator,
  type ModelRequest,
  type MusicGenerator,
  type MusicRequest,
  type ServicesApp,
  type ServicesAppOptions,
  serveServices,
} from '../src/index.js';

/** What the next generation does. */
export type Step = 'ok' | 'temporary' | 'refused' | 'throw';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

/** A mono 16-bit WAV of a sine, `seconds` long (RIFF/WAVE, PCM format 1). */
export function sineWav(sampleRate: number, seconds = 0.5, hz = 440): Uint8Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Uint8Array(44 + n * 2);
  const dv = new DataView(out.buffer);
  const ascii = (o: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[o + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  dv.setUint32(4, 36 + n * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true);
  dv.setUint16(22, 1, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  ascii(36, 'data');
  dv.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++)
    dv.setInt16(44 + i * 2, Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * 8000), true);
  return out;
}

abstract class Scripted {
  calls = 0;
  delayMs = 0;
  readonly plan: Step[] = [];

  protected async step(opts: GenerateOptions = {}): Promise<void> {
    this.calls++;
    const next = this.plan.shift() ?? 'ok';
    opts.onProgress?.(0.1, 'starting');
    if (this.delayMs > 0) {
      const slices = 4;
      for (let i = 1; i <= slices; i++) {
        await sleep(this.delayMs / slices, opts.signal);
        opts.onProgress?.(0.1 + (0.8 * i) / slices, `working ${i}/${slices}`);
      }
    }
    if (next === 'temporary') throw new GenerationError('temporary', 'the synthesizer is busy');
    if (next === 'refused') throw new GenerationError('refused', 'the provider refuses this input');
    if (next === 'throw') throw new Error('boom');
  }
}

/** A fake song generator: a short WAV sine (whatever the format asked, for speed). */
export class FakeMusic extends Scripted implements MusicGenerator {
  readonly name = 'fake-music';
  readonly requests: MusicRequest[] = [];
  async generate(req: MusicRequest, opts?: GenerateOptions): Promise<GeneratedFile> {
    this.requests.push(req);
    await this.step(opts);
    return {
      bytes: sineWav(req.sample_rate),
      contentType: 'audio/wav',
      extension: 'wav',
      metadata: { tempo: 120, key: 'C major' },
    };
  }
}

/** A fake 3D generator: a few bytes labelled as glb. */
export class FakeModel extends Scripted implements ModelGenerator {
  readonly name = 'fake-model';
  readonly requests: ModelRequest[] = [];
  async generate(req: ModelRequest, opts?: GenerateOptions): Promise<GeneratedFile> {
    this.requests.push(req);
    await this.step(opts);
    return {
      bytes: new TextEncoder().encode('glTF-fake'),
      contentType: 'model/gltf-binary',
      extension: 'glb',
    };
  }
}

/** A 1×1 PNG (red), as bytes and as a data URI. */
export const PNG_1x1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
export const PNG_URI = `data:image/png;base64,${PNG_1x1}`;

/** The seed's song request. */
export const SONG = {
  prompt: 'upbeat pop song about summer vibes',
  lyrics: 'Walking on the beach, sun is shining bright, every day feels right',
  model: 'Music Generation',
  sample_rate: 44100,
  bitrate: 256000,
  audio_format: 'mp3',
};

/** Parsed JSON, read loosely in tests. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field with expect()
export type Json = any;

/** A curl-like call: status, headers, text and parsed JSON (when it parses). */
export async function http(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string | object } = {},
): Promise<{ status: number; headers: Headers; text: string; json: Json }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Reads `macaroon` and `invoice` out of a WWW-Authenticate value, as a curl user would. */
export function challengeOf(header: string | null): { macaroon: string; invoice: string } {
  const m = /L402 macaroon="([^"]+)", invoice="([^"]+)"/.exec(header ?? '');
  if (!m) throw new Error(`no L402 challenge in ${header}`);
  return { macaroon: m[1]!, invoice: m[2]! };
}

/** A running app with fake generators and a payer. */
export interface Running {
  app: ServicesApp;
  url: string;
  music: FakeMusic;
  model: FakeModel;
  node: LightningBackend;
  /** The client's own wallet: another dev node. */
  wallet: DevNode;
  close(): Promise<void>;
  /** Pays an invoice with the client's wallet; the preimage. */
  pay(invoice: string): Promise<string>;
  /** Step 1 + pay: the Authorization value for `body` at `path`. */
  buy(path: string, body: object): Promise<{ auth: string; challenge: Json }>;
}

/** Starts the app on the dev node (or `lightning`) with fake generators. */
export async function start(opts: Partial<ServicesAppOptions> = {}): Promise<Running> {
  const node = opts.lightning ?? new DevNode({ production: false });
  const music = new FakeMusic();
  const model = new FakeModel();
  const app = await createServicesApp({ lightning: node, generators: { music, model }, ...opts });
  const s = await serveServices(app);
  const wallet = new DevNode({ production: false });
  const pay = async (invoice: string) => (await wallet.payInvoice(invoice)).preimage;
  return {
    app,
    url: s.url,
    music,
    model,
    node,
    wallet,
    pay,
    async buy(path, body) {
      const r = await http('POST', `${s.url}${path}`, { body });
      if (r.status !== 402) throw new Error(`expected 402, got ${r.status}: ${r.text}`);
      const { macaroon, invoice } = challengeOf(r.headers.get('www-authenticate'));
      return { auth: `L402 ${macaroon}:${await pay(invoice)}`, challenge: r.json };
    },
    async close() {
      await s.close();
      await wallet.close?.();
      if (!opts.lightning) await (node as DevNode).close?.();
    },
  };
}
