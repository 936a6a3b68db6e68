/**
 * The services app on the real regtest network: it issues invoices with bob's lnd
 * (`BOB_CONNECTION`, opened the way `farebox services --backend` opens it), alice pays with
 * `LndRest`. The seeds' flow step by step with the real embedded generators, validation
 * before charging, async jobs, and a refund paid by bob to alice's own invoice, once.
 */
import { parseConnection } from '@farebox/lightning';
import { LndRest, openBackend } from '@farebox/lightning/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGTEST_UP_TIMEOUT_MS, type RegtestEnv, regtest } from '../../lightning/test/support/regtest.js';
import { EmbeddedModelGenerator, EmbeddedMusicGenerator, GenerationError } from '../src/generators/index.js';
import { createServicesApp, type ModelRequest, type MusicRequest, serveServices } from '../src/index.js';
import { challengeOf, http, PNG_URI } from './app-helpers.js';

const SONG = {
  prompt: 'upbeat pop song about summer vibes',
  lyrics: 'Walking on the beach, sun is shining bright',
  model: 'Music Generation',
  sample_rate: 24000,
  bitrate: 128000,
  audio_format: 'mp3',
};

describe('the services app on the regtest network (bob issues, alice pays)', () => {
  let env: RegtestEnv;
  let url = '';
  let alice: LndRest;
  const closers: (() => Promise<unknown>)[] = [];
  const music = new EmbeddedMusicGenerator();
  const model = new EmbeddedModelGenerator();
  /** Prompts containing this word are refused, as a hosted provider refuses some inputs. */
  let musicCalls = 0;
  const refusing = {
    name: 'embedded-music-with-a-policy',
    async generate(req: MusicRequest, opts?: Parameters<EmbeddedMusicGenerator['generate']>[1]) {
      musicCalls++;
      if (req.prompt.includes('forbidden'))
        throw new GenerationError('refused', 'the provider refuses this prompt');
      return music.generate(req, opts);
    },
  };

  beforeAll(async () => {
    env = await regtest();
    const bob = await openBackend(env.BOB_CONNECTION!);
    const a = parseConnection(env.ALICE_CONNECTION!);
    if (a.type !== 'lnd') throw new Error('ALICE_CONNECTION is not lnd');
    alice = await LndRest.fromConnection(a);
    const app = await createServicesApp({
      lightning: bob,
      generators: {
        music: refusing,
        model: { name: model.name, generate: (r: ModelRequest, o) => model.generate(r, o) },
      },
      config: { prices: { music: 21, '3d-model': 34 } },
    });
    const s = await serveServices(app);
    url = s.url;
    closers.push(
      s.close,
      async () => bob.close?.(),
      async () => alice.close?.(),
    );
  }, REGTEST_UP_TIMEOUT_MS);

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('step 1: 402 with a regtest invoice from bob; step 2: alice pays; step 3: the same request → {"audioUrl"}', async () => {
    const body = JSON.stringify(SONG);
    const first = await http('POST', `${url}/api/l402/music`, { body });
    expect(first.status).toBe(402);
    const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate'));
    expect(invoice).toMatch(/^lnbcrt210n1/);
    expect(first.headers.get('x-farebox-dev-wallet')).toBeNull();
    const paid = await alice.payInvoice(invoice);
    expect(paid.amountMsat).toBe(21_000n);
    const res = await http('POST', `${url}/api/l402/music`, {
      body,
      headers: { authorization: `L402 ${macaroon}:${paid.preimage}` },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.audioUrl).toMatch(/\.mp3$/);
    const file = await fetch(res.json.audioUrl);
    expect(file.headers.get('content-type')).toBe('audio/mpeg');
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    // The identical request again: the same file, no second song.
    const calls = musicCalls;
    const again = await http('POST', `${url}/api/l402/music`, {
      body,
      headers: { authorization: `L402 ${macaroon}:${paid.preimage}` },
    });
    expect(again.json.audioUrl).toBe(res.json.audioUrl);
    expect(musicCalls).toBe(calls);
  }, 120_000);

  it('an invalid request gets 400 and no invoice; discovery says regtest', async () => {
    const bad = await http('POST', `${url}/api/l402/music`, { body: { ...SONG, audio_format: 'flac' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('www-authenticate')).toBeNull();
    expect(bad.json.error.data.fields.audio_format).toBeDefined();
    const doc = (await http('GET', `${url}/.well-known/l402-services`)).json;
    expect(doc.network).toBe('regtest');
    expect(doc.notice).toBeUndefined();
    expect(doc.services.map((s: { name: string }) => s.name)).toEqual(['music', '3d-model']);
  });

  it('a 3D model, asynchronously: 202, poll with the credential, the result', async () => {
    const body = { image: PNG_URI };
    const first = await http('POST', `${url}/api/l402/3d-model`, { body });
    const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate'));
    const auth = `L402 ${macaroon}:${(await alice.payInvoice(invoice)).preimage}`;
    const accepted = await http('POST', `${url}/api/l402/3d-model`, {
      body,
      headers: { authorization: auth, prefer: 'respond-async' },
    });
    expect(accepted.status).toBe(202);
    let job = accepted.json;
    for (let i = 0; i < 100 && job.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await http('GET', accepted.headers.get('location')!, { headers: { authorization: auth } })).json;
    }
    expect(job).toMatchObject({ status: 'succeeded', result: { modelUrl: expect.stringMatching(/\.glb$/) } });
  }, 120_000);

  it('a refused generation is refunded to alice’s own invoice, once', async () => {
    const body = { ...SONG, prompt: 'a forbidden song about nothing' };
    const first = await http('POST', `${url}/api/l402/music`, { body });
    const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate'));
    const auth = `L402 ${macaroon}:${(await alice.payInvoice(invoice)).preimage}`;
    const refused = await http('POST', `${url}/api/l402/music`, { body, headers: { authorization: auth } });
    expect(refused.status).toBe(422);
    expect(refused.json.error.data.refund.amount_sats).toBe(21);

    const mine = await alice.createInvoice({ amountMsat: 21_000n, memo: 'farebox refund' });
    const claim = await http('POST', refused.json.error.data.refund.url, {
      body: { invoice: mine.paymentRequest },
      headers: { authorization: auth },
    });
    expect(claim.status, claim.text).toBe(200);
    expect(claim.json.refund).toMatchObject({
      status: 'paid',
      amount_sats: 21,
      payment_hash: mine.paymentHash,
    });
    expect((await alice.lookupInvoice(mine.paymentHash)).state).toBe('settled');

    const another = await alice.createInvoice({ amountMsat: 21_000n, memo: 'farebox refund, again' });
    const twice = await http('POST', `${url}/api/l402/refund`, {
      body: { invoice: another.paymentRequest },
      headers: { authorization: auth },
    });
    expect(twice.status).toBe(409);
    expect(twice.json.error.code).toBe('SERVICE_REFUND_ALREADY_PAID');
    expect((await alice.lookupInvoice(another.paymentHash)).state).toBe('open');
  }, 120_000);
});
