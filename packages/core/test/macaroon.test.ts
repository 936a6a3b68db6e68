import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as macaroonJs from 'macaroon';
import { describe, expect, it } from 'vitest';
import {
  addCaveats,
  computeSignature,
  createMacaroon,
  decodeMacaroon,
  decodeMacaroonV1,
  decodeMacaroonV2,
  decodeMacaroonV2Slice,
  encodeMacaroonV1,
  encodeMacaroonV2,
  fromBase64,
  fromHex,
  isFareboxError,
  macaroonFromJSON,
  macaroonToBase64,
  macaroonToJSON,
  macaroonToJSONV1,
  parseMacaroon,
  signatureMatches,
  toBase64,
  toHex,
  utf8,
} from '../src/index.js';

interface Vector {
  name: string;
  rootKey: string;
  identifier: string;
  location: string;
  caveats: string[];
  json: Record<string, unknown>;
  v2?: string;
  /** The same macaroon in the package's V1 JSON form (text identifiers only). */
  jsonV1?: Record<string, unknown>;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('./vectors/macaroons.json', import.meta.url), 'utf8'),
);

describe('compatibility with go-macaroon (vectors from the `macaroon` package)', () => {
  it.each(vectors.map((v) => [v.name, v] as const))('%s: same signature and bytes', (_name, v) => {
    const m = createMacaroon({
      rootKey: fromHex(v.rootKey),
      identifier: fromHex(v.identifier),
      location: v.location,
      caveats: v.caveats,
    });
    expect(toBase64(m.signature, true)).toBe(v.json.s64);
    if (v.v2) expect(toHex(encodeMacaroonV2(m))).toBe(v.v2);
    // Their JSON decodes to our macaroon, and ours encodes to theirs.
    const fromTheirs = macaroonFromJSON(v.json);
    expect(toHex(encodeMacaroonV2(fromTheirs))).toBe(toHex(encodeMacaroonV2(m)));
    const ours = macaroonToJSON(m);
    const { v: _version, ...theirs } = v.json;
    expect(ours).toEqual(theirs);
    expect(signatureMatches(fromTheirs, fromHex(v.rootKey))).toBe(true);
  });

  const withV1 = vectors.filter((v) => v.jsonV1);
  it('there are V1 JSON vectors', () => expect(withV1.length).toBeGreaterThanOrEqual(3));
  it.each(withV1.map((v) => [v.name, v] as const))('%s: their V1 JSON decodes and verifies', (_name, v) => {
    const m = macaroonFromJSON(v.jsonV1!);
    expect(toHex(m.identifier)).toBe(v.identifier);
    expect(m.location ?? '').toBe(v.location);
    expect(m.caveats.map((c) => new TextDecoder().decode(c.id))).toEqual(v.caveats);
    expect(toBase64(m.signature, true)).toBe(v.json.s64);
    expect(signatureMatches(m, fromHex(v.rootKey))).toBe(true);
    expect(
      signatureMatches(
        m,
        fromHex(v.rootKey).map((b) => b ^ 1),
      ),
    ).toBe(false);
    // Ours in the V1 JSON form carries the same fields (it writes empty ones theirs omits).
    const ours = macaroonToJSONV1(m);
    for (const [k, val] of Object.entries(v.jsonV1!)) expect(ours[k]).toEqual(val);
    expect(toHex(encodeMacaroonV2(macaroonFromJSON(ours)))).toBe(toHex(encodeMacaroonV2(m)));
  });

  it.each(vectors.map((v) => [v.name, v] as const))(
    '%s: the other implementation reads and verifies our bytes',
    (_n, v) => {
      const m = createMacaroon({
        rootKey: fromHex(v.rootKey),
        identifier: fromHex(v.identifier),
        location: v.location,
        caveats: v.caveats,
      });
      const theirs = macaroonJs.importMacaroon(encodeMacaroonV2(m));
      const seen: string[] = [];
      theirs.verify(fromHex(v.rootKey), (c: string) => {
        seen.push(c);
        return null;
      });
      expect(seen).toEqual(v.caveats);
      expect(() =>
        theirs.verify(
          fromHex(v.rootKey).map((b) => b ^ 1),
          () => null,
        ),
      ).toThrow();
    },
  );

  it('libmacaroons README vectors (root key used through the key generator)', () => {
    const rootKey = utf8('this is our super secret key; only we should know it');
    const id = utf8('we used our secret key');
    expect(toHex(computeSignature(rootKey, id, []))).toBe(
      'e3d9e02908526c4c0039ae15114115d97fdd68bf2ba379b342aaf0f617d0552f',
    );
    expect(toHex(computeSignature(rootKey, id, [{ id: utf8('account = 3735928559') }]))).toBe(
      '1efe4763f290dbce0c1d08477367e11f4eee456a64933cf662d79772dbb82128',
    );
  });
});

describe('encodings', () => {
  const rootKey = fromHex('11'.repeat(32));
  const base = createMacaroon({
    rootKey,
    identifier: new Uint8Array(66).fill(3),
    location: 'farebox',
    caveats: ['services=music:0', 'music_valid_until=2000000000'],
  });

  it('V2 binary round-trips', () => {
    const bytes = encodeMacaroonV2(base);
    const back = decodeMacaroonV2(bytes);
    expect(toHex(encodeMacaroonV2(back))).toBe(toHex(bytes));
    expect(signatureMatches(back, rootKey)).toBe(true);
  });

  it('V1 round-trips, and decodes to the same macaroon', () => {
    const v1 = encodeMacaroonV1(base);
    expect(new TextDecoder().decode(v1.subarray(0, 4))).toMatch(/^[0-9a-f]{4}$/);
    const back = decodeMacaroonV1(v1);
    expect(toHex(encodeMacaroonV2(back))).toBe(toHex(encodeMacaroonV2(base)));
    expect(toHex(encodeMacaroonV2(decodeMacaroon(v1)))).toBe(toHex(encodeMacaroonV2(base)));
  });

  it('V1 JSON (text identifier) round-trips', () => {
    const m = createMacaroon({ rootKey, identifier: utf8('text-id'), location: 'x', caveats: ['a=1'] });
    const j = macaroonToJSONV1(m);
    expect(j).toMatchObject({ identifier: 'text-id', location: 'x', caveats: [{ cid: 'a=1' }] });
    expect(signatureMatches(macaroonFromJSON(JSON.stringify(j)), rootKey)).toBe(true);
  });

  it('parses base64 (std, url, padded or not), hex and JSON text', () => {
    const bytes = encodeMacaroonV2(base);
    const expected = toHex(bytes);
    for (const text of [
      toBase64(bytes),
      toBase64(bytes, true),
      toBase64(bytes).replace(/=+$/, ''),
      toHex(bytes),
      JSON.stringify(macaroonToJSON(base)),
    ]) {
      expect(toHex(encodeMacaroonV2(parseMacaroon(text)))).toBe(expected);
    }
    expect(macaroonToBase64(base)).toBe(toBase64(bytes));
  });

  it('decodes a concatenation of macaroons', () => {
    const other = createMacaroon({ rootKey, identifier: utf8('b') });
    const both = new Uint8Array([...encodeMacaroonV2(base), ...encodeMacaroonV2(other)]);
    expect(decodeMacaroonV2Slice(both).map((m) => toHex(m.identifier))).toEqual([
      toHex(base.identifier),
      toHex(utf8('b')),
    ]);
  });

  it('attenuation needs no key and stays verifiable', () => {
    const narrower = addCaveats(base, ['music_valid_until=1900000000']);
    expect(narrower.caveats).toHaveLength(3);
    expect(signatureMatches(narrower, rootKey)).toBe(true);
    expect(signatureMatches(base, rootKey)).toBe(true);
  });

  it('round-trips random macaroons in every encoding (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.string({ maxLength: 20 }),
        fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 8 }),
        (identifier, location, caveats) => {
          const m = createMacaroon({ rootKey, identifier, location, caveats });
          const v2 = encodeMacaroonV2(m);
          const hex = toHex(v2);
          return (
            toHex(encodeMacaroonV2(decodeMacaroonV2(v2))) === hex &&
            toHex(encodeMacaroonV2(decodeMacaroonV1(encodeMacaroonV1(m)))) === hex &&
            toHex(encodeMacaroonV2(macaroonFromJSON(JSON.stringify(macaroonToJSON(m))))) === hex
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('malformed macaroons fail with a typed error', () => {
  const good = encodeMacaroonV2(
    createMacaroon({ rootKey: new Uint8Array(32), identifier: utf8('id'), caveats: ['a=b'] }),
  );
  it.each([
    ['empty', new Uint8Array(0)],
    ['version only', new Uint8Array([2])],
    ['truncated', good.subarray(0, good.length - 5)],
    ['trailing byte', new Uint8Array([...good, 0])],
    ['unknown first byte', new Uint8Array([9, 9, 9])],
    ['huge length varint', new Uint8Array([2, 2, 0xff, 0xff, 0xff, 0xff, 0x0f])],
  ])('%s', (_n, bytes) => {
    try {
      decodeMacaroon(bytes);
      expect.unreachable();
    } catch (e) {
      expect(isFareboxError(e)).toBe(true);
    }
  });

  it('refuses oversized input before parsing', () => {
    const big = new Uint8Array(100_000);
    big[0] = 2;
    expect(() => decodeMacaroon(big)).toThrow(expect.objectContaining({ code: 'L402_TOO_LARGE' }));
    expect(() => parseMacaroon('A'.repeat(1_000_000))).toThrow(
      expect.objectContaining({ code: 'L402_TOO_LARGE' }),
    );
  });

  it('rejects a signature of the wrong length', () => {
    const m = decodeMacaroonV2(good);
    const bad = { ...m, signature: m.signature.subarray(0, 31) };
    expect(() => decodeMacaroonV2(encodeMacaroonV2(bad))).toThrow(
      expect.objectContaining({ code: 'L402_MALFORMED_MACAROON' }),
    );
    expect(fromBase64(toBase64(good))).toEqual(good);
  });
});

describe('macaroons written by a real lnd (V2 binary from go-macaroon)', () => {
  const lnd: { name: string; hex: string }[] = JSON.parse(
    readFileSync(new URL('./vectors/lnd-macaroons.json', import.meta.url), 'utf8'),
  );
  it.each(lnd.map((v) => [v.name, v] as const))('%s decodes and re-encodes byte for byte', (_n, v) => {
    const m = decodeMacaroon(fromHex(v.hex));
    expect(toHex(encodeMacaroonV2(m))).toBe(v.hex);
    expect(m.signature).toHaveLength(32);
    expect(parseMacaroon(v.hex).identifier).toEqual(m.identifier);
  });
});
