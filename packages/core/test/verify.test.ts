import { describe, expect, it } from 'vitest';
import {
  addCaveats,
  buildCredential,
  CAVEAT_REQUEST,
  createMacaroon,
  decodeIdentifier,
  encodeIdentifier,
  encodeMacaroonV2,
  fromHex,
  Keyring,
  type Macaroon,
  macaroonToBase64,
  mintToken,
  parseCredential,
  randomBytes,
  requestBinding,
  sha256,
  toHex,
  verifyToken,
} from '../src/index.js';

const secret = fromHex('42'.repeat(32));
const keyring = Keyring.fromSecret(secret, 'k1');
const now = 1_800_000_000;

function paid(caveats: string[] = ['services=music:0']) {
  const preimage = randomBytes(32);
  const minted = mintToken({ keyring, paymentHash: sha256(preimage), caveats });
  return { preimage, ...minted };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code ?? 'NOT_A_FAREBOX_ERROR';
  }
}

describe('identifier', () => {
  it('is 66 bytes: version 0 | payment hash | token id', () => {
    const paymentHash = randomBytes(32);
    const tokenId = randomBytes(32);
    const id = encodeIdentifier({ version: 0, paymentHash, tokenId });
    expect(id).toHaveLength(66);
    expect(toHex(id.subarray(0, 2))).toBe('0000');
    expect(decodeIdentifier(id)).toEqual({ version: 0, paymentHash, tokenId });
  });

  it('refuses unknown versions and wrong lengths with clear codes', () => {
    const id = encodeIdentifier({ version: 0, paymentHash: randomBytes(32), tokenId: randomBytes(32) });
    id[1] = 1;
    expect(codeOf(() => decodeIdentifier(id))).toBe('L402_UNKNOWN_VERSION');
    expect(codeOf(() => decodeIdentifier(new Uint8Array(65)))).toBe('L402_MALFORMED_IDENTIFIER');
    expect(codeOf(() => decodeIdentifier(new Uint8Array(1)))).toBe('L402_MALFORMED_IDENTIFIER');
  });
});

describe('mint and verify', () => {
  it('verifies a paid token and reports what it grants', () => {
    const t = paid([
      'services=music:0',
      'music_capabilities=generate',
      'music_valid_until=1900000000',
      'farebox_uses=1',
    ]);
    const v = verifyToken({
      keyring,
      macaroon: t.macaroon,
      preimage: t.preimage,
      context: { service: 'music', capability: 'generate', now },
    });
    expect(v.tokenId).toBe(toHex(t.tokenId));
    expect(v.paymentHash).toBe(toHex(t.paymentHash));
    expect(v.grant).toEqual({
      services: [{ name: 'music', tier: 0 }],
      capabilities: ['generate'],
      validUntil: 1_900_000_000,
      maxUses: 1,
    });
  });

  it('the token survives the wire: header built, parsed, verified', () => {
    const t = paid();
    const cred = parseCredential(buildCredential({ macaroon: t.macaroon, preimage: t.preimage }));
    if (cred?.kind !== 'token') throw new Error('expected a token credential');
    const v = verifyToken({
      keyring,
      macaroon: cred.macaroons[0]!,
      preimage: cred.preimage,
      context: { now },
    });
    expect(v.tokenId).toBe(toHex(t.tokenId));
  });

  it('a wrong preimage fails', () => {
    const t = paid();
    expect(
      codeOf(() =>
        verifyToken({ keyring, macaroon: t.macaroon, preimage: randomBytes(32), context: { now } }),
      ),
    ).toBe('L402_WRONG_PREIMAGE');
  });

  it('a self-made token (attacker picks own root key) fails', () => {
    const preimage = randomBytes(32);
    // The attacker knows the format and keyring id prefix, but not the secret.
    const tokenId = keyring.newTokenId();
    const forged = createMacaroon({
      rootKey: randomBytes(32),
      identifier: encodeIdentifier({ version: 0, paymentHash: sha256(preimage), tokenId }),
      caveats: ['services=music:0'],
    });
    expect(codeOf(() => verifyToken({ keyring, macaroon: forged, preimage, context: { now } }))).toBe(
      'L402_BAD_SIGNATURE',
    );
  });

  it('a token from another server (other secret) fails', () => {
    const other = Keyring.fromSecret(randomBytes(32), 'k1');
    const preimage = randomBytes(32);
    const { macaroon } = mintToken({ keyring: other, paymentHash: sha256(preimage) });
    expect(codeOf(() => verifyToken({ keyring, macaroon, preimage, context: { now } }))).toBe(
      'L402_BAD_SIGNATURE',
    );
    const unknownKey = Keyring.fromSecret(randomBytes(32), 'other-id');
    const t2 = mintToken({ keyring: unknownKey, paymentHash: sha256(preimage) });
    expect(codeOf(() => verifyToken({ keyring, macaroon: t2.macaroon, preimage, context: { now } }))).toBe(
      'L402_UNKNOWN_KEY',
    );
  });

  it('tampering with any part fails', () => {
    const t = paid(['services=music:0', 'music_valid_until=1900000000']);
    const m = t.macaroon;
    const tampered: Macaroon[] = [
      { ...m, caveats: m.caveats.slice(1) }, // caveat removed
      { ...m, caveats: [{ id: new TextEncoder().encode('services=video:0') }, m.caveats[1]!] }, // caveat changed
      {
        ...m,
        identifier: encodeIdentifier({
          version: 0,
          paymentHash: sha256(t.preimage),
          tokenId: randomBytes(32),
        }),
      },
      { ...m, signature: m.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) },
    ];
    for (const bad of tampered) {
      const code = codeOf(() =>
        verifyToken({ keyring, macaroon: bad, preimage: t.preimage, context: { now } }),
      );
      expect(['L402_BAD_SIGNATURE', 'L402_UNKNOWN_KEY']).toContain(code);
    }
  });

  it('swapping the payment hash for one the attacker paid fails', () => {
    const t = paid();
    const myPreimage = randomBytes(32);
    const id = encodeIdentifier({ version: 0, paymentHash: sha256(myPreimage), tokenId: t.tokenId });
    const code = codeOf(() =>
      verifyToken({
        keyring,
        macaroon: { ...t.macaroon, identifier: id },
        preimage: myPreimage,
        context: { now },
      }),
    );
    expect(code).toBe('L402_BAD_SIGNATURE');
  });

  it('expired tokens fail', () => {
    const t = paid(['services=music:0', 'music_valid_until=1700000000']);
    expect(
      codeOf(() =>
        verifyToken({
          keyring,
          macaroon: t.macaroon,
          preimage: t.preimage,
          context: { service: 'music', now },
        }),
      ),
    ).toBe('L402_EXPIRED');
    const t2 = paid(['farebox_valid_until=1700000000']);
    expect(
      codeOf(() => verifyToken({ keyring, macaroon: t2.macaroon, preimage: t2.preimage, context: { now } })),
    ).toBe('L402_EXPIRED');
  });

  it('a token for another service fails', () => {
    const t = paid(['services=music:0']);
    expect(
      codeOf(() =>
        verifyToken({
          keyring,
          macaroon: t.macaroon,
          preimage: t.preimage,
          context: { service: 'video', now },
        }),
      ),
    ).toBe('L402_WRONG_SERVICE');
  });

  it('a missing capability fails', () => {
    const t = paid(['services=music:0', 'music_capabilities=read']);
    expect(
      codeOf(() =>
        verifyToken({
          keyring,
          macaroon: t.macaroon,
          preimage: t.preimage,
          context: { service: 'music', capability: 'write', now },
        }),
      ),
    ).toBe('L402_CAVEAT_FAILED');
  });

  it('capabilities and farebox_valid_until may narrow, never widen', () => {
    const t = paid([
      'services=music:0',
      'music_capabilities=read,write',
      `farebox_valid_until=${now + 3600}`,
    ]);
    const verify = (mac: typeof t.macaroon, capability?: string) =>
      verifyToken({
        keyring,
        macaroon: mac,
        preimage: t.preimage,
        context: { service: 'music', now, ...(capability ? { capability } : {}) },
      });
    // Narrowed to read: read passes, write no longer does.
    const readOnly = addCaveats(t.macaroon, ['music_capabilities=read']);
    expect(verify(readOnly, 'read').grant.capabilities).toEqual(['read']);
    expect(codeOf(() => verify(readOnly, 'write'))).toBe('L402_CAVEAT_FAILED');
    // Adding a capability, or re-adding one after narrowing, widens.
    expect(codeOf(() => verify(addCaveats(t.macaroon, ['music_capabilities=read,write,admin'])))).toBe(
      'L402_CAVEAT_WIDENED',
    );
    expect(codeOf(() => verify(addCaveats(readOnly, ['music_capabilities=read,write'])))).toBe(
      'L402_CAVEAT_WIDENED',
    );
    // An earlier farebox_valid_until narrows; a later one widens; the earliest holds.
    const sooner = addCaveats(t.macaroon, [`farebox_valid_until=${now + 60}`]);
    expect(verify(sooner).grant.validUntil).toBe(now + 60);
    expect(codeOf(() => verify(addCaveats(t.macaroon, [`farebox_valid_until=${now + 7200}`])))).toBe(
      'L402_CAVEAT_WIDENED',
    );
    const lapsed = addCaveats(t.macaroon, [`farebox_valid_until=${now - 1}`]);
    expect(codeOf(() => verify(lapsed))).toBe('L402_EXPIRED');
  });

  it('client-appended caveats may narrow, never widen', () => {
    const t = paid(['services=music:0,video:0', 'music_valid_until=1900000000']);
    const narrowed = addCaveats(t.macaroon, ['services=music:0', 'music_valid_until=1850000000']);
    const v = verifyToken({
      keyring,
      macaroon: narrowed,
      preimage: t.preimage,
      context: { service: 'music', now },
    });
    expect(v.grant.validUntil).toBe(1_850_000_000);
    expect(v.grant.services).toEqual([{ name: 'music', tier: 0 }]);
    for (const widen of [
      ['services=music:0,admin:0'],
      ['music_valid_until=2000000000'],
      ['services=admin:0'],
    ]) {
      const w = addCaveats(t.macaroon, widen);
      expect(
        codeOf(() =>
          verifyToken({ keyring, macaroon: w, preimage: t.preimage, context: { service: 'music', now } }),
        ),
      ).toBe('L402_CAVEAT_WIDENED');
    }
    const narrowedToVideo = addCaveats(t.macaroon, ['services=video:0']);
    expect(
      codeOf(() =>
        verifyToken({
          keyring,
          macaroon: narrowedToVideo,
          preimage: t.preimage,
          context: { service: 'music', now },
        }),
      ),
    ).toBe('L402_WRONG_SERVICE');
    const five = paid(['farebox_uses=5']);
    const usesUp = addCaveats(five.macaroon, ['farebox_uses=6']);
    expect(
      codeOf(() => verifyToken({ keyring, macaroon: usesUp, preimage: five.preimage, context: { now } })),
    ).toBe('L402_CAVEAT_WIDENED');
    const usesDown = addCaveats(five.macaroon, ['farebox_uses=2']);
    expect(
      verifyToken({ keyring, macaroon: usesDown, preimage: five.preimage, context: { now } }).grant.maxUses,
    ).toBe(2);
  });

  it('accepts a preimage= caveat appended by lnget when it matches, refuses it otherwise', () => {
    const t = paid();
    const ok = addCaveats(t.macaroon, [`preimage=${toHex(t.preimage)}`]);
    expect(
      verifyToken({ keyring, macaroon: ok, preimage: t.preimage, context: { now, strict: true } }).tokenId,
    ).toBe(toHex(t.tokenId));
    const bad = addCaveats(t.macaroon, [`preimage=${'00'.repeat(32)}`]);
    expect(
      codeOf(() => verifyToken({ keyring, macaroon: bad, preimage: t.preimage, context: { now } })),
    ).toBe('L402_CAVEAT_FAILED');
  });

  it('unknown caveats are skipped, or refused in strict mode', () => {
    const t = paid(['services=music:0', 'colour=blue']);
    expect(() =>
      verifyToken({ keyring, macaroon: t.macaroon, preimage: t.preimage, context: { now } }),
    ).not.toThrow();
    expect(
      codeOf(() =>
        verifyToken({ keyring, macaroon: t.macaroon, preimage: t.preimage, context: { now, strict: true } }),
      ),
    ).toBe('L402_UNKNOWN_CAVEAT');
  });

  it('custom satisfiers are enforced', () => {
    const t = paid(['tier=gold']);
    const satisfiers = [{ condition: 'tier', final: (c: { value: string }) => c.value === 'gold' }];
    expect(() =>
      verifyToken({
        keyring,
        macaroon: t.macaroon,
        preimage: t.preimage,
        context: { now, strict: true },
        satisfiers,
      }),
    ).not.toThrow();
    const t2 = paid(['tier=silver']);
    expect(
      codeOf(() =>
        verifyToken({ keyring, macaroon: t2.macaroon, preimage: t2.preimage, context: { now }, satisfiers }),
      ),
    ).toBe('L402_CAVEAT_FAILED');
  });

  it('request binding: the identical request passes, any other fails', () => {
    const req = {
      method: 'POST',
      path: '/api/l402/music',
      query: 'b=2&a=1',
      body: new TextEncoder().encode('{"x":1}'),
    };
    const t = paid([`${CAVEAT_REQUEST}=${requestBinding(req)}`]);
    const ctx = (r: typeof req) => ({ now, requestHash: requestBinding(r) });
    expect(() =>
      verifyToken({ keyring, macaroon: t.macaroon, preimage: t.preimage, context: ctx(req) }),
    ).not.toThrow();
    // Query order does not matter.
    expect(() =>
      verifyToken({
        keyring,
        macaroon: t.macaroon,
        preimage: t.preimage,
        context: ctx({ ...req, query: 'a=1&b=2' }),
      }),
    ).not.toThrow();
    for (const other of [
      { ...req, method: 'PUT' },
      { ...req, path: '/api/l402/3d-model' },
      { ...req, query: 'a=1&b=3' },
      { ...req, body: new TextEncoder().encode('{"x":2}') },
    ]) {
      expect(
        codeOf(() =>
          verifyToken({ keyring, macaroon: t.macaroon, preimage: t.preimage, context: ctx(other) }),
        ),
      ).toBe('L402_REQUEST_MISMATCH');
    }
    expect(
      codeOf(() => verifyToken({ keyring, macaroon: t.macaroon, preimage: t.preimage, context: { now } })),
    ).toBe('L402_CAVEAT_FAILED');
  });

  it('revocation hook', () => {
    const t = paid();
    expect(
      codeOf(() =>
        verifyToken({
          keyring,
          macaroon: t.macaroon,
          preimage: t.preimage,
          context: { now },
          isRevoked: () => true,
        }),
      ),
    ).toBe('L402_REVOKED');
  });

  it('key rotation: old tokens verify while the old secret is kept, new tokens use the new one', () => {
    const oldSecret = { id: 'old', secret: randomBytes(32) };
    const newSecret = { id: 'new', secret: randomBytes(32) };
    const before = new Keyring([oldSecret]);
    const preimage = randomBytes(32);
    const t = mintToken({ keyring: before, paymentHash: sha256(preimage) });
    const rotated = new Keyring([newSecret, oldSecret]);
    expect(rotated.currentId).toBe('new');
    expect(verifyToken({ keyring: rotated, macaroon: t.macaroon, preimage, context: { now } }).tokenId).toBe(
      toHex(t.tokenId),
    );
    const dropped = new Keyring([newSecret]);
    expect(
      codeOf(() => verifyToken({ keyring: dropped, macaroon: t.macaroon, preimage, context: { now } })),
    ).toBe('L402_UNKNOWN_KEY');
    const t2 = mintToken({ keyring: rotated, paymentHash: sha256(preimage) });
    expect(verifyToken({ keyring: dropped, macaroon: t2.macaroon, preimage, context: { now } }).tokenId).toBe(
      toHex(t2.tokenId),
    );
    expect(() => new Keyring([{ id: 'x', secret: new Uint8Array(8) }])).toThrow(/secret/);
  });

  it('error messages never contain the secret, root key or preimage', () => {
    const t = paid(['services=music:0']);
    const rootKey = toHex(keyring.rootKey(t.tokenId));
    const attempts = [
      () => verifyToken({ keyring, macaroon: t.macaroon, preimage: randomBytes(32), context: { now } }),
      () =>
        verifyToken({
          keyring,
          macaroon: { ...t.macaroon, signature: randomBytes(32) },
          preimage: t.preimage,
          context: { now },
        }),
      () =>
        verifyToken({ keyring, macaroon: t.macaroon, preimage: t.preimage, context: { service: 'x', now } }),
    ];
    for (const a of attempts) {
      try {
        a();
      } catch (e) {
        const text = JSON.stringify(e) + String(e) + JSON.stringify((e as { data?: unknown }).data);
        for (const s of [toHex(secret), rootKey, toHex(t.preimage), toHex(t.macaroon.signature)]) {
          expect(text).not.toContain(s);
        }
      }
    }
    expect(macaroonToBase64(t.macaroon)).not.toContain(rootKey);
    expect(encodeMacaroonV2(t.macaroon).length).toBeGreaterThan(66);
  });
});
