/**
 * The services app over real HTTP on the dev node, with scriptable fake generators (they
 * count their calls): the seeds' two-step flow as curl does it, validation before charging,
 * the token bound to the request, one generation per payment (repeats, concurrency), failure
 * then retry, refunds, held-open and async jobs, files (ranges, expiry), prices, discovery and
 * the pages.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeIdentifier, parseMacaroon, toHex } from '@farebox/core';
import { DevNode, type LightningBackend } from '@farebox/lightning';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryFileStore } from '../src/index.js';
import { challengeOf, http, type Json, PNG_1x1, PNG_URI, type Running, SONG, start } from './app-helpers.js';

const MUSIC = '/api/l402/music';
const MODEL = '/api/l402/3d-model';

describe('the seeds’ flow on the dev node, step by step', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });
  afterAll(() => r.close());

  it('music: 402 with the L402 challenge, pay, the identical request → 200 {audioUrl}', async () => {
    // Step 1: the initial request.
    const body = JSON.stringify(SONG);
    const first = await http('POST', `${r.url}${MUSIC}`, { body });
    expect(first.status).toBe(402);
    const www = first.headers.get('www-authenticate')!;
    expect(www).toMatch(/^L402 macaroon="[A-Za-z0-9+/=_-]+", invoice="lnbcrt\d+[munp]?1[0-9a-z]+"/);
    expect(first.json.price_sats).toBe(250);
    expect(r.music.calls).toBe(0);
    // Step 2: pay the invoice, keep the preimage.
    const { macaroon, invoice } = challengeOf(www);
    const preimage = await r.pay(invoice);
    expect(preimage).toMatch(/^[0-9a-f]{64}$/);
    // Step 3: the exact same request with the Authorization header.
    const paid = await http('POST', `${r.url}${MUSIC}`, {
      body,
      headers: { authorization: `L402 ${macaroon}:${preimage}` },
    });
    expect(paid.status).toBe(200);
    expect(Object.keys(paid.json)).toEqual(['audioUrl']);
    expect(paid.json.audioUrl).toMatch(new RegExp(`^${r.url}/files/[A-Za-z0-9_-]{43}\\.wav$`));
    expect(r.music.calls).toBe(1);
    expect(r.music.requests[0]).toEqual(SONG);
    const file = await fetch(paid.json.audioUrl);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('audio/wav');
    expect(new TextDecoder().decode((await file.arrayBuffer()).slice(0, 4))).toBe('RIFF');
  });

  it('defaults apply: a song request with only the required fields', async () => {
    const { auth } = await r.buy(MUSIC, { prompt: SONG.prompt, lyrics: SONG.lyrics, model: SONG.model });
    const res = await http('POST', `${r.url}${MUSIC}`, {
      body: { prompt: SONG.prompt, lyrics: SONG.lyrics, model: SONG.model },
      headers: { authorization: auth },
    });
    expect(res.status).toBe(200);
    expect(r.music.requests.at(-1)).toMatchObject({
      sample_rate: 44100,
      bitrate: 256000,
      audio_format: 'mp3',
    });
  });

  it('3d-model: the seed’s data URI body → 402, pay, → 200 {modelUrl}', async () => {
    const body = `{\n  "image": "${PNG_URI}"\n}`;
    const first = await http('POST', `${r.url}${MODEL}`, { body });
    expect(first.status).toBe(402);
    expect(first.json.price_sats).toBe(500);
    const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate'));
    const auth = `L402 ${macaroon}:${await r.pay(invoice)}`;
    const paid = await http('POST', `${r.url}${MODEL}`, { body, headers: { authorization: auth } });
    expect(paid.status).toBe(200);
    expect(paid.json.modelUrl).toMatch(/\/files\/[A-Za-z0-9_-]{43}\.glb$/);
    expect(r.model.requests.at(-1)!.mime).toBe('image/png');
    const f = await fetch(paid.json.modelUrl);
    expect(f.headers.get('content-type')).toBe('model/gltf-binary');
  });
});

describe('validate before you charge', () => {
  let r: Running;
  let invoices = 0;
  beforeAll(async () => {
    const node = new DevNode({ production: false });
    const create = node.createInvoice.bind(node);
    node.createInvoice = (req) => {
      invoices++;
      return create(req);
    };
    r = await start({ lightning: node, config: { maxImageBytes: 2000 } });
  });
  afterAll(async () => {
    await r.close();
  });

  const bad = async (path: string, body: unknown, contentType = 'application/json') => {
    const before = invoices;
    const res = await http('POST', `${r.url}${path}`, {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': contentType },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.json.error.code).toBe('L402_INVALID_REQUEST');
    expect(res.json.invoice).toBeUndefined();
    expect(invoices).toBe(before);
    return res.json.error.data.fields as Record<string, string>;
  };

  it('music: each field’s error at once', async () => {
    const f = await bad(MUSIC, {
      prompt: 'short',
      lyrics: 'x'.repeat(601),
      model: 'Other',
      sample_rate: 44100.5,
      bitrate: 'high',
      audio_format: 'ogg',
      audioFormat: 'wav',
    });
    expect(Object.keys(f).sort()).toEqual(
      ['audioFormat', 'audio_format', 'bitrate', 'lyrics', 'model', 'prompt', 'sample_rate'].sort(),
    );
    expect(f.prompt).toMatch(/10-300 characters \(got 5\)/);
    expect(f.lyrics).toMatch(/10-600/);
    expect(f.model).toContain('"Music Generation"');
    expect(f.audio_format).toContain('"mp3", "wav", "pcm"');
    expect(f.audioFormat).toMatch(/unknown field/);
  });

  it('music: required fields, a sample rate outside the list, a bitrate out of range', async () => {
    expect(await bad(MUSIC, {})).toEqual({
      prompt: expect.stringMatching(/^required/),
      lyrics: expect.stringMatching(/^required/),
      model: expect.stringMatching(/^required/),
    });
    const f = await bad(MUSIC, { ...SONG, sample_rate: 44000, bitrate: 1000 });
    expect(f.sample_rate).toMatch(/one of 8000, .*44100, 48000/);
    expect(f.bitrate).toMatch(/from 32000 to 320000/);
  });

  it('music: not JSON, not an object, no JSON content type', async () => {
    expect(await bad(MUSIC, '{"prompt": ')).toHaveProperty('body');
    expect(await bad(MUSIC, '[1,2]')).toHaveProperty('body');
    expect(await bad(MUSIC, JSON.stringify(SONG), 'text/plain')).toEqual({
      body: expect.stringContaining('application/json'),
    });
  });

  it('3d-model: the prefix, the type, base64, the bytes, the size cap', async () => {
    expect((await bad(MODEL, {})).image).toMatch(/required/);
    expect((await bad(MODEL, { image: 42 })).image).toMatch(/string/);
    expect((await bad(MODEL, { image: PNG_1x1 })).image).toMatch(/data URI with its prefix/);
    expect((await bad(MODEL, { image: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' })).image).toMatch(
      /image\/png, image\/jpeg or image\/webp \(got image\/gif\)/,
    );
    expect((await bad(MODEL, { image: 'data:image/png;base64,***' })).image).toMatch(/not valid base64/);
    expect((await bad(MODEL, { image: `data:image/jpeg;base64,${PNG_1x1}` })).image).toMatch(
      /declared as image\/jpeg but the bytes are image\/png/,
    );
    const text = Buffer.from('hello, not an image at all').toString('base64');
    expect((await bad(MODEL, { image: `data:image/png;base64,${text}` })).image).toMatch(
      /not a PNG, JPEG or WebP/,
    );
    const big = Buffer.alloc(3000).toString('base64');
    expect((await bad(MODEL, { image: `data:image/webp;base64,${big}` })).image).toMatch(/at most 2000/);
    expect((await bad(MODEL, { image: PNG_URI, extra: 1 })).extra).toMatch(/unknown field/);
  });

  it('a body over the cap is 413 before anything else', async () => {
    const res = await http('POST', `${r.url}${MUSIC}`, { body: { ...SONG, lyrics: 'la '.repeat(10_000) } });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('L402_TOO_LARGE');
  });

  it('other methods on a service path: 405', async () => {
    const res = await http('GET', `${r.url}${MUSIC}`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('the token is bound to the request', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });
  afterAll(() => r.close());

  it('another body with a paid token → 401 L402_REQUEST_MISMATCH and a fresh challenge; nothing generated', async () => {
    const { auth } = await r.buy(MUSIC, SONG);
    const other = await http('POST', `${r.url}${MUSIC}`, {
      body: { ...SONG, prompt: 'a slow sad ballad about rain' },
      headers: { authorization: auth },
    });
    expect(other.status).toBe(401);
    expect(other.json.error.code).toBe('L402_REQUEST_MISMATCH');
    expect(other.headers.get('www-authenticate')).toMatch(/^L402 macaroon=/);
    expect(r.music.calls).toBe(0);
    // The token still buys what it was paid for.
    const ok = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    // And still refuses another body after it was used.
    const after = await http('POST', `${r.url}${MUSIC}`, {
      body: { ...SONG, audio_format: 'wav' },
      headers: { authorization: auth },
    });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('L402_REQUEST_MISMATCH');
    expect(r.music.calls).toBe(1);
  });

  it('the same JSON reformatted (whitespace, key order) is the same request', async () => {
    const { auth } = await r.buy(MUSIC, SONG);
    const reordered = `{ "audio_format": "mp3",\n  "bitrate": 256000, "sample_rate": 44100,\n "model": "Music Generation", "lyrics": ${JSON.stringify(SONG.lyrics)}, "prompt": ${JSON.stringify(SONG.prompt)} }`;
    const res = await http('POST', `${r.url}${MUSIC}`, { body: reordered, headers: { authorization: auth } });
    expect(res.status).toBe(200);
  });

  it('a music token on the 3D endpoint → 401 L402_WRONG_SERVICE', async () => {
    const { auth } = await r.buy(MUSIC, SONG);
    const res = await http('POST', `${r.url}${MODEL}`, {
      body: { image: PNG_URI },
      headers: { authorization: auth },
    });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('L402_WRONG_SERVICE');
  });

  it('a wrong preimage → 401 L402_WRONG_PREIMAGE', async () => {
    const { auth } = await r.buy(MUSIC, SONG);
    const res = await http('POST', `${r.url}${MUSIC}`, {
      body: SONG,
      headers: { authorization: auth.replace(/:[0-9a-f]{64}$/, `:${'ab'.repeat(32)}`) },
    });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('L402_WRONG_PREIMAGE');
  });
});

describe('one payment, one generation', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });
  afterAll(() => r.close());
  afterEach(() => {
    r.music.calls = 0;
    r.music.delayMs = 0;
  });

  it('the identical paid request repeated after success returns the same result, no second generation', async () => {
    const { auth } = await r.buy(MUSIC, SONG);
    const a = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    const b = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    const c = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(b.json.audioUrl).toBe(a.json.audioUrl);
    expect(c.json.audioUrl).toBe(a.json.audioUrl);
    expect(r.music.calls).toBe(1);
  });

  it('concurrent identical paid requests run one generation and all get its result', async () => {
    r.music.delayMs = 400;
    const { auth } = await r.buy(MUSIC, SONG);
    const all = await Promise.all(
      Array.from({ length: 6 }, () =>
        http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } }),
      ),
    );
    expect(all.map((x) => x.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(all.map((x) => x.json.audioUrl)).size).toBe(1);
    expect(r.music.calls).toBe(1);
  });

  it('a client that drops the connection gets its file by repeating the request', async () => {
    r.music.delayMs = 500;
    const { auth } = await r.buy(MUSIC, SONG);
    const ctrl = new AbortController();
    const dropped = fetch(`${r.url}${MUSIC}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify(SONG),
      signal: ctrl.signal,
    }).catch((e) => e);
    await new Promise((res) => setTimeout(res, 100));
    ctrl.abort();
    expect(await dropped).toBeInstanceOf(Error);
    const again = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(again.status).toBe(200);
    expect(r.music.calls).toBe(1);
  });
});

describe('a failed generation burns nothing', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });
  afterAll(() => r.close());

  it('temporary failure → 503, then the same request with the same token → 200', async () => {
    r.music.plan.push('temporary');
    const { auth } = await r.buy(MUSIC, SONG);
    const fail = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(fail.status).toBe(503);
    expect(fail.json.error.code).toBe('SERVICE_GENERATION_FAILED');
    expect(fail.json.error.message).toMatch(/the synthesizer is busy; nothing was used/);
    expect(fail.headers.get('retry-after')).toBe('5');
    const retry = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(retry.status).toBe(200);
    expect(r.music.calls).toBe(2);
    const repeat = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(repeat.json.audioUrl).toBe(retry.json.audioUrl);
    expect(r.music.calls).toBe(2);
  });

  it('an unexpected exception is a failure too (no internals leak), and retry works', async () => {
    r.music.plan.push('throw', 'throw');
    const { auth } = await r.buy(MUSIC, SONG);
    for (let i = 0; i < 2; i++) {
      const fail = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
      expect(fail.status).toBe(503);
      expect(fail.text).not.toContain('boom');
    }
    const ok = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(ok.status).toBe(200);
  });

  it('a generation over the time limit fails and can be retried', async () => {
    const slow = await start({ config: { timeoutSeconds: 1 } });
    try {
      slow.music.delayMs = 2500;
      const { auth } = await slow.buy(MUSIC, SONG);
      const fail = await http('POST', `${slow.url}${MUSIC}`, {
        body: SONG,
        headers: { authorization: auth },
      });
      expect(fail.status).toBe(503);
      expect(fail.json.error.message).toMatch(/longer than 1 s/);
      slow.music.delayMs = 0;
      const ok = await http('POST', `${slow.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
      expect(ok.status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});

describe('refunds of refused generations', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });
  afterAll(() => r.close());

  it('422 with the refund offer; the client’s own invoice is paid once, and recorded', async () => {
    r.music.plan.push('refused');
    const { auth, challenge } = await r.buy(MUSIC, SONG);
    const res = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('SERVICE_GENERATION_REFUSED');
    expect(res.json.error.data.refund).toEqual({
      url: `${r.url}/api/l402/refund`,
      amount_sats: 250,
      how: expect.stringContaining('250000 msat'),
    });
    // Repeating the refused request does not run the generator again.
    const again = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    expect(again.status).toBe(422);
    expect(r.music.calls).toBe(1);

    // Wrong amount, no credential, someone else's token: refused.
    const wrong = await r.wallet.createInvoice({ amountMsat: 1000n });
    const w = await http('POST', `${r.url}/api/l402/refund`, {
      body: { invoice: wrong.paymentRequest },
      headers: { authorization: auth },
    });
    expect(w.status).toBe(400);
    expect(w.json.error).toMatchObject({
      code: 'SERVICE_REFUND_INVALID_INVOICE',
      data: { reason: 'amount' },
    });
    const mine = await r.wallet.createInvoice({ amountMsat: BigInt(challenge.price_msat), memo: 'refund' });
    const anon = await http('POST', `${r.url}/api/l402/refund`, { body: { invoice: mine.paymentRequest } });
    expect(anon.status).toBe(401);
    expect(anon.json.error.code).toBe('SERVICE_CREDENTIAL_REQUIRED');

    // Two claims at once with the same invoice: one pays.
    const balance = (await r.wallet.getBalance()).balanceMsat;
    const claims = await Promise.all(
      [1, 2, 3].map(() =>
        http('POST', `${r.url}/api/l402/refund`, {
          body: { invoice: mine.paymentRequest },
          headers: { authorization: auth },
        }),
      ),
    );
    const paid = claims.filter((c) => c.status === 200);
    expect(paid.length).toBeGreaterThanOrEqual(1);
    for (const c of claims.filter((x) => x.status !== 200))
      expect(c.json.error.code).toBe('SERVICE_REFUND_IN_PROGRESS');
    expect(paid[0]!.json.refund).toMatchObject({
      status: 'paid',
      amount_sats: 250,
      payment_hash: mine.paymentHash,
    });
    expect((await r.wallet.lookupInvoice(mine.paymentHash)).state).toBe('settled');
    expect((await r.wallet.getBalance()).balanceMsat - balance).toBe(250_000n);

    // Once paid: the same invoice again is answered from the record; another invoice is refused.
    const same = await http('POST', `${r.url}/api/l402/refund`, {
      body: { invoice: mine.paymentRequest },
      headers: { authorization: auth },
    });
    expect(same.status).toBe(200);
    expect(same.json.refund.payment_hash).toBe(mine.paymentHash);
    const second = await r.wallet.createInvoice({ amountMsat: 250_000n });
    const twice = await http('POST', `${r.url}/api/l402/refund`, {
      body: { invoice: second.paymentRequest },
      headers: { authorization: auth },
    });
    expect(twice.status).toBe(409);
    expect(twice.json.error.code).toBe('SERVICE_REFUND_ALREADY_PAID');
    expect((await r.wallet.lookupInvoice(second.paymentHash)).state).toBe('open');
    expect((await r.wallet.getBalance()).balanceMsat - balance).toBe(250_000n);

    // The job says so too.
    const id = idOf(auth);
    const job = await http('GET', `${r.url}/api/l402/jobs/${id}`, { headers: { authorization: auth } });
    expect(job.json).toMatchObject({
      status: 'refused',
      refund: { status: 'paid', payment_hash: mine.paymentHash },
    });
  });

  it('no refund for a job that succeeded', async () => {
    const { auth, challenge } = await r.buy(MUSIC, SONG);
    await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    const inv = await r.wallet.createInvoice({ amountMsat: BigInt(challenge.price_msat) });
    const res = await http('POST', `${r.url}/api/l402/refund`, {
      body: { invoice: inv.paymentRequest },
      headers: { authorization: auth },
    });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('SERVICE_REFUND_NOT_ALLOWED');
  });

  it('a backend that cannot pay offers no refund (501)', async () => {
    const dev = new DevNode({ production: false });
    const issuerOnly: LightningBackend = {
      backend: 'dev',
      createInvoice: dev.createInvoice.bind(dev),
      lookupInvoice: dev.lookupInvoice.bind(dev),
      waitForInvoice: dev.waitForInvoice.bind(dev),
      getInfo: dev.getInfo.bind(dev),
    };
    const x = await start({ lightning: issuerOnly });
    try {
      x.music.plan.push('refused');
      const { auth, challenge } = await x.buy(MUSIC, SONG);
      const res = await http('POST', `${x.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
      expect(res.status).toBe(422);
      expect(res.json.error.data.refund).toBeNull();
      const inv = await x.wallet.createInvoice({ amountMsat: BigInt(challenge.price_msat) });
      const claim = await http('POST', `${x.url}/api/l402/refund`, {
        body: { invoice: inv.paymentRequest },
        headers: { authorization: auth },
      });
      expect(claim.status).toBe(501);
      expect(claim.json.error.code).toBe('SERVICE_REFUND_UNAVAILABLE');
    } finally {
      await x.close();
      await dev.close();
    }
  });
});

/** The job id of a credential: the token id, as the 202 answer names it. */
function idOf(auth: string): string {
  const mac = auth.slice('L402 '.length, auth.lastIndexOf(':'));
  return toHex(decodeIdentifier(parseMacaroon(mac).identifier).tokenId);
}

describe('long jobs', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
    r.model.delayMs = 2000;
  });
  afterAll(() => r.close());

  it('a slow 3D job is held open until the model is ready', async () => {
    const body = { image: PNG_URI };
    const { auth } = await r.buy(MODEL, body);
    const res = await http('POST', `${r.url}${MODEL}`, { body, headers: { authorization: auth } });
    expect(res.status).toBe(200);
    expect(res.json.modelUrl).toMatch(/\.glb$/);
  });

  it('Prefer: respond-async → 202 with a job URL; polls show progress, then the result', async () => {
    const body = { image: PNG_URI };
    const { auth } = await r.buy(MODEL, body);
    const calls = r.model.calls;
    const accepted = await http('POST', `${r.url}${MODEL}`, {
      body,
      headers: { authorization: auth, prefer: 'respond-async' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('preference-applied')).toBe('respond-async');
    const jobUrl = accepted.headers.get('location')!;
    expect(jobUrl).toMatch(new RegExp(`^${r.url}/api/l402/jobs/[0-9a-f]{64}$`));
    expect(accepted.json).toMatchObject({ status: expect.stringMatching(/queued|running/), job_url: jobUrl });
    expect(jobUrl.endsWith(idOf(auth))).toBe(true);

    // Polling needs the credential that paid.
    expect((await http('GET', jobUrl)).status).toBe(401);
    const other = await r.buy(MODEL, body);
    const foreign = await http('GET', jobUrl, { headers: { authorization: other.auth } });
    expect(foreign.status).toBe(404);

    const seen: Json[] = [];
    for (;;) {
      const p = await http('GET', jobUrl, { headers: { authorization: auth } });
      expect(p.status).toBe(200);
      seen.push(p.json);
      if (p.json.status === 'succeeded') break;
      expect(p.headers.get('retry-after')).toBe('2');
      await new Promise((res) => setTimeout(res, 150));
    }
    const running = seen.filter((s) => s.status === 'running');
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((s) => s.progress > 0 && s.progress < 1 && typeof s.stage === 'string')).toBe(true);
    const done = seen.at(-1);
    expect(done).toMatchObject({
      status: 'succeeded',
      progress: 1,
      result: { modelUrl: expect.stringMatching(/\.glb$/) },
    });
    // The original request, repeated, gets the same result; one generation in all.
    const again = await http('POST', `${r.url}${MODEL}`, { body, headers: { authorization: auth } });
    expect(again.json.modelUrl).toBe(done.result.modelUrl);
    expect(r.model.calls).toBe(calls + 1);
  });

  it('a waiting request and an async one for the same token share the job', async () => {
    const body = { image: PNG_URI };
    const { auth } = await r.buy(MODEL, body);
    const calls = r.model.calls;
    const held = http('POST', `${r.url}${MODEL}`, { body, headers: { authorization: auth } });
    await new Promise((res) => setTimeout(res, 100));
    const async = await http('POST', `${r.url}${MODEL}`, {
      body,
      headers: { authorization: auth, prefer: 'wait=5, respond-async' },
    });
    expect(async.status).toBe(202);
    const h = await held;
    expect(h.status).toBe(200);
    expect(r.model.calls).toBe(calls + 1);
  });
});

describe('files', () => {
  let r: Running;
  let clock = Date.now();
  beforeAll(async () => {
    r = await start({ now: () => clock, config: { files: { ttlSeconds: 3600 } } });
  });
  afterAll(() => r.close());

  it('range requests, HEAD, validators, unguessable ids, expiry', async () => {
    const { auth } = await r.buy(MUSIC, SONG);
    const { json } = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
    const url = json.audioUrl as string;
    const full = await fetch(url);
    const bytes = new Uint8Array(await full.arrayBuffer());
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-length')).toBe(String(bytes.length));
    expect(full.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(new Date(full.headers.get('expires')!).getTime()).toBeGreaterThan(clock);

    const part = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(0, 100));
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 10));
    const open = await fetch(url, { headers: { range: `bytes=${bytes.length - 5}-` } });
    expect(open.headers.get('content-range')).toBe(
      `bytes ${bytes.length - 5}-${bytes.length - 1}/${bytes.length}`,
    );
    const outside = await fetch(url, { headers: { range: `bytes=${bytes.length}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    const cached = await fetch(url, { headers: { 'if-none-match': full.headers.get('etag')! } });
    expect(cached.status).toBe(304);

    const guessed = await fetch(`${r.url}/files/${'A'.repeat(43)}.wav`);
    expect(guessed.status).toBe(404);
    expect(url.split('/files/')[1]!.length).toBe(47);

    clock += 3601_000;
    const gone = await fetch(url);
    expect(gone.status).toBe(410);
    expect((await gone.json()).error.code).toBe('SERVICE_FILE_EXPIRED');
  });
});

describe('files published from a directory at a public base URL', () => {
  it('answers link to the public base; the directory holds the file; the app serves it too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'farebox-files-'));
    const files = new DirectoryFileStore({ dir, publicBaseUrl: 'https://cdn.example.com/songs/' });
    const r = await start({
      files,
      config: { files: { dir, publicBaseUrl: 'https://cdn.example.com/songs' } },
    });
    try {
      const { auth } = await r.buy(MUSIC, SONG);
      const res = await http('POST', `${r.url}${MUSIC}`, { body: SONG, headers: { authorization: auth } });
      const name = res.json.audioUrl.replace('https://cdn.example.com/songs/', '');
      expect(name).toMatch(/^[A-Za-z0-9_-]{43}\.wav$/);
      expect(new TextDecoder().decode((await readFile(join(dir, name))).subarray(0, 4))).toBe('RIFF');
      const local = await fetch(`${r.url}/files/${name}`);
      expect(local.status).toBe(200);
      expect(local.headers.get('content-type')).toBe('audio/wav');
      const page = await http('GET', `${r.url}/try/music`);
      expect(page.headers.get('content-security-policy')).toContain(
        "media-src 'self' blob: https://cdn.example.com",
      );
    } finally {
      await r.close();
    }
  });
});

describe('prices, discovery and pages', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start({ config: { prices: { music: { default: 200, wav: 300, pcm: 300 }, '3d-model': 800 } } });
  });
  afterAll(() => r.close());

  it('the price of a song depends on its audio format', async () => {
    const mp3 = await http('POST', `${r.url}${MUSIC}`, { body: SONG });
    const wav = await http('POST', `${r.url}${MUSIC}`, { body: { ...SONG, audio_format: 'wav' } });
    const model = await http('POST', `${r.url}${MODEL}`, { body: { image: PNG_URI } });
    expect([mp3.json.price_sats, wav.json.price_sats, model.json.price_sats]).toEqual([200, 300, 800]);
  });

  it('/.well-known/l402-services, /llms.txt and /openapi.json list both services with schemas and prices', async () => {
    const doc = (await http('GET', `${r.url}/.well-known/l402-services`)).json;
    expect(doc.notice).toBe('dev node: no real money');
    expect(doc.network).toBe('regtest');
    const byName = Object.fromEntries(doc.services.map((s: Json) => [s.name, s]));
    expect(byName.music).toMatchObject({ method: 'POST', path: MUSIC, pricing: 'dynamic' });
    expect(byName.music.description).toContain('200 sats (mp3) · 300 sats (wav, pcm)');
    expect(byName.music.request_schema.required).toEqual(['prompt', 'lyrics', 'model']);
    expect(byName['3d-model']).toMatchObject({
      method: 'POST',
      path: MODEL,
      price_sats: 800,
      pricing: 'fixed',
    });
    expect(byName['3d-model'].request_schema.properties.image.pattern).toBe(
      '^data:image/(png|jpeg|webp);base64,',
    );
    const llms = (await http('GET', `${r.url}/llms.txt`)).text;
    expect(llms).toContain(`POST ${r.url}${MUSIC}`);
    expect(llms).toContain(`POST ${r.url}${MODEL} — 800 sats`);
    const api = (await http('GET', `${r.url}/openapi.json`)).json;
    expect(
      api.paths[MUSIC].post.requestBody.content['application/json'].schema.properties.audio_format.enum,
    ).toEqual(['mp3', 'wav', 'pcm']);
    expect(api.paths[MODEL].post['x-l402'].price_sats).toBe(800);
  });

  it('the home page is the seeds’ guide, generated from the route table', async () => {
    const res = await http('GET', `${r.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = res.text;
    expect(html).toContain('dev node: no real money');
    expect(html).toContain('Understanding L402');
    for (const path of [MUSIC, MODEL]) expect(html).toContain(`curl -X POST ${r.url}${path}`);
    expect(html).toContain('Authorization: L402 &lt;YOUR_MACAROON&gt;:&lt;YOUR_PREIMAGE&gt;');
    expect(html).toContain('{ "audioUrl": "');
    expect(html).toContain('{ "modelUrl": "');
    expect(html).toContain('200 sats (mp3) · 300 sats (wav, pcm)');
    expect(html).toContain('800 sats');
    expect(html).toContain('<code>sample_rate</code>: integer (optional)');
    expect(html).toContain('Default: <code>44100</code>');
    expect(html).toContain('may take up to 5 minutes');
    expect(html).toContain('Prefer: respond-async');
  });

  it('try pages, assets, QR codes', async () => {
    for (const p of ['/try/music', '/try/3d-model']) {
      const res = await http('GET', `${r.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('dev node: no real money');
      expect(res.text).toContain('data-devwallet="1"');
    }
    expect((await http('GET', `${r.url}/assets/viewer.js`)).headers.get('content-type')).toContain(
      'javascript',
    );
    const inv = (await http('POST', `${r.url}${MUSIC}`, { body: SONG })).json.invoice;
    const qr = await http('GET', `${r.url}/qr.svg?invoice=${inv}`);
    expect(qr.headers.get('content-type')).toBe('image/svg+xml');
    expect(qr.text).toMatch(/^<svg/);
    expect((await http('GET', `${r.url}/qr.svg?invoice=<script>`)).status).toBe(400);
    expect((await http('GET', `${r.url}/nothing`)).status).toBe(404);
  });
});
