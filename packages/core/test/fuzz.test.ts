/**
 * Bounded fuzzing of the parsers that read untrusted input: every input either parses or
 * raises a FareboxError; nothing else escapes, nothing hangs. 100,000 inputs per parser,
 * mixing random text with mutations of valid headers and macaroons.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildChallenges,
  buildCredential,
  createMacaroon,
  decodeMacaroon,
  encodeMacaroonV1,
  encodeMacaroonV2,
  FareboxError,
  macaroonToJSON,
  parseChallenges,
  parseCredential,
  parseMacaroon,
  randomBytes,
} from '../src/index.js';

const RUNS = 100_000;
const mac = createMacaroon({
  rootKey: randomBytes(32),
  identifier: randomBytes(66),
  location: 'farebox',
  caveats: ['services=a:0', 'a_valid_until=2000000000', 'farebox_uses=1'],
});
const seeds = [
  ...buildChallenges({ macaroon: mac, invoice: 'lnbcrt10u1pexample' }),
  buildCredential({ macaroon: mac, preimage: randomBytes(32) }),
  `L402 macaroon="${'x'.repeat(10)}", preimage="${'ab'.repeat(32)}"`,
  `LSAT ${'ab'.repeat(32)}`,
  'Bearer realm="x", Basic abc==',
];

/** Applies random edits (insert, delete, replace, duplicate a slice) to a seed string. */
const mutatedString = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 4, unit: 'binary' })), {
      maxLength: 6,
    }),
  )
  .map(([seed, edits]) => {
    let s = seed;
    for (const [pos, kind, text] of edits) {
      const at = s.length === 0 ? 0 : pos % s.length;
      if (kind === 0) s = s.slice(0, at) + text + s.slice(at);
      else if (kind === 1) s = s.slice(0, at) + s.slice(at + 1 + (pos % 5));
      else if (kind === 2) s = s.slice(0, at) + text + s.slice(at + text.length);
      else s = s.slice(0, at) + s.slice(at, at + 20) + s.slice(at);
    }
    return s;
  });

const headerInput = fc.oneof(
  { weight: 3, arbitrary: mutatedString },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.constantFrom(
          'L402',
          'LSAT',
          ' ',
          ',',
          '=',
          '"',
          '\\',
          'macaroon',
          'invoice',
          'token',
          ':',
          'ab',
          'AgE',
        ),
        {
          maxLength: 40,
        },
      )
      .map((a) => a.join('')),
  },
);

function onlyTyped(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof FareboxError) return true;
    throw e;
  }
}

describe('fuzz', () => {
  it(`header parsers: ${RUNS} inputs parse or raise FareboxError`, () => {
    fc.assert(
      fc.property(
        headerInput,
        (s) => onlyTyped(() => parseChallenges(s)) && onlyTyped(() => parseCredential(s)),
      ),
      { numRuns: RUNS },
    );
  });

  const v2 = encodeMacaroonV2(mac);
  const v1 = encodeMacaroonV1(mac);
  const json = new TextEncoder().encode(JSON.stringify(macaroonToJSON(mac)));
  const mutatedBytes = fc
    .tuple(
      fc.constantFrom(v2, v1, json),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
    )
    .map(([seed, edits]) => {
      let b = Array.from(seed);
      for (const [pos, kind, byte] of edits) {
        const at = b.length === 0 ? 0 : pos % b.length;
        if (kind === 0) b[at] = byte;
        else if (kind === 1) b.splice(at, 1 + (pos % 7));
        else if (kind === 2) b.splice(at, 0, byte);
        else b = b.slice(0, at);
      }
      return new Uint8Array(b);
    });

  it(`macaroon decoder: ${RUNS} inputs decode or raise FareboxError`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 4, arbitrary: mutatedBytes },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
        ),
        (bytes) => onlyTyped(() => decodeMacaroon(bytes)),
      ),
      { numRuns: RUNS },
    );
  });

  it('macaroon text parser: random and mutated text', () => {
    fc.assert(
      fc.property(headerInput, (s) => onlyTyped(() => parseMacaroon(s))),
      { numRuns: 20_000 },
    );
  });

  it('pathological inputs at the size cap (runs of commas, quotes, schemes, escapes) finish', () => {
    // The parsers make one pass with no backtracking beyond a word; these inputs would hang
    // a quadratic parser for minutes at 16 KB (the test's timeout is the bound).
    for (const unit of [',', ' ,', '"a",', 'L402 ', 'a=b, ', '\\']) {
      const s = unit.repeat(Math.floor(16_000 / unit.length));
      expect(onlyTyped(() => parseChallenges(s))).toBe(true);
      expect(onlyTyped(() => parseCredential(s))).toBe(true);
    }
  });
});
