/**
 * The core's conformance suite for every runtime (Node, Bun, Deno, workerd, Chromium): the
 * same checks everywhere, against the vectors in `./vectors` (passed in, so the runtime's
 * entry decides how to load them) and known answers from the specs. It needs nothing but
 * Web Standards: `crypto.getRandomValues`, `TextEncoder`, `Uint8Array`, `BigInt`.
 *
 * Run by `npm run test:runtimes` (runtime-tests/run.mjs).
 */
import {
  addCaveats,
  buildChallenges,
  buildCredential,
  CAVEAT_REQUEST,
  createMacaroon,
  decodeIdentifier,
  decodeInvoice,
  decodeMacaroon,
  encodeInvoice,
  encodeMacaroonV2,
  FareboxError,
  fromBase64,
  fromHex,
  HmacKey,
  hmacSha256,
  Keyring,
  macaroonFromJSON,
  macaroonToBase64,
  mintToken,
  parseChallenges,
  parseCredential,
  randomBytes,
  requestBinding,
  selectChallenge,
  sha256,
  signatureMatches,
  toBase64,
  toHex,
  utf8,
  verifyToken,
} from '@farebox/core';
import { assert, deepEqual, equal, type Suite, suite, throwsCode } from '../../../runtime-tests/harness.js';

/** The vector files, as parsed JSON. */
export interface CoreVectors {
  bolt11: {
    source: { privateKey: string };
    valid: {
      title: string;
      invoice: string;
      expected: {
        network: string;
        timestamp: number;
        paymentHash: string;
        payee: string;
        amountMsat: string | number | null;
        description?: string;
        descriptionHash?: string;
      };
    }[];
    invalid: { reason: string; invoice: string }[];
  };
  macaroons: {
    name: string;
    rootKey: string;
    identifier: string;
    location: string;
    caveats: string[];
    json: Record<string, unknown>;
    v2?: string;
  }[];
  lndMacaroons: { name: string; hex: string }[];
}

/**
 * The suite.
 *
 * @example
 * ```ts
 * const report = await run([coreConformance(vectors)], { runtime: 'deno' });
 * ```
 */
export function coreConformance(v: CoreVectors): Suite {
  return suite('core', (test) => {
    test('SHA-256 and HMAC-SHA256 known answers (FIPS 180-4, RFC 4231 case 2)', () => {
      equal(toHex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      equal(
        toHex(sha256(new Uint8Array(0))),
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
      const million = new Uint8Array(1_000_000).fill(0x61);
      equal(
        toHex(sha256(million)),
        'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
        "a million 'a'",
      );
      const mac = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
      equal(toHex(hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?'))), mac);
      equal(toHex(new HmacKey(utf8('Jefe')).mac(utf8('what do ya want for nothing?'))), mac);
    });

    test('bytes: hex, base64 and base64url round trips; random bytes from the platform', () => {
      const b = Uint8Array.from({ length: 256 }, (_, i) => i);
      deepEqual(fromHex(toHex(b)), b);
      deepEqual(fromBase64(toBase64(b)), b);
      deepEqual(fromBase64(toBase64(b, true)), b);
      equal(toBase64(utf8('farebox')), 'ZmFyZWJveA==');
      const r1 = randomBytes(32);
      const r2 = randomBytes(32);
      equal(r1.length, 32);
      assert(toHex(r1) !== toHex(r2), 'two random draws differ');
    });

    test(`macaroons: ${v.macaroons.length} go-macaroon vectors (signature, V2 bytes, JSON)`, () => {
      for (const m of v.macaroons) {
        const mac = createMacaroon({
          rootKey: fromHex(m.rootKey),
          identifier: fromHex(m.identifier),
          location: m.location,
          caveats: m.caveats,
        });
        equal(toBase64(mac.signature, true), m.json.s64 as string, m.name);
        if (m.v2) equal(toHex(encodeMacaroonV2(mac)), m.v2, m.name);
        const theirs = macaroonFromJSON(m.json);
        equal(toHex(encodeMacaroonV2(theirs)), toHex(encodeMacaroonV2(mac)), m.name);
        assert(signatureMatches(theirs, fromHex(m.rootKey)), `${m.name}: signature matches`);
      }
    });

    test(`macaroons: ${v.lndMacaroons.length} lnd macaroons decode and re-encode byte for byte`, () => {
      for (const m of v.lndMacaroons) {
        const mac = decodeMacaroon(fromHex(m.hex));
        equal(toHex(encodeMacaroonV2(mac)), m.hex, m.name);
        equal(mac.location, 'lnd', m.name);
      }
    });

    test(`BOLT #11: ${v.bolt11.valid.length} valid spec invoices decode (signature recovery included)`, () => {
      for (const x of v.bolt11.valid) {
        const inv = decodeInvoice(x.invoice);
        const e = x.expected;
        equal(inv.network, e.network, x.title);
        equal(inv.timestamp, e.timestamp, x.title);
        equal(inv.paymentHash, e.paymentHash, x.title);
        equal(inv.payee, e.payee, x.title);
        equal(inv.amountMsat, e.amountMsat === null ? undefined : BigInt(e.amountMsat), x.title);
        if (e.description !== undefined) equal(inv.description, e.description, x.title);
        if (e.descriptionHash !== undefined) equal(inv.descriptionHash, e.descriptionHash, x.title);
      }
    });

    test(`BOLT #11: ${v.bolt11.invalid.length} invalid spec invoices are refused`, () => {
      for (const x of v.bolt11.invalid)
        throwsCode(() => decodeInvoice(x.invoice), 'BOLT11_INVALID', x.reason);
    });

    test('BOLT #11: an invoice signed here (RFC 6979, secp256k1) decodes to what was encoded', () => {
      const key = fromHex(v.bolt11.source.privateKey);
      const paymentHash = sha256(utf8('preimage'));
      const invoice = encodeInvoice(
        {
          network: 'regtest',
          amountMsat: 21_000n,
          paymentHash,
          paymentSecret: new Uint8Array(32).fill(0x11),
          description: 'one API call',
          expirySeconds: 600,
          timestamp: 1_700_000_000,
          features: [8, 14, 17],
        },
        key,
      );
      assert(invoice.startsWith('lnbcrt210n1'), 'regtest prefix and amount');
      const inv = decodeInvoice(invoice);
      equal(inv.paymentHash, toHex(paymentHash));
      equal(inv.amountMsat, 21_000n);
      equal(inv.description, 'one API call');
      equal(inv.payee, '03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad');
    });

    const keyring = Keyring.fromSecret(fromHex('42'.repeat(32)), 'k1');
    const now = 1_800_000_000;
    const mint = (caveats: string[]) => {
      const preimage = randomBytes(32);
      return { preimage, ...mintToken({ keyring, paymentHash: sha256(preimage), caveats }) };
    };

    test('L402: a minted token verifies offline, and names its payment hash and token id', () => {
      const t = mint(['services=api:0', `api_valid_until=${now + 60}`, 'farebox_uses=1']);
      const ok = verifyToken({
        keyring,
        macaroon: t.macaroon,
        preimage: t.preimage,
        context: { service: 'api', now },
      });
      equal(ok.paymentHash, toHex(sha256(t.preimage)));
      equal(ok.tokenId, toHex(t.tokenId));
      equal(ok.grant.maxUses, 1);
      const id = decodeIdentifier(t.macaroon.identifier);
      equal(id.version, 0);
      equal(t.macaroon.identifier.length, 66);
    });

    test('L402: forged, wrong-preimage, expired, other-service and other-request tokens are refused', () => {
      const binding = requestBinding({ method: 'POST', path: '/api', body: utf8('{"prompt":"a"}') });
      const t = mint(['services=api:0', `api_valid_until=${now + 60}`, `${CAVEAT_REQUEST}=${binding}`]);
      const verify = (o: Partial<Parameters<typeof verifyToken>[0]> & { ctx?: object }) =>
        verifyToken({
          keyring,
          macaroon: o.macaroon ?? t.macaroon,
          preimage: o.preimage ?? t.preimage,
          context: { service: 'api', now, requestHash: binding, ...o.ctx },
        });
      verify({});
      throwsCode(() => verify({ preimage: randomBytes(32) }), 'L402_WRONG_PREIMAGE');
      throwsCode(() => verify({ ctx: { now: now + 61 } }), 'L402_EXPIRED');
      throwsCode(() => verify({ ctx: { service: 'other' } }), 'L402_WRONG_SERVICE');
      const other = requestBinding({ method: 'POST', path: '/api', body: utf8('{"prompt":"b"}') });
      throwsCode(() => verify({ ctx: { requestHash: other } }), 'L402_REQUEST_MISMATCH');
      const longer = { id: utf8(`api_valid_until=${now + 999_999}`) };
      const forged = { ...t.macaroon, caveats: t.macaroon.caveats.map((c, i) => (i === 1 ? longer : c)) };
      throwsCode(() => verify({ macaroon: forged }), 'L402_BAD_SIGNATURE');
      const otherServer = Keyring.fromSecret(fromHex('43'.repeat(32)), 'k1');
      throwsCode(
        () =>
          verifyToken({ keyring: otherServer, macaroon: t.macaroon, preimage: t.preimage, context: { now } }),
        'L402_BAD_SIGNATURE',
      );
    });

    test('L402: a client may narrow a token (appended caveats), never widen it', () => {
      const t = mint(['services=api:0', `api_valid_until=${now + 60}`]);
      const narrowed = addCaveats(t.macaroon, [
        `api_valid_until=${now + 30}`,
        `preimage=${toHex(t.preimage)}`,
      ]);
      const ok = verifyToken({
        keyring,
        macaroon: narrowed,
        preimage: t.preimage,
        context: { service: 'api', now },
      });
      equal(ok.grant.validUntil, now + 30);
      const widened = addCaveats(t.macaroon, [`api_valid_until=${now + 600}`]);
      throwsCode(
        () =>
          verifyToken({ keyring, macaroon: widened, preimage: t.preimage, context: { service: 'api', now } }),
        'L402_CAVEAT_WIDENED',
      );
    });

    test('headers: challenges (L402 first, LSAT after) and credentials round-trip', () => {
      const t = mint(['services=api:0']);
      const mac = macaroonToBase64(t.macaroon);
      const values = buildChallenges({ macaroon: mac, invoice: 'lnbcrt210n1xyz' });
      equal(values.length, 2);
      assert(values[0]!.startsWith('L402 macaroon="'), 'L402 first');
      const parsed = parseChallenges(values);
      equal(selectChallenge(parsed)?.scheme, 'L402');
      equal(selectChallenge(parsed)?.macaroon, mac);
      equal(parseChallenges(values.join(', ')).length, 2, 'one combined header');
      const cred = parseCredential(buildCredential({ macaroon: mac, preimage: t.preimage }));
      assert(cred?.kind === 'token', 'a token credential');
      equal(toHex(cred.preimage), toHex(t.preimage));
      equal(macaroonToBase64(cred.macaroons[0]!), mac);
      const hash = toHex(sha256(t.preimage));
      deepEqual(parseCredential(`L402 ${hash}`), { kind: 'payment-hash', scheme: 'L402', paymentHash: hash });
      equal(parseCredential('Bearer abc'), undefined);
      throwsCode(() => parseCredential('L402 not-a-token'), 'L402_MALFORMED_HEADER');
    });

    test('errors: one class, stable string codes', () => {
      try {
        decodeInvoice('lnbc1invalid');
      } catch (e) {
        assert(e instanceof FareboxError, 'a FareboxError');
        equal(e.code, 'BOLT11_INVALID');
        return;
      }
      throw new Error('expected a refusal');
    });
  });
}
