import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, parseAmount } from '../src/bolt11/amount.js';
import { featureBitsToWords } from '../src/bolt11/features.js';
import {
  type DecodedInvoice,
  decodeInvoice,
  type EncodeInvoiceFields,
  encodeInvoice,
  invoiceIsExpired,
  NETWORK_PREFIX,
  type Network,
} from '../src/bolt11/index.js';
import { signatureBytes, signingHash } from '../src/bolt11/signature.js';
import { pushBytesAsWords } from '../src/bolt11/words.js';
import { fromHex, toHex, utf8 } from '../src/bytes.js';
import { ErrorCodes, FareboxError } from '../src/errors.js';
import vectors from './vectors/bolt11.json' with { type: 'json' };

const SPEC_KEY = fromHex(vectors.source.privateKey);
const SPEC_PAYEE = '03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad';

type Expected = (typeof vectors.valid)[number]['expected'];

/** The decoded shape a spec vector's expected fields describe (absent fields are undefined). */
function expectedInvoice(invoice: string, e: Expected): Partial<DecodedInvoice> {
  const x = e as Expected & Record<string, unknown>;
  return {
    paymentRequest: invoice.toLowerCase(),
    network: e.network as Network,
    amountMsat: e.amountMsat === null ? undefined : BigInt(e.amountMsat),
    timestamp: e.timestamp,
    expirySeconds: e.expirySeconds,
    expiresAt: e.timestamp + e.expirySeconds,
    paymentHash: e.paymentHash,
    paymentSecret: e.paymentSecret,
    description: x.description as string | undefined,
    descriptionHash: x.descriptionHash as string | undefined,
    payee: e.payee,
    minFinalCltvExpiry: e.minFinalCltvExpiry,
    fallbackAddresses: x.fallbackAddresses as DecodedInvoice['fallbackAddresses'],
    routeHints: x.routeHints as DecodedInvoice['routeHints'],
    features: e.features,
    metadata: x.metadata as string | undefined,
    unknownTags: (x.unknownTags as DecodedInvoice['unknownTags'] | undefined) ?? [],
  };
}

/** Encoder fields that describe a spec vector. */
function encoderFields(e: Expected): EncodeInvoiceFields {
  const x = e as Expected & Record<string, unknown>;
  return {
    network: e.network as Network,
    ...(e.amountMsat === null ? {} : { amountMsat: BigInt(e.amountMsat) }),
    timestamp: e.timestamp,
    paymentHash: e.paymentHash,
    paymentSecret: e.paymentSecret,
    ...(x.description === undefined ? {} : { description: x.description as string }),
    ...(x.descriptionHash === undefined ? {} : { descriptionHash: x.descriptionHash as string }),
    ...(e.expirySeconds === 3600 ? {} : { expirySeconds: e.expirySeconds }),
    ...(e.minFinalCltvExpiry === 18 ? {} : { minFinalCltvExpiry: e.minFinalCltvExpiry }),
    features: e.features,
    ...(x.metadata === undefined ? {} : { metadata: x.metadata as string }),
    ...(x.routeHints === undefined ? {} : { routeHints: x.routeHints as EncodeInvoiceFields['routeHints'] }),
    ...(x.fallbackAddresses === undefined
      ? {}
      : { fallbackAddresses: x.fallbackAddresses as EncodeInvoiceFields['fallbackAddresses'] }),
  };
}

function expectRefused(fn: () => unknown, code: string, message?: RegExp): FareboxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FareboxError);
    const fe = err as FareboxError;
    expect(fe.code).toBe(code);
    if (message) expect(fe.message).toMatch(message);
    return fe;
  }
  throw new Error('expected a FareboxError, but nothing was thrown');
}

/** Data words (without the 104 signature words) and hrp of a valid invoice. */
function unsign(invoice: string): { hrp: string; words: number[] } {
  const { prefix, words } = bech32.decode(invoice.toLowerCase() as `${string}1${string}`, false);
  return { hrp: prefix, words: words.slice(0, -104) };
}

/** Signs hand-built data words (test helper for invoices the encoder would not write). */
function sign(hrp: string, words: number[], key = SPEC_KEY, sig?: Uint8Array): string {
  const out = words.slice();
  pushBytesAsWords(out, sig ?? signatureBytes(signingHash(hrp, words, words.length), key));
  return bech32.encode(hrp, out, false);
}

/** Words of one tagged field. */
function field(tag: number, data: number[]): number[] {
  return [tag, data.length >> 5, data.length & 31, ...data];
}
function bytesField(tag: number, bytes: Uint8Array): number[] {
  const w: number[] = [];
  pushBytesAsWords(w, bytes);
  return field(tag, w);
}

const TS_WORDS = [1, 12, 18, 31, 28, 25, 2]; // 1496314658, the spec's timestamp
const P = bytesField(1, fromHex(vectors.valid[0]!.expected.paymentHash));
const S = bytesField(16, new Uint8Array(32).fill(0x11));
const D = bytesField(13, utf8('test'));

describe('BOLT #11 spec vectors: valid invoices', () => {
  for (const v of vectors.valid) {
    it(`decodes: ${v.title}`, () => {
      const inv = decodeInvoice(v.invoice);
      expect(inv).toMatchObject(expectedInvoice(v.invoice, v.expected));
      for (const [k, want] of Object.entries(expectedInvoice(v.invoice, v.expected))) {
        expect(inv[k as keyof DecodedInvoice], k).toEqual(want);
      }
      const x = v.expected as Expected & { signature?: string; recoveryFlag?: number };
      if (x.signature !== undefined) {
        expect(inv.signature).toBe(x.signature);
        expect(inv.recoveryFlag).toBe(x.recoveryFlag);
      }
    });
  }

  it('computes the signing preimage hash the spec states', () => {
    let checked = 0;
    for (const v of vectors.valid) {
      if (!('signingHash' in v)) continue;
      const { hrp, words } = unsign(v.invoice);
      expect(toHex(signingHash(hrp, words, words.length)), v.title).toBe(v.signingHash);
      expect(toHex(sha256(fromHex(v.signingPreimage as string)))).toBe(v.signingHash);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('re-signing the spec data with the spec key reproduces every RFC 6979 signature', () => {
    for (const v of vectors.valid) {
      if (v.title.includes('high-S')) continue; // deliberately not an RFC 6979 low-S signature
      const { hrp, words } = unsign(v.invoice);
      expect(sign(hrp, words), v.title).toBe(v.invoice.toLowerCase());
    }
  });

  it('high-S vector: its recovery id 1 gives another key; id 0 would give the spec node id', () => {
    const v = vectors.valid.find((x) => x.title.includes('high-S'))!;
    const { hrp, words } = unsign(v.invoice);
    const sig = Uint8Array.from([...fromHex(v.expected.signature!), 0]);
    expect(decodeInvoice(v.invoice).payee).not.toBe(SPEC_PAYEE);
    expect(decodeInvoice(sign(hrp, words, SPEC_KEY, sig)).payee).toBe(SPEC_PAYEE);
  });

  it('accepts the lightning: URI prefix in either case', () => {
    const v = vectors.valid[1]!;
    expect(decodeInvoice(`lightning:${v.invoice}`).paymentRequest).toBe(v.invoice);
    expect(decodeInvoice(`LIGHTNING:${v.invoice.toUpperCase()}`).paymentRequest).toBe(v.invoice);
    expect(decodeInvoice(`LIGHTNING:${v.invoice.toUpperCase()}`).description).toBe('1 cup coffee');
  });
});

describe('BOLT #11 spec vectors: invalid invoices', () => {
  for (const v of vectors.invalid) {
    it(`refuses: ${v.title}`, () => {
      expectRefused(
        () => decodeInvoice(v.invoice),
        ErrorCodes.INVALID_INVOICE,
        new RegExp(v.errorIncludes, 'i'),
      );
    });
  }

  it('reads the invoice without an s field when explicitly allowed', () => {
    const v = vectors.invalid.find((x) => x.title.includes('`s`'))!;
    const inv = decodeInvoice(v.invoice, { allowMissingPaymentSecret: true });
    expect(inv.paymentSecret).toBeUndefined();
    expect(inv.amountMsat).toBe(2_000_000_000n);
    // Its signature is the one of the vector it was cut from (s field removed), so recovery
    // yields some other key: without an n field a changed invoice cannot be detected.
    expect(inv.payee).not.toBe(SPEC_PAYEE);
  });
});

describe('encodeInvoice against the spec', () => {
  // The encoder writes `s p d h m n x c f r 9`; spec invoices whose fields come in that order
  // (and that have no unknown fields and an RFC 6979 signature) must come out byte for byte.
  const ORDER = [16, 1, 13, 23, 27, 19, 6, 24, 9, 3, 5];
  function tags(invoice: string): number[] {
    const { words } = unsign(invoice);
    const out: number[] = [];
    for (let i = 7; i < words.length; i += 3 + words[i + 1]! * 32 + words[i + 2]!) out.push(words[i]!);
    return out;
  }
  const sameOrder = vectors.valid.filter((v) => {
    const t = tags(v.invoice).map((tag) => ORDER.indexOf(tag));
    return !v.title.includes('high-S') && t.every((r, i) => r >= 0 && (i === 0 || r >= t[i - 1]!));
  });

  it('reproduces spec invoices byte for byte where the field order matches', () => {
    for (const v of sameOrder)
      expect(encodeInvoice(encoderFields(v.expected), SPEC_KEY), v.title).toBe(v.invoice);
    expect(sameOrder.length).toBe(6);
  });

  it('encodes every spec vector to an invoice that decodes to the same fields', () => {
    for (const v of vectors.valid) {
      const encoded = encodeInvoice(encoderFields(v.expected), SPEC_KEY);
      const want = expectedInvoice(encoded, v.expected);
      delete want.unknownTags; // the encoder writes no unknown fields
      want.payee = SPEC_PAYEE; // the key we sign with (the high-S vector recovers another one)
      expect(decodeInvoice(encoded), v.title).toMatchObject(want);
    }
  });

  it('chooses the shortest exact amount multiplier', () => {
    const base = {
      network: 'mainnet',
      paymentHash: new Uint8Array(32),
      description: '',
      timestamp: 1,
    } as const;
    const hrp = (amountMsat: bigint) => {
      const inv = encodeInvoice({ ...base, amountMsat }, SPEC_KEY);
      return inv.slice(0, inv.lastIndexOf('1'));
    };
    expect(hrp(250_000_000n)).toBe('lnbc2500u');
    expect(hrp(2_000_000_000n)).toBe('lnbc20m');
    expect(hrp(100_000_000_000n)).toBe('lnbc1');
    expect(hrp(967_878_534n)).toBe('lnbc9678785340p');
    expect(hrp(1n)).toBe('lnbc10p');
    expect(hrp(100n)).toBe('lnbc1n');
    expect(hrp(21_000n)).toBe('lnbc210n');
  });
});

describe('amounts', () => {
  it('parses multipliers into millisatoshi', () => {
    expect(parseAmount('')).toBeUndefined();
    expect(parseAmount('1')).toBe(100_000_000_000n);
    expect(parseAmount('20m')).toBe(2_000_000_000n);
    expect(parseAmount('2500u')).toBe(250_000_000n);
    expect(parseAmount('5n')).toBe(500n);
    expect(parseAmount('10p')).toBe(1n);
    expect(parseAmount('9678785340p')).toBe(967_878_534n);
    expect(parseAmount('184467440737095516150p')).toBe(0xffff_ffff_ffff_ffffn);
  });

  it.each([
    ['0', /leading zeros/],
    ['01m', /leading zeros/],
    ['0p', /leading zeros/],
    ['m', /without digits/],
    ['2500x', /multiplier/],
    ['25 m', /multiplier/],
    ['1mm', /multiplier/],
    ['-1', /multiplier/],
    ['11p', /sub-millisatoshi/],
    ['184467440737095516160p', /2\^64/],
    ['1844674407370955162', /2\^64/],
    ['9'.repeat(5000), /too large/],
  ])('refuses amount %s', (text, message) => {
    expectRefused(() => parseAmount(text), ErrorCodes.INVALID_INVOICE, message);
  });

  it('formats and parses back exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 0xffff_ffff_ffff_ffffn }), (msat) => {
        const text = formatAmount(msat);
        expect(parseAmount(text)).toBe(msat);
      }),
    );
  });
});

describe('networks', () => {
  it('has the BOLT #11 prefixes', () => {
    expect(NETWORK_PREFIX).toEqual({ mainnet: 'lnbc', testnet: 'lntb', signet: 'lntbs', regtest: 'lnbcrt' });
  });

  it.each(Object.keys(NETWORK_PREFIX) as Network[])(
    'round-trips %s, with and without an amount',
    (network) => {
      const base = {
        network,
        paymentHash: new Uint8Array(32),
        paymentSecret: new Uint8Array(32),
        description: 'x',
      };
      for (const amountMsat of [undefined, 1_000n]) {
        const inv = encodeInvoice(amountMsat === undefined ? base : { ...base, amountMsat }, SPEC_KEY);
        expect(inv.startsWith(NETWORK_PREFIX[network] + (amountMsat === undefined ? '1' : '10n1'))).toBe(
          true,
        );
        const d = decodeInvoice(inv);
        expect(d.network).toBe(network);
        expect(d.amountMsat).toBe(amountMsat);
      }
    },
  );

  it('refuses unknown prefixes', () => {
    for (const hrp of ['lnsb', 'lnxy', 'bc', 'lnbcr', 'lntbx']) {
      const inv = sign(hrp, [...TS_WORDS, ...S, ...P, ...D]);
      expectRefused(() => decodeInvoice(inv), ErrorCodes.INVALID_INVOICE, /prefix|ln|multiplier/);
    }
  });
});

describe('tagged fields', () => {
  it('decodes a minimal hand-built invoice', () => {
    const inv = decodeInvoice(sign('lnbc', [...TS_WORDS, ...P, ...S, ...D]));
    expect(inv).toMatchObject({
      timestamp: 1496314658,
      description: 'test',
      payee: SPEC_PAYEE,
      features: undefined,
    });
  });

  it('uses the first of repeated single-valued fields', () => {
    const p2 = bytesField(1, new Uint8Array(32).fill(9));
    const x1 = field(6, [1, 28]);
    const x2 = field(6, [2]);
    const inv = decodeInvoice(sign('lnbc', [...TS_WORDS, ...S, ...P, ...p2, ...D, ...x1, ...x2]));
    expect(inv.paymentHash).toBe(vectors.valid[0]!.expected.paymentHash);
    expect(inv.expirySeconds).toBe(60);
  });

  it('keeps unknown fields with their data', () => {
    const inv = decodeInvoice(
      sign('lnbc', [...TS_WORDS, ...S, ...P, ...D, ...field(0, [31, 31]), ...field(31, [])]),
    );
    expect(inv.unknownTags).toEqual([
      { tag: 0, wordLength: 2, data: 'ffc0' },
      { tag: 31, wordLength: 0, data: '' },
    ]);
  });

  it('skips fixed-length fields of the wrong length', () => {
    const shortP = field(1, new Array(51).fill(3));
    const longS = field(16, new Array(53).fill(3));
    const shortN = field(19, new Array(52).fill(3));
    const inv = decodeInvoice(sign('lnbc', [...TS_WORDS, ...shortP, ...longS, ...shortN, ...S, ...P, ...D]));
    expect(inv.paymentSecret).toBe('11'.repeat(32));
    expect(inv.payee).toBe(SPEC_PAYEE);
  });

  it('skips fallback addresses of unknown version or wrong program length', () => {
    const f19 = field(9, [19, ...new Array(32).fill(0)]);
    const f17short = field(9, [17, ...new Array(31).fill(0)]);
    const good = field(9, [0, ...new Array(32).fill(1)]);
    const inv = decodeInvoice(sign('lnbc', [...TS_WORDS, ...S, ...P, ...D, ...f19, ...f17short, ...good]));
    expect(inv.fallbackAddresses).toEqual([
      { version: 0, program: '0842108421084210842108421084210842108421' },
    ]);
  });

  it('skips route hints that are not whole hops', () => {
    const inv = decodeInvoice(
      sign('lnbc', [...TS_WORDS, ...S, ...P, ...D, ...bytesField(3, new Uint8Array(50))]),
    );
    expect(inv.routeHints).toBeUndefined();
  });

  it.each([
    ['no payment hash', [...TS_WORDS, ...S, ...D], /payment hash/],
    ['no description or hash', [...TS_WORDS, ...S, ...P], /description/],
    ['both d and h', [...TS_WORDS, ...S, ...P, ...D, ...bytesField(23, new Uint8Array(32))], /both/],
    ['x with a leading zero', [...TS_WORDS, ...S, ...P, ...D, ...field(6, [0, 1])], /leading zero/],
    ['c with a leading zero', [...TS_WORDS, ...S, ...P, ...D, ...field(24, [0, 18])], /leading zero/],
    ['9 with a leading zero', [...TS_WORDS, ...S, ...P, ...D, ...field(5, [0, 2, 16])], /leading zero/],
    [
      'x longer than 50 bits',
      [...TS_WORDS, ...S, ...P, ...D, ...field(6, new Array(11).fill(1))],
      /too large/,
    ],
    ['unknown even feature', [...TS_WORDS, ...S, ...P, ...D, ...field(5, [1, 0, 0, 0, 0])], /feature bit 20/],
    [
      'basic_mpp without payment_secret',
      [...TS_WORDS, ...S, ...P, ...D, ...field(5, [2, 0, 0, 0])],
      /basic_mpp/,
    ],
    ['field running into the signature', [...TS_WORDS, ...S, ...P, ...D, 1, 31, 31], /signature/],
    ['truncated field header', [...TS_WORDS, ...S, ...P, ...D, 1, 0], /truncated/],
    [
      'invalid UTF-8 description',
      [...TS_WORDS, ...S, ...P, ...bytesField(13, Uint8Array.of(0xff, 0xfe))],
      /UTF-8/,
    ],
  ])('refuses %s', (_name, words, message) => {
    expectRefused(() => decodeInvoice(sign('lnbc', words)), ErrorCodes.INVALID_INVOICE, message);
  });

  it('accepts unknown odd features and known required ones', () => {
    const bits = [1, 8, 14, 16, 24, 36, 48, 99, 255, 5113];
    const inv = decodeInvoice(
      sign('lnbc', [...TS_WORDS, ...S, ...P, ...D, ...field(5, featureBitsToWords(bits))]),
    );
    expect(inv.features).toEqual(bits);
  });

  it('keeps a leading byte-order mark in the description', () => {
    const inv = encodeInvoice(
      { network: 'mainnet', paymentHash: new Uint8Array(32), description: '\uFEFFhi' },
      SPEC_KEY,
    );
    expect(decodeInvoice(inv, { allowMissingPaymentSecret: true }).description).toBe('\uFEFFhi');
  });
});

describe('signature', () => {
  it('verifies against the n field instead of recovering', () => {
    const fields = {
      network: 'regtest',
      paymentHash: new Uint8Array(32),
      paymentSecret: new Uint8Array(32),
      description: 'n',
    } as const;
    const inv = encodeInvoice({ ...fields, includePayeeNodeId: true }, SPEC_KEY);
    expect(inv.length).toBeGreaterThan(encodeInvoice(fields, SPEC_KEY).length + 50);
    expect(decodeInvoice(inv).payee).toBe(SPEC_PAYEE);
  });

  it('refuses a signature by another key than the n field names', () => {
    const other = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
    const words = [...TS_WORDS, ...S, ...P, ...D, ...bytesField(19, other)];
    expectRefused(() => decodeInvoice(sign('lnbc', words)), ErrorCodes.INVALID_INVOICE, /n field/);
  });

  it('refuses a high-S signature when n is present, accepts it when recovering', () => {
    const words = [...TS_WORDS, ...S, ...P, ...D];
    const low = signatureBytes(signingHash('lnbc', words, words.length), SPEC_KEY);
    const sig = secp256k1.Signature.fromBytes(low.subarray(0, 64), 'compact');
    const order = secp256k1.Point.Fn.ORDER;
    const highS = new Uint8Array(65);
    highS.set(low.subarray(0, 32));
    highS.set(secp256k1.Point.Fn.toBytes(order - sig.s), 32);
    highS[64] = low[64]! ^ 1; // negating s flips the parity of R as seen by recovery
    expect(decodeInvoice(sign('lnbc', words, SPEC_KEY, highS)).payee).toBe(SPEC_PAYEE);
    const withN = [...words, ...bytesField(19, fromHex(SPEC_PAYEE))];
    const lowN = signatureBytes(signingHash('lnbc', withN, withN.length), SPEC_KEY);
    const sigN = secp256k1.Signature.fromBytes(lowN.subarray(0, 64), 'compact');
    const highN = lowN.slice();
    highN.set(secp256k1.Point.Fn.toBytes(order - sigN.s), 32);
    expect(decodeInvoice(sign('lnbc', withN, SPEC_KEY, lowN)).payee).toBe(SPEC_PAYEE);
    expectRefused(
      () => decodeInvoice(sign('lnbc', withN, SPEC_KEY, highN)),
      ErrorCodes.INVALID_INVOICE,
      /low-S/,
    );
  });

  it('refuses a recovery id above 3 and r or s out of range', () => {
    const words = [...TS_WORDS, ...S, ...P, ...D];
    const good = signatureBytes(signingHash('lnbc', words, words.length), SPEC_KEY);
    const badFlag = good.slice();
    badFlag[64] = 4;
    expectRefused(
      () => decodeInvoice(sign('lnbc', words, SPEC_KEY, badFlag)),
      ErrorCodes.INVALID_INVOICE,
      /recovery id/,
    );
    const zeroR = good.slice();
    zeroR.fill(0, 0, 32);
    expectRefused(
      () => decodeInvoice(sign('lnbc', words, SPEC_KEY, zeroR)),
      ErrorCodes.INVALID_INVOICE,
      /out of range/,
    );
  });

  it('recovers a different payee when a signed field is changed and the checksum redone', () => {
    const v = vectors.valid[1]!;
    const { prefix, words } = bech32.decode(v.invoice as `${string}1${string}`, false);
    const tampered = words.slice();
    tampered[10] = (tampered[10]! + 1) % 32; // inside the s field
    const inv = decodeInvoice(bech32.encode(prefix, tampered, false));
    expect(inv.payee).not.toBe(SPEC_PAYEE);
  });
});

describe('decodeInvoice arguments and limits', () => {
  it('refuses input over the cap with L402_TOO_LARGE before any work', () => {
    const v = vectors.valid[0]!;
    expectRefused(() => decodeInvoice(v.invoice, { maxLength: v.invoice.length - 1 }), ErrorCodes.TOO_LARGE);
    expect(decodeInvoice(v.invoice, { maxLength: v.invoice.length }).payee).toBe(SPEC_PAYEE);
    expectRefused(() => decodeInvoice('x'.repeat(7090)), ErrorCodes.TOO_LARGE);
    expectRefused(() => decodeInvoice('x'.repeat(7089)), ErrorCodes.INVALID_INVOICE);
  });

  it('names bad arguments', () => {
    const e1 = expectRefused(() => decodeInvoice(42 as unknown as string), ErrorCodes.INVALID_ARGUMENT);
    expect(e1.data.parameter).toBe('paymentRequest');
    const e2 = expectRefused(() => decodeInvoice('lnbc1', { maxLength: 0 }), ErrorCodes.INVALID_ARGUMENT);
    expect(e2.data.parameter).toBe('options.maxLength');
    const e3 = expectRefused(() => decodeInvoice('lnbc1', null as never), ErrorCodes.INVALID_ARGUMENT);
    expect(e3.data.parameter).toBe('options');
  });

  it.each([
    ['', /separator/],
    ['lnbc', /separator/],
    ['1qqqqqq', /separator/],
    ['lnbc1qqqq', /too short|checksum/],
    ['lnbc1qqqqqq', /checksum/],
    ['lnbc1qqqqqqb', /bech32 alphabet/],
    ['lnbc1 qqqqqq', /printable ASCII/],
    ['lnbc1\u212Aqqqqq', /printable ASCII/],
    ['LNBC1qqqqqq', /mixes/],
  ])('refuses %j', (input, message) => {
    expectRefused(() => decodeInvoice(input), ErrorCodes.INVALID_INVOICE, message);
  });
});

describe('invoiceIsExpired', () => {
  it('is true from timestamp + expiry on', () => {
    const inv = decodeInvoice(vectors.valid[1]!.invoice); // expiry 60 s
    expect(invoiceIsExpired(inv, 1496314658 + 59)).toBe(false);
    expect(invoiceIsExpired(inv, 1496314658 + 60)).toBe(true);
    expect(invoiceIsExpired({ expiresAt: 10 }, 9.5)).toBe(false);
  });

  it('names bad arguments', () => {
    expect(
      expectRefused(() => invoiceIsExpired({ expiresAt: 1 }, Number.NaN), 'INVALID_ARGUMENT').data.parameter,
    ).toBe('nowSeconds');
    expect(expectRefused(() => invoiceIsExpired(null as never, 1), 'INVALID_ARGUMENT').data.parameter).toBe(
      'invoice',
    );
  });
});

describe('encodeInvoice arguments', () => {
  const ok: EncodeInvoiceFields = {
    network: 'mainnet',
    paymentHash: new Uint8Array(32),
    paymentSecret: new Uint8Array(32),
    description: 'ok',
  };

  it.each<[string, Partial<Record<keyof EncodeInvoiceFields, unknown>>]>([
    ['fields.network', { network: 'bitcoin' }],
    ['fields.network', { network: 'toString' }],
    ['fields.amountMsat', { amountMsat: 0n }],
    ['fields.amountMsat', { amountMsat: 1000 }],
    ['fields.amountMsat', { amountMsat: 2n ** 64n }],
    ['fields.timestamp', { timestamp: 2 ** 35 }],
    ['fields.timestamp', { timestamp: 1.5 }],
    ['fields.paymentHash', { paymentHash: new Uint8Array(31) }],
    ['fields.paymentHash', { paymentHash: 'zz'.repeat(32) }],
    ['fields.paymentHash', { paymentHash: undefined }],
    ['fields.paymentSecret', { paymentSecret: '00' }],
    ['fields.description', { description: undefined }],
    ['fields.description', { descriptionHash: new Uint8Array(32) }],
    ['fields.description', { description: 'é'.repeat(320) }],
    ['fields.description', { description: '\uD800' }],
    ['fields.descriptionHash', { description: undefined, descriptionHash: new Uint8Array(31) }],
    ['fields.expirySeconds', { expirySeconds: -1 }],
    ['fields.minFinalCltvExpiry', { minFinalCltvExpiry: 2 ** 50 }],
    ['fields.features', { features: 8 }],
    ['fields.features[1]', { features: [8, 5115] }],
    ['fields.metadata', { metadata: new Uint8Array(640) }],
    ['fields.routeHints[0]', { routeHints: [[]] }],
    [
      'fields.routeHints[0][0].pubkey',
      {
        routeHints: [
          [
            {
              pubkey: '02',
              shortChannelId: '1x1x1',
              feeBaseMsat: 0,
              feeProportionalMillionths: 0,
              cltvExpiryDelta: 0,
            },
          ],
        ],
      },
    ],
    [
      'fields.routeHints[0][0].shortChannelId',
      {
        routeHints: [
          [
            {
              pubkey: new Uint8Array(33),
              shortChannelId: '16777216x1x1',
              feeBaseMsat: 0,
              feeProportionalMillionths: 0,
              cltvExpiryDelta: 0,
            },
          ],
        ],
      },
    ],
    [
      'fields.routeHints[0][0].cltvExpiryDelta',
      {
        routeHints: [
          [
            {
              pubkey: new Uint8Array(33),
              shortChannelId: 5n,
              feeBaseMsat: 0,
              feeProportionalMillionths: 0,
              cltvExpiryDelta: 65536,
            },
          ],
        ],
      },
    ],
    [
      'fields.fallbackAddresses[0].version',
      { fallbackAddresses: [{ version: 19, program: new Uint8Array(20) }] },
    ],
    [
      'fields.fallbackAddresses[0].program',
      { fallbackAddresses: [{ version: 0, program: new Uint8Array(21) }] },
    ],
    ['fields.includePayeeNodeId', { includePayeeNodeId: 'yes' }],
  ])('names %s', (parameter, change) => {
    const err = expectRefused(
      () => encodeInvoice({ ...ok, ...change } as EncodeInvoiceFields, SPEC_KEY),
      ErrorCodes.INVALID_ARGUMENT,
    );
    expect(err.data.parameter).toBe(parameter);
  });

  it('names a bad private key', () => {
    for (const key of [new Uint8Array(32), new Uint8Array(31), 'e126' as unknown as Uint8Array]) {
      expect(expectRefused(() => encodeInvoice(ok, key), 'INVALID_ARGUMENT').data.parameter).toBe(
        'privateKey',
      );
    }
  });

  it('accepts the u64 form of a short channel id', () => {
    const scid = (589390n << 40n) | (3312n << 16n) | 1n;
    const hop = {
      pubkey: new Uint8Array(33).fill(2),
      shortChannelId: scid,
      feeBaseMsat: 1,
      feeProportionalMillionths: 2,
      cltvExpiryDelta: 3,
    };
    const inv = decodeInvoice(encodeInvoice({ ...ok, routeHints: [[hop]] }, SPEC_KEY));
    expect(inv.routeHints?.[0]?.[0]?.shortChannelId).toBe('589390x3312x1');
  });
});

describe('round trip (property)', () => {
  const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const key = hex32.filter((k) => secp256k1.utils.isValidSecretKey(k));
  const features = fc
    .uniqueArray(
      fc.oneof(
        fc.constantFrom(8, 14, 16, 24, 36, 48),
        fc.integer({ min: 0, max: 600 }).map((n) => 2 * n + 1),
      ),
      {
        maxLength: 8,
      },
    )
    .map((bits) => (bits.includes(16) || bits.includes(17) ? [...new Set([...bits, 14])] : bits));
  const hop = fc.record({
    pubkey: fc.uint8Array({ minLength: 33, maxLength: 33 }),
    block: fc.integer({ min: 0, max: 0xffffff }),
    tx: fc.integer({ min: 0, max: 0xffffff }),
    output: fc.integer({ min: 0, max: 0xffff }),
    feeBaseMsat: fc.integer({ min: 0, max: 0xffffffff }),
    feeProportionalMillionths: fc.integer({ min: 0, max: 0xffffffff }),
    cltvExpiryDelta: fc.integer({ min: 0, max: 0xffff }),
  });
  const fallback = fc.oneof(
    fc.record({ version: fc.constantFrom(17, 18), program: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
    fc.record({
      version: fc.constant(0),
      program: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), hex32),
    }),
    fc.record({
      version: fc.integer({ min: 1, max: 16 }),
      program: fc.uint8Array({ minLength: 2, maxLength: 40 }),
    }),
  );
  const fieldsArb = fc.record(
    {
      network: fc.constantFrom<Network>('mainnet', 'testnet', 'signet', 'regtest'),
      amountMsat: fc.bigInt({ min: 1n, max: 0xffff_ffff_ffff_ffffn }),
      timestamp: fc.integer({ min: 0, max: 2 ** 35 - 1 }),
      paymentHash: hex32,
      paymentSecret: hex32,
      description: fc.string({ unit: 'binary', maxLength: 150 }),
      descriptionHash: hex32,
      expirySeconds: fc.integer({ min: 0, max: 2 ** 50 - 1 }),
      minFinalCltvExpiry: fc.integer({ min: 0, max: 2 ** 50 - 1 }),
      features,
      metadata: fc.uint8Array({ maxLength: 639 }),
      routeHints: fc.array(fc.array(hop, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
      fallbackAddresses: fc.array(fallback, { maxLength: 3 }),
      includePayeeNodeId: fc.boolean(),
      useHash: fc.boolean(),
    },
    { requiredKeys: ['network', 'paymentHash', 'description', 'descriptionHash', 'useHash'] },
  );

  it('decode(encode(fields)) gives the fields back', () => {
    fc.assert(
      fc.property(fieldsArb, key, (f, k) => {
        if (utf8(f.description).length > 639) return;
        const { useHash, description, descriptionHash, routeHints, ...rest } = f;
        const input: EncodeInvoiceFields = {
          // A fixed timestamp: encoding twice must give the same invoice even across a second.
          timestamp: 1_700_000_000,
          ...rest,
          ...(useHash ? { descriptionHash } : { description }),
          ...(routeHints === undefined
            ? {}
            : {
                routeHints: routeHints.map((r) =>
                  r.map((h) => ({ ...h, shortChannelId: `${h.block}x${h.tx}x${h.output}` })),
                ),
              }),
        };
        const invoice = encodeInvoice(input, k);
        const d = decodeInvoice(invoice, { allowMissingPaymentSecret: true, maxLength: 100_000 });
        expect(d.paymentRequest).toBe(invoice);
        expect(d.network).toBe(f.network);
        expect(d.amountMsat).toBe(f.amountMsat);
        if (f.timestamp !== undefined) expect(d.timestamp).toBe(f.timestamp);
        expect(d.paymentHash).toBe(toHex(f.paymentHash));
        expect(d.paymentSecret).toBe(f.paymentSecret && toHex(f.paymentSecret));
        expect(d.description).toBe(useHash ? undefined : description);
        expect(d.descriptionHash).toBe(useHash ? toHex(descriptionHash) : undefined);
        expect(d.expirySeconds).toBe(f.expirySeconds ?? 3600);
        expect(d.expiresAt).toBe(d.timestamp + d.expirySeconds);
        expect(d.minFinalCltvExpiry).toBe(f.minFinalCltvExpiry ?? 18);
        expect(d.features).toEqual(f.features?.length ? [...f.features].sort((a, b) => a - b) : undefined);
        expect(d.metadata).toBe(f.metadata && toHex(f.metadata));
        expect(d.payee).toBe(toHex(secp256k1.getPublicKey(k, true)));
        expect(d.unknownTags).toEqual([]);
        expect(d.fallbackAddresses).toEqual(
          f.fallbackAddresses?.length
            ? f.fallbackAddresses.map((a) => ({ version: a.version, program: toHex(a.program) }))
            : undefined,
        );
        expect(d.routeHints).toEqual(
          routeHints?.length
            ? routeHints.map((r) =>
                r.map((h) => ({
                  pubkey: toHex(h.pubkey),
                  shortChannelId: `${h.block}x${h.tx}x${h.output}`,
                  feeBaseMsat: h.feeBaseMsat,
                  feeProportionalMillionths: h.feeProportionalMillionths,
                  cltvExpiryDelta: h.cltvExpiryDelta,
                })),
              )
            : undefined,
        );
        // Deterministic signing: the same fields and key give the same invoice.
        expect(encodeInvoice(input, k)).toBe(invoice);
      }),
      { numRuns: 150 },
    );
  });
});
