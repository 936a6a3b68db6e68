import { describe, expect, it } from 'vitest';
import {
  buildChallenges,
  buildCredential,
  createMacaroon,
  encodeMacaroonV2,
  fromHex,
  macaroonToBase64,
  parseAuthHeader,
  parseChallenges,
  parseCredential,
  selectChallenge,
  toBase64,
  toHex,
  utf8,
} from '../src/index.js';

const mac = createMacaroon({
  rootKey: new Uint8Array(32),
  identifier: new Uint8Array(66),
  location: 'lsat',
  caveats: ['services=svc:0'],
});
const b64 = macaroonToBase64(mac);
const invoice = 'lnbcrt10u1pjexample0000000000000000000000000000qqqqqqqq';
const preimage = fromHex('ab'.repeat(32));

describe('challenges farebox sends', () => {
  const [l402, lsat] = buildChallenges({ macaroon: mac, invoice });

  it('first is L402 with macaroon, invoice, version and token; second is LSAT', () => {
    expect(l402).toBe(`L402 macaroon="${b64}", invoice="${invoice}", version="0", token="${b64}"`);
    expect(lsat).toBe(`LSAT macaroon="${b64}", invoice="${invoice}"`);
  });

  it("is readable by lnget's parser (first header, macaroon then invoice)", () => {
    // lnget: first WWW-Authenticate only, `macaroon="…",\s*invoice="…"` in that order.
    const m = /(LSAT|L402) macaroon="([^"]+)",\s*invoice="([^"]+)"/.exec(l402!);
    expect(m?.[2]).toBe(b64);
    expect(m?.[3]).toBe(invoice);
  });

  it("is readable the way Alby's fetchWithL402 reads it (token= or macaroon=, any order)", () => {
    const header = l402!;
    const token = /(?:token|macaroon)="([^"]+)"/.exec(header)?.[1];
    const inv = /invoice="([^"]+)"/.exec(header)?.[1];
    expect(token).toBe(b64);
    expect(inv).toBe(invoice);
  });

  it('round-trips through our own parser, joined or separate', () => {
    expect(parseChallenges([l402!, lsat!]).map((c) => c.scheme)).toEqual(['L402', 'LSAT']);
    const joined = parseChallenges(`${l402}, ${lsat}`);
    expect(joined).toHaveLength(2);
    expect(joined[0]).toEqual({ scheme: 'L402', macaroon: b64, invoice, version: '0' });
  });
});

describe('challenges in the wild', () => {
  it("Aperture's two headers: LSAT first, then L402 (prefers L402)", () => {
    const cs = parseChallenges([
      `LSAT macaroon="${b64}", invoice="${invoice}"`,
      `L402 macaroon="${b64}", invoice="${invoice}"`,
    ]);
    expect(cs).toHaveLength(2);
    expect(selectChallenge(cs)?.scheme).toBe('L402');
  });

  it('the spec form with token= and version', () => {
    const [c] = parseChallenges(`L402 version="0", token="${b64}", invoice="${invoice}"`);
    expect(c).toEqual({ scheme: 'L402', macaroon: b64, invoice, version: '0' });
  });

  it('lowercase scheme, unquoted values, spaces around =', () => {
    const [c] = parseChallenges(`l402 macaroon = ${b64}, invoice=${invoice}`);
    expect(c?.macaroon).toBe(b64);
    expect(c?.invoice).toBe(invoice);
  });

  it('other schemes around it are skipped', () => {
    const cs = parseChallenges(
      `Bearer realm="x", error="invalid_token", L402 macaroon="${b64}", invoice="${invoice}", Basic realm="y"`,
    );
    expect(cs).toHaveLength(1);
    const all = parseAuthHeader(`Bearer realm="x", Negotiate abc==, Basic`);
    expect(all.map((i) => i.scheme)).toEqual(['Bearer', 'Negotiate', 'Basic']);
    expect(all[1]?.token68).toBe('abc==');
  });

  it('quoted strings with escapes and commas', () => {
    const [item] = parseAuthHeader('L402 realm="a, \\"b\\"", macaroon="m", invoice="i"');
    expect(item?.params).toEqual({ realm: 'a, "b"', macaroon: 'm', invoice: 'i' });
  });

  it('a challenge without invoice is ignored', () => {
    expect(parseChallenges(`L402 macaroon="${b64}"`)).toEqual([]);
  });

  it('broken quoting is a typed error', () => {
    expect(() => parseChallenges('L402 macaroon="abc')).toThrow(
      expect.objectContaining({ code: 'L402_MALFORMED_HEADER' }),
    );
  });
});

describe('credentials', () => {
  const hex = toHex(preimage);

  it('builds the form Aperture parses: (L402|LSAT) <std b64 padded>:<lowercase hex>', () => {
    const v = buildCredential({ macaroon: mac, preimage });
    expect(v).toMatch(/^(LSAT|L402) ([A-Za-z0-9+/]+=*):([a-f0-9]{64})$/);
    expect(buildCredential({ macaroon: mac, preimage, scheme: 'LSAT' }).startsWith('LSAT ')).toBe(true);
  });

  it.each([
    ['L402 padded base64, hex', `L402 ${b64}:${hex}`],
    ['LSAT', `LSAT ${b64}:${hex}`],
    ['lowercase scheme', `l402 ${b64}:${hex}`],
    ['uppercase hex', `L402 ${b64}:${hex.toUpperCase()}`],
    ['base64url macaroon', `L402 ${toBase64(encodeMacaroonV2(mac), true)}:${hex}`],
    ['base64 preimage (old clients)', `L402 ${b64}:${toBase64(preimage)}`],
    ['hex macaroon', `L402 ${toHex(encodeMacaroonV2(mac))}:${hex}`],
    ['parameter form', `L402 macaroon="${b64}", preimage="${hex}"`],
    ['token= parameter form', `L402 token="${b64}", preimage="${hex}"`],
    ['extra whitespace', `  L402   ${b64}:${hex}  `],
  ])('%s', (_n, header) => {
    const c = parseCredential(header);
    expect(c?.kind).toBe('token');
    if (c?.kind !== 'token') return;
    expect(toHex(encodeMacaroonV2(c.macaroons[0]!))).toBe(toHex(encodeMacaroonV2(mac)));
    expect(toHex(c.preimage)).toBe(hex);
  });

  it('several comma-joined macaroons', () => {
    const other = createMacaroon({ rootKey: new Uint8Array(32), identifier: utf8('discharge') });
    const c = parseCredential(`L402 ${b64},${macaroonToBase64(other)}:${hex}`);
    expect(c?.kind === 'token' && c.macaroons.length).toBe(2);
    expect(parseCredential(buildCredential({ macaroon: [mac, other], preimage }))?.kind).toBe('token');
  });

  it('the payment-hash-only form of the serverless tutorial', () => {
    expect(parseCredential(`L402 ${hex}`)).toEqual({
      kind: 'payment-hash',
      scheme: 'L402',
      paymentHash: hex,
    });
  });

  it('other schemes are not L402 credentials', () => {
    expect(parseCredential('Bearer abc')).toBeUndefined();
    expect(parseCredential('')).toBeUndefined();
  });

  it.each([
    ['missing token', 'L402'],
    ['no preimage', `L402 ${b64}:`],
    ['short preimage', `L402 ${b64}:abcd`],
    ['not a macaroon', `L402 notamacaroon:${hex}`],
    ['junk', 'L402 :::'],
    ['too many macaroons', `L402 ${Array(6).fill(b64).join(',')}:${hex}`],
    ['param form missing preimage', `L402 macaroon="${b64}"`],
  ])('malformed: %s → typed error, not a crash', (_n, header) => {
    expect(() => parseCredential(header)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^L402_/) }),
    );
  });

  it('a megabyte header is refused before parsing', () => {
    const big = `L402 ${'A'.repeat(1_000_000)}:${hex}`;
    expect(() => parseCredential(big)).toThrow(expect.objectContaining({ code: 'L402_TOO_LARGE' }));
    expect(() => parseChallenges(big)).toThrow(expect.objectContaining({ code: 'L402_TOO_LARGE' }));
  });
});
