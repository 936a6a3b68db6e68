/**
 * Fuzzing the BOLT11 decoder: every input either decodes (to a well-formed result) or throws a
 * FareboxError with code BOLT11_INVALID or L402_TOO_LARGE, nothing else. Inputs come from a
 * seeded PRNG, so a failure is reproducible: the report prints the input.
 *
 * Budget: most mutations break the bech32 checksum and are refused in ~25 µs; inputs re-encoded
 * with a valid checksum reach the fields and often the signature (~1 ms), so they are fewer.
 */
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecodedInvoice, decodeInvoice, encodeInvoice } from '../src/bolt11/index.js';
import { signatureBytes, signingHash } from '../src/bolt11/signature.js';
import { pushBytesAsWords } from '../src/bolt11/words.js';
import { fromHex } from '../src/bytes.js';
import { FareboxError } from '../src/errors.js';
import vectors from './vectors/bolt11.json' with { type: 'json' };

const KEY = fromHex(vectors.source.privateKey);
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const PRINTABLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');

/** mulberry32: small, fast, seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: ArrayLike<T>): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

// Seeds: every spec invoice, plus encoder output with the fields the spec examples lack.
const richSeeds = [
  encodeInvoice(
    {
      network: 'signet',
      amountMsat: 123_456_789n,
      timestamp: 1_700_000_000,
      paymentHash: new Uint8Array(32).fill(7),
      paymentSecret: new Uint8Array(32).fill(8),
      description: 'fuzz ✓ ナンセンス',
      expirySeconds: 86_400,
      minFinalCltvExpiry: 144,
      metadata: Uint8Array.of(1, 2, 3, 4, 5),
      features: [8, 14, 17, 49, 101],
      includePayeeNodeId: true,
      fallbackAddresses: [{ version: 1, program: new Uint8Array(32).fill(9) }],
      routeHints: [
        [
          {
            pubkey: `02${'ab'.repeat(32)}`,
            shortChannelId: '700000x1234x1',
            feeBaseMsat: 1000,
            feeProportionalMillionths: 1,
            cltvExpiryDelta: 40,
          },
        ],
      ],
    },
    KEY,
  ),
  encodeInvoice(
    {
      network: 'regtest',
      paymentHash: new Uint8Array(32),
      paymentSecret: new Uint8Array(32),
      descriptionHash: new Uint8Array(32),
    },
    KEY,
  ),
];
const SEEDS = [
  ...vectors.valid.map((v) => v.invoice),
  ...vectors.invalid.map((v) => v.invoice),
  ...richSeeds,
];
const SEED_WORDS = SEEDS.flatMap((s) => {
  try {
    const { prefix, words } = bech32.decode(s.toLowerCase() as `${string}1${string}`, false);
    return [{ prefix, words }];
  } catch {
    return [];
  }
});

interface Outcome {
  total: number;
  decoded: number;
  refused: number;
  bad: { input: string; error: unknown }[];
}

function wellFormed(d: DecodedInvoice): boolean {
  return (
    /^0[23][0-9a-f]{64}$/.test(d.payee) &&
    /^[0-9a-f]{64}$/.test(d.paymentHash) &&
    /^[0-9a-f]{128}$/.test(d.signature) &&
    d.recoveryFlag >= 0 &&
    d.recoveryFlag <= 3 &&
    d.paymentRequest === d.paymentRequest.toLowerCase() &&
    d.expiresAt === d.timestamp + d.expirySeconds &&
    Number.isSafeInteger(d.expiresAt) &&
    (d.amountMsat === undefined || d.amountMsat > 0n) &&
    (d.description === undefined) !== (d.descriptionHash === undefined)
  );
}

function run(inputs: Iterable<string>, options?: { allowMissingPaymentSecret?: boolean }): Outcome {
  const out: Outcome = { total: 0, decoded: 0, refused: 0, bad: [] };
  for (const input of inputs) {
    out.total++;
    try {
      const d = decodeInvoice(input, options);
      if (!wellFormed(d)) out.bad.push({ input, error: new Error('decoded to a malformed result') });
      out.decoded++;
    } catch (error) {
      if (
        error instanceof FareboxError &&
        (error.code === 'BOLT11_INVALID' || error.code === 'L402_TOO_LARGE')
      ) {
        out.refused++;
      } else if (out.bad.length < 5) {
        out.bad.push({ input, error });
      }
    }
  }
  return out;
}

function expectClean(o: Outcome, count: number): void {
  expect(o.bad.map((b) => ({ input: b.input.slice(0, 300), error: String(b.error) }))).toEqual([]);
  expect(o.total).toBe(count);
}

function randomChar(r: ReturnType<typeof prng>): string {
  switch (r.int(5)) {
    case 0:
    case 1:
      return r.pick(CHARSET);
    case 2:
      return r.pick(PRINTABLE);
    case 3:
      return r.pick('1lnbcrtsmunpLNBCQP:');
    default:
      return String.fromCodePoint(r.int(0x110000));
  }
}

/** 1..4 character edits: replace, insert, delete, case flip, truncate, duplicate a slice, prefix. */
function* charMutations(count: number, seed: number): Generator<string> {
  const r = prng(seed);
  for (let n = 0; n < count; n++) {
    let s = r.pick(SEEDS);
    for (let e = 1 + r.int(4); e > 0; e--) {
      const i = r.int(s.length + 1);
      switch (r.int(8)) {
        case 0:
        case 1:
          s = s.slice(0, i) + randomChar(r) + s.slice(i + 1);
          break;
        case 2:
          s = s.slice(0, i) + randomChar(r) + s.slice(i);
          break;
        case 3:
          s = s.slice(0, i) + s.slice(i + 1 + r.int(3));
          break;
        case 4: {
          const c = s[i] ?? '';
          s = s.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + s.slice(i + 1);
          break;
        }
        case 5:
          s = s.slice(0, i);
          break;
        case 6:
          s = s.slice(0, i) + s.slice(r.int(s.length), r.int(s.length)) + s.slice(i);
          break;
        default:
          s = r.pick(['lightning:', 'LIGHTNING:', 'lightning:lightning:', 'bitcoin:', ' ', '']) + s;
      }
    }
    yield s;
  }
}

/** Word-level edits re-encoded with a valid checksum, so the field parser and signature run. */
function* wordMutations(count: number, seed: number): Generator<string> {
  const r = prng(seed);
  for (let n = 0; n < count; n++) {
    const { prefix, words: w0 } = r.pick(SEED_WORDS);
    let words = w0.slice();
    let hrp = prefix;
    for (let e = 1 + r.int(3); e > 0; e--) {
      const i = r.int(words.length);
      switch (r.int(7)) {
        case 0:
        case 1:
          words[i] = r.int(32);
          break;
        case 2:
          words.splice(i, 0, r.int(32));
          break;
        case 3:
          words.splice(i, 1 + r.int(4));
          break;
        case 4:
          words = words.slice(0, i);
          break;
        case 5: // a plausible-looking tagged field header
          words.splice(i, 0, r.int(32), r.int(32), r.int(32));
          break;
        default:
          hrp = r.pick([
            'lnbc',
            'lntb',
            'lntbs',
            'lnbcrt',
            'lnsb',
            'ln',
            'lnbc0',
            'lnbc01m',
            'lnbcm',
            'lnbc11p',
            'lnbc10p',
            'lnbc999999999999999999999p',
            `lnbc${r.int(1e9)}${r.pick(['', 'm', 'u', 'n', 'p', 'x'])}`,
            `ln${r.pick(PRINTABLE)}${r.pick(PRINTABLE)}`,
          ]);
      }
    }
    yield bech32.encode(hrp.toLowerCase(), words, false);
  }
}

/** `ln…1…` strings over the bech32 alphabet, some with a valid checksum over random words. */
function* bech32ish(count: number, seed: number): Generator<string> {
  const r = prng(seed);
  for (let n = 0; n < count; n++) {
    const hrp = r.pick(['lnbc', 'lntb', 'lntbs', 'lnbcrt', 'lnbc2500u', 'lntb20m', 'lnbc10p', 'lnbc1']);
    const len = r.int(r.next() < 0.5 ? 120 : 900);
    if (r.next() < 0.25) {
      const words = Array.from({ length: len }, () => r.int(32));
      // Make the first tagged field well-formed more often than chance would.
      if (len > 10 && r.next() < 0.5) words.splice(7, 3, r.pick([1, 16, 13, 5, 6, 24, 3, 9]), 0, r.int(32));
      yield bech32.encode(hrp, words, false);
    } else {
      let data = '';
      for (let i = 0; i < len; i++) data += r.pick(CHARSET);
      yield `${hrp}1${data}`;
    }
  }
}

/** Arbitrary code points (lone surrogates included), sometimes behind an invoice-like prefix. */
function* unicode(count: number, seed: number): Generator<string> {
  const r = prng(seed);
  for (let n = 0; n < count; n++) {
    let s = r.next() < 0.3 ? r.pick(['lnbc1', 'LNBC', 'lightning:', 'lnbc2500u1pvjluez']) : '';
    for (let i = r.int(200); i > 0; i--) {
      const k = r.int(4);
      s +=
        k === 0
          ? String.fromCharCode(0xd800 + r.int(0x800)) // lone surrogate halves
          : k === 1
            ? String.fromCodePoint(r.int(0x110000))
            : String.fromCharCode(r.int(0x250));
    }
    yield s;
  }
}

describe('BOLT11 decoder fuzzing', () => {
  const counts = { char: 50_000, word: 20_000, bech32: 15_000, unicode: 13_000, fastCheck: 2_000 };

  it(`${counts.char} character mutations of valid and invalid invoices`, () => {
    const o = run(charMutations(counts.char, 1));
    expectClean(o, counts.char);
    expect(o.refused).toBeGreaterThan(counts.char * 0.9);
  });

  it(`${counts.word} word mutations re-encoded with a valid checksum`, () => {
    const o = run(wordMutations(counts.word, 2), { allowMissingPaymentSecret: true });
    expectClean(o, counts.word);
    expect(o.decoded).toBeGreaterThan(100); // the signature path ran
  });

  it(`${counts.bech32} random bech32-like strings`, () => {
    expectClean(run(bech32ish(counts.bech32, 3)), counts.bech32);
  });

  it(`${counts.unicode} random unicode strings`, () => {
    expectClean(run(unicode(counts.unicode, 4)), counts.unicode);
  });

  it(`${counts.fastCheck} fast-check strings and sizes around the cap`, () => {
    const near = [7088, 7089, 7090, 10_000].map((n) => `lnbc1${'q'.repeat(n - 5)}`);
    expectClean(run(near), near.length);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ maxLength: 600 })),
        (s) => {
          expect(run([s]).bad).toEqual([]);
        },
      ),
      { numRuns: counts.fastCheck, seed: 5 },
    );
  });

  it('covers at least 100,000 inputs in all', () => {
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100_000);
  });
});

describe('BOLT11 decoder resource bounds', () => {
  it('refuses a 1 MB input with L402_TOO_LARGE, quickly', () => {
    for (const big of [`lnbc1${'q'.repeat(1 << 20)}`, '\u{1F600}'.repeat(1 << 19), 'x'.repeat(1 << 20)]) {
      const t = performance.now();
      let err: unknown;
      try {
        decodeInvoice(big);
      } catch (e) {
        err = e;
      }
      expect(performance.now() - t).toBeLessThan(50);
      expect(err).toBeInstanceOf(FareboxError);
      expect((err as FareboxError).code).toBe('L402_TOO_LARGE');
    }
  });

  /** A valid, signed invoice of about `n` words: real fields, then unknown fields of 1023 words. */
  function bigInvoice(n: number): string {
    const { prefix, words } = bech32.decode(SEEDS[1]! as `${string}1${string}`, false);
    const data = words.slice(0, -104);
    while (data.length < n) {
      data.push(0, 31, 31);
      for (let i = 0; i < 1023; i++) data.push(i & 31);
    }
    pushBytesAsWords(data, signatureBytes(signingHash(prefix, data, data.length), KEY));
    return bech32.encode(prefix, data, false);
  }

  function median(fn: () => void): number {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      fn();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[2]!;
  }

  it('decoding time grows linearly with the length, when the cap is raised', () => {
    const small = bigInvoice(20_000);
    const large = bigInvoice(200_000);
    const opts = { maxLength: 1_000_000 };
    expect(decodeInvoice(large, opts).unknownTags.length).toBeGreaterThan(190);
    decodeInvoice(small, opts); // warm up
    const ts = median(() => decodeInvoice(small, opts));
    const tl = median(() => decodeInvoice(large, opts));
    // 10x the input: allow 30x the time (noise, GC) but not the 100x of a quadratic parser.
    expect(tl).toBeLessThan(ts * 30 + 20);

    // Refusals too: a broken checksum over 100 k vs 1 M characters.
    const bs = `${small.slice(0, -1)}${small.endsWith('q') ? 'p' : 'q'}`;
    const bl = `${large.slice(0, -1)}${large.endsWith('q') ? 'p' : 'q'}`;
    const rs = median(() => expect(() => decodeInvoice(bs, opts)).toThrow(FareboxError));
    const rl = median(() => expect(() => decodeInvoice(bl, opts)).toThrow(FareboxError));
    expect(rl).toBeLessThan(rs * 30 + 20);
  });
});
