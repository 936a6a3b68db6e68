import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GenerationError,
  MeshyModelGenerator,
  type ModelRequest,
  type MusicRequest,
  ReplicateModelGenerator,
  ReplicateMusicGenerator,
} from '../src/generators/index.js';

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are checked loosely
  body: any;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => unknown;
const servers: { close: () => void }[] = [];

/** A server on 127.0.0.1 that records every request and answers with `handler`. */
async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization,
        body: body && req.headers['content-type']?.includes('json') ? JSON.parse(body) : body,
      });
      void Promise.resolve(handler(req, res, body)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MP3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, ...new Array(400).fill(7)]);
const GLB = new Uint8Array([0x67, 0x6c, 0x54, 0x46, 2, 0, 0, 0, 24, 0, 0, 0, ...new Array(12).fill(0)]);

/** A CDN-like origin serving output files (no auth expected). */
async function cdn(files: Record<string, Uint8Array>) {
  return serve((req, res) => {
    const file = files[req.url ?? ''];
    if (!file) return send(res, 404, { detail: 'not found' });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.length) });
    res.end(file);
  });
}

interface ReplicateScript {
  /** Answers to the create call, in order; the last repeats. */
  create?: { status: number; body?: unknown; headers?: Record<string, string> }[];
  /** Poll answers, in order; the last repeats. A number is an HTTP error status. */
  polls?: (Record<string, unknown> | number | { delayMs: number })[];
}

/**
 * Replicate's predictions API as documented: POST /v1/predictions → 201 prediction;
 * GET /v1/predictions/{id} → prediction; POST /v1/predictions/{id}/cancel; problem-details errors.
 */
async function fakeReplicate(script: ReplicateScript) {
  let creates = 0;
  let polls = 0;
  const server = await serve(async (req, res) => {
    const path = req.url ?? '';
    if (req.method === 'POST' && path === '/v1/predictions') {
      const answer = script.create?.[Math.min(creates++, (script.create?.length ?? 1) - 1)] ?? {
        status: 201,
      };
      if (answer.status >= 400)
        return send(
          res,
          answer.status,
          answer.body ?? { title: 'error', detail: 'bad', status: answer.status },
          answer.headers,
        );
      return send(res, 201, {
        id: 'pred-1',
        status: 'starting',
        output: null,
        error: null,
        logs: '',
        urls: {},
      });
    }
    if (req.method === 'GET' && path === '/v1/predictions/pred-1') {
      const list = script.polls ?? [{ status: 'succeeded', output: `${server.url}/files/out.mp3` }];
      const answer = list[Math.min(polls++, list.length - 1)];
      if (typeof answer === 'number')
        return send(res, answer, { title: 'Internal Server Error', status: answer });
      if (answer && 'delayMs' in answer) {
        await delay(answer.delayMs as number);
        return send(res, 200, { id: 'pred-1', status: 'processing', logs: '' });
      }
      const output = answer?.output === 'SELF' ? `${server.url}/files/out.mp3` : answer?.output;
      return send(res, 200, { id: 'pred-1', error: null, logs: '', ...answer, output });
    }
    if (req.method === 'POST' && path === '/v1/predictions/pred-1/cancel')
      return send(res, 200, { id: 'pred-1', status: 'canceled' });
    if (req.method === 'GET' && path === '/files/out.mp3') {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      return res.end(MP3);
    }
    send(res, 404, { title: 'Not found', status: 404 });
  });
  return server;
}

const song: MusicRequest = {
  prompt: 'upbeat pop song about summer vibes',
  lyrics: 'Walking on the beach, sun is shining bright, every day feels right',
  model: 'Music Generation',
  sample_rate: 44100,
  bitrate: 256000,
  audio_format: 'mp3',
};
const fast = { apiKey: 'r8_test', pollIntervalMs: 10, requestTimeoutMs: 1000, timeoutMs: 5000 };

describe('ReplicateMusicGenerator (local server reproducing its documented API)', () => {
  it('creates a prediction, polls through starting/processing, downloads the song without leaking the key', async () => {
    const files = await cdn({ '/song.mp3': MP3 });
    const api = await fakeReplicate({
      polls: [
        { status: 'starting' },
        { status: 'processing', logs: 'generating  12%|█' },
        { status: 'processing', logs: 'generating  12%|█\ngenerating  80%|████████' },
        { status: 'succeeded', output: `${files.url}/song.mp3` },
      ],
    });
    const progress: number[] = [];
    const file = await new ReplicateMusicGenerator({ ...fast, baseUrl: api.url }).generate(song, {
      onProgress: (f) => progress.push(f),
    });
    expect(file.bytes).toEqual(MP3);
    expect(file).toMatchObject({ contentType: 'audio/mpeg', extension: 'mp3' });
    const create = api.seen[0];
    expect(create).toMatchObject({ method: 'POST', path: '/v1/predictions', auth: 'Bearer r8_test' });
    expect(create?.body).toEqual({
      version: 'minimax/music-1.5',
      input: {
        prompt: song.prompt,
        lyrics: song.lyrics,
        sample_rate: 44100,
        bitrate: 256000,
        audio_format: 'mp3',
      },
    });
    expect(api.seen.filter((s) => s.method === 'GET')).toHaveLength(4);
    expect(api.seen.every((s) => s.auth === 'Bearer r8_test')).toBe(true);
    expect(files.seen[0]?.auth).toBeUndefined(); // the key goes to the API only
    expect(progress).toContain(0.05 + 0.8 * 0.85);
    expect(progress.at(-1)).toBe(1);
  });

  it('sends the key when the output is served by the API origin itself', async () => {
    const api = await fakeReplicate({});
    await new ReplicateMusicGenerator({ ...fast, baseUrl: api.url }).generate(song);
    expect(api.seen.at(-1)).toMatchObject({ path: '/files/out.mp3', auth: 'Bearer r8_test' });
  });

  it('maps a prediction failed over its content to refused, any other failure to temporary', async () => {
    const refused = await fakeReplicate({
      polls: [{ status: 'failed', error: 'NSFW content detected in the lyrics' }],
    });
    await expect(
      new ReplicateMusicGenerator({ ...fast, baseUrl: refused.url }).generate(song),
    ).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringContaining('NSFW'),
    });
    const crashed = await fakeReplicate({
      polls: [{ status: 'processing' }, { status: 'failed', error: 'CUDA out of memory' }],
    });
    await expect(
      new ReplicateMusicGenerator({ ...fast, baseUrl: crashed.url }).generate(song),
    ).rejects.toMatchObject({
      kind: 'temporary',
    });
    const canceled = await fakeReplicate({ polls: [{ status: 'canceled' }] });
    await expect(
      new ReplicateMusicGenerator({ ...fast, baseUrl: canceled.url }).generate(song),
    ).rejects.toMatchObject({
      kind: 'temporary',
    });
  });

  it('maps create errors: 422 invalid input → refused; 5xx, 401 and 402 → temporary', async () => {
    const cases: [number, 'refused' | 'temporary'][] = [
      [422, 'refused'],
      [400, 'refused'],
      [500, 'temporary'],
      [503, 'temporary'],
      [401, 'temporary'],
      [402, 'temporary'],
    ];
    for (const [status, kind] of cases) {
      const api = await fakeReplicate({
        create: [
          {
            status,
            body: { title: 'Input validation failed', detail: `lyrics: too long (${status})`, status },
          },
        ],
      });
      const error = await new ReplicateMusicGenerator({ ...fast, baseUrl: api.url })
        .generate(song)
        .catch((e) => e);
      expect(error, String(status)).toBeInstanceOf(GenerationError);
      expect(error.kind, String(status)).toBe(kind);
      expect(error.message).toContain(`HTTP ${status}`);
      expect(api.seen.filter((s) => s.path === '/v1/predictions')).toHaveLength(1); // never created twice
    }
  });

  it('waits out a 429 (Retry-After) and creates again', async () => {
    const api = await fakeReplicate({
      create: [
        {
          status: 429,
          headers: { 'retry-after': '0' },
          body: { title: 'Request was throttled', status: 429 },
        },
        { status: 201 },
      ],
    });
    const file = await new ReplicateMusicGenerator({ ...fast, baseUrl: api.url }).generate(song);
    expect(file.bytes).toEqual(MP3);
    expect(api.seen.filter((s) => s.path === '/v1/predictions')).toHaveLength(2);
  });

  it('rides out 5xx and polls slower than the request timeout until the prediction is done', async () => {
    const api = await fakeReplicate({
      polls: [500, { delayMs: 300 }, 502, { status: 'processing' }, { status: 'succeeded', output: 'SELF' }],
    });
    const file = await new ReplicateMusicGenerator({
      ...fast,
      baseUrl: api.url,
      requestTimeoutMs: 100,
    }).generate(song);
    expect(file.bytes).toEqual(MP3);
    expect(api.seen.filter((s) => s.method === 'GET' && s.path === '/v1/predictions/pred-1')).toHaveLength(5);
  });

  it('gives up at the deadline as temporary and cancels the prediction', async () => {
    const api = await fakeReplicate({ polls: [{ status: 'processing' }] });
    const started = Date.now();
    const error = await new ReplicateMusicGenerator({ ...fast, baseUrl: api.url, timeoutMs: 300 })
      .generate(song)
      .catch((e) => e);
    expect(error).toBeInstanceOf(GenerationError);
    expect(error).toMatchObject({ kind: 'temporary', message: expect.stringContaining('in time') });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(api.seen.some((s) => s.method === 'POST' && s.path === '/v1/predictions/pred-1/cancel')).toBe(
      true,
    );
  });

  it('stops when the caller aborts, cancels the prediction and rethrows the reason', async () => {
    const api = await fakeReplicate({ polls: [{ status: 'processing' }] });
    const controller = new AbortController();
    const pending = new ReplicateMusicGenerator({ ...fast, baseUrl: api.url }).generate(song, {
      signal: controller.signal,
      onProgress: (_f, stage) => stage === 'processing' && controller.abort(new Error('client disconnected')),
    });
    await expect(pending).rejects.toThrow('client disconnected');
    expect(api.seen.some((s) => s.path === '/v1/predictions/pred-1/cancel')).toBe(true);
  });

  it('refuses an output over the size cap as temporary', async () => {
    const api = await fakeReplicate({});
    await expect(
      new ReplicateMusicGenerator({ ...fast, baseUrl: api.url, maxOutputBytes: 100 }).generate(song),
    ).rejects.toMatchObject({ kind: 'temporary', message: expect.stringContaining('cap') });
  });
});

const pngRequest = async (): Promise<ModelRequest> => ({
  image: new Uint8Array(
    await sharp({ create: { width: 8, height: 8, channels: 4, background: '#f00' } })
      .png()
      .toBuffer(),
  ),
  mime: 'image/png',
});

describe('ReplicateModelGenerator (local server reproducing its documented API)', () => {
  it('sends the image as a data URI and picks the .glb among the outputs', async () => {
    const files = await cdn({ '/model.glb': GLB, '/preview.mp4': new Uint8Array([0, 0, 0, 24]) });
    const api = await fakeReplicate({
      polls: [
        { status: 'processing' },
        {
          status: 'succeeded',
          output: { color_video: `${files.url}/preview.mp4`, model_file: `${files.url}/model.glb` },
        },
      ],
    });
    const req = await pngRequest();
    const file = await new ReplicateModelGenerator({
      ...fast,
      baseUrl: api.url,
      model: 'firtoz/trellis:abc123',
    }).generate(req);
    expect(file.bytes).toEqual(GLB);
    expect(file).toMatchObject({ contentType: 'model/gltf-binary', extension: 'glb' });
    const body = api.seen[0]?.body;
    expect(body.version).toBe('firtoz/trellis:abc123');
    expect(body.input.images[0]).toBe(`data:image/png;base64,${Buffer.from(req.image).toString('base64')}`);
    expect(files.seen.map((s) => s.path)).toEqual(['/model.glb']);
  });

  it('treats a non-glTF output as temporary', async () => {
    const files = await cdn({ '/model.obj': new TextEncoder().encode('v 0 0 0\n') });
    const api = await fakeReplicate({ polls: [{ status: 'succeeded', output: `${files.url}/model.obj` }] });
    await expect(
      new ReplicateModelGenerator({ ...fast, baseUrl: api.url, model: 'owner/img2mesh' }).generate(
        await pngRequest(),
      ),
    ).rejects.toMatchObject({ kind: 'temporary' });
  });
});

/**
 * Meshy's Image to 3D API as documented: POST /openapi/v1/image-to-3d → { result: id };
 * GET /openapi/v1/image-to-3d/{id} → task with status, progress, model_urls, task_error.
 */
async function fakeMeshy(script: { create?: number; tasks?: (Record<string, unknown> | number)[] }) {
  let polls = 0;
  const server = await serve((req, res) => {
    const path = req.url ?? '';
    if (req.method === 'POST' && path === '/openapi/v1/image-to-3d') {
      if (script.create && script.create >= 400)
        return send(res, script.create, { message: `error ${script.create}` });
      return send(res, 202, { result: '0193bfc5-ee4f-73f8-8525-44b398884ce9' });
    }
    if (req.method === 'GET' && path === '/openapi/v1/image-to-3d/0193bfc5-ee4f-73f8-8525-44b398884ce9') {
      const list = script.tasks ?? [
        { status: 'SUCCEEDED', progress: 100, model_urls: { glb: `${server.url}/assets/model.glb` } },
      ];
      const task = list[Math.min(polls++, list.length - 1)];
      if (typeof task === 'number') return send(res, task, { message: 'Internal Server Error' });
      const urls = task?.model_urls as { glb?: string } | undefined;
      const model_urls = urls?.glb === 'SELF' ? { glb: `${server.url}/assets/model.glb` } : urls;
      return send(res, 200, {
        id: '0193bfc5-ee4f-73f8-8525-44b398884ce9',
        task_error: null,
        ...task,
        model_urls,
      });
    }
    if (req.method === 'GET' && path === '/assets/model.glb') {
      res.writeHead(200, { 'content-type': 'model/gltf-binary' });
      return res.end(GLB);
    }
    send(res, 404, { message: 'Not Found' });
  });
  return server;
}

describe('MeshyModelGenerator (local server reproducing its documented API)', () => {
  it('creates a task, follows its progress and downloads the GLB', async () => {
    const done = await fakeMeshy({
      tasks: [
        { status: 'PENDING', progress: 0 },
        { status: 'IN_PROGRESS', progress: 40 },
        503,
        { status: 'IN_PROGRESS', progress: 90 },
        { status: 'SUCCEEDED', progress: 100, model_urls: { glb: 'SELF' } },
      ],
    });
    const progress: [number, string | undefined][] = [];
    const file = await new MeshyModelGenerator({ ...fast, baseUrl: done.url }).generate(await pngRequest(), {
      onProgress: (f, s) => progress.push([f, s]),
    });
    expect(file.bytes).toEqual(GLB);
    const create = done.seen[0];
    expect(create).toMatchObject({ method: 'POST', auth: 'Bearer r8_test' });
    expect(create?.body.image_url).toMatch(/^data:image\/png;base64,/);
    expect(create?.body.should_texture).toBe(true);
    expect(progress.at(-1)).toEqual([1, 'done']);
    expect(progress).toContainEqual([0.05 + 0.4 * 0.85, 'generating']);
    expect(done.seen.filter((s) => s.method === 'GET').map((s) => s.path.split('/').at(-1))).toHaveLength(6);
  });

  it('converts WebP to PNG, since Meshy takes JPEG and PNG only', async () => {
    const api = await fakeMeshy({});
    const webp = new Uint8Array(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0f0' } })
        .webp()
        .toBuffer(),
    );
    await new MeshyModelGenerator({ ...fast, baseUrl: api.url }).generate({
      image: webp,
      mime: 'image/webp',
    });
    const uri: string = api.seen[0]?.body.image_url;
    expect(uri.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(uri.split(',')[1] ?? '', 'base64');
    expect((await sharp(png).metadata()).format).toBe('png');
  });

  it('maps FAILED tasks and create errors to refused or temporary', async () => {
    const policy = await fakeMeshy({
      tasks: [{ status: 'FAILED', task_error: { message: 'Image flagged by content moderation' } }],
    });
    await expect(
      new MeshyModelGenerator({ ...fast, baseUrl: policy.url }).generate(await pngRequest()),
    ).rejects.toMatchObject({
      kind: 'refused',
    });
    const internal = await fakeMeshy({
      tasks: [{ status: 'FAILED', task_error: { message: 'Internal error, please retry' } }],
    });
    await expect(
      new MeshyModelGenerator({ ...fast, baseUrl: internal.url }).generate(await pngRequest()),
    ).rejects.toMatchObject({
      kind: 'temporary',
    });
    const bad = await fakeMeshy({ create: 400 });
    await expect(
      new MeshyModelGenerator({ ...fast, baseUrl: bad.url }).generate(await pngRequest()),
    ).rejects.toMatchObject({
      kind: 'refused',
    });
    const broke = await fakeMeshy({ create: 402 });
    await expect(
      new MeshyModelGenerator({ ...fast, baseUrl: broke.url }).generate(await pngRequest()),
    ).rejects.toMatchObject({
      kind: 'temporary',
      message: expect.stringContaining('402'),
    });
  });

  it('holds a slow task open and ends it at the deadline as temporary', async () => {
    const api = await fakeMeshy({ tasks: [{ status: 'IN_PROGRESS', progress: 10 }] });
    const error = await new MeshyModelGenerator({ ...fast, baseUrl: api.url, timeoutMs: 250 })
      .generate(await pngRequest())
      .catch((e) => e);
    expect(error).toMatchObject({ kind: 'temporary' });
    expect(api.seen.filter((s) => s.method === 'GET').length).toBeGreaterThan(2);
  });
});

describe('hosted adapters: options', () => {
  it('validate their options, naming the bad one', () => {
    expect(() => new ReplicateMusicGenerator({ apiKey: '' })).toThrow(/apiKey/);
    expect(() => new ReplicateMusicGenerator({ apiKey: 'k', pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
    expect(() => new ReplicateMusicGenerator({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => new ReplicateModelGenerator({ apiKey: 'k', model: '' })).toThrow(/model/);
    expect(() => new MeshyModelGenerator({ apiKey: 'k', timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});
