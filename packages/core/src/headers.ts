/**
 * L402 headers in every form seen in the wild.
 *
 * Challenges (`WWW-Authenticate`, server → client):
 * - farebox sends `L402 macaroon="<b64>", invoice="<bolt11>", version="0", token="<b64>"`
 *   first (lnget reads only the first header and needs `macaroon=` then `invoice=`; the
 *   current spec reads `token=` and `version`; Alby reads either), then the same as `LSAT`
 *   for old clients (Aperture's form, without `version`/`token`).
 * - farebox reads L402 and LSAT (any case), `macaroon=` or `token=`, quoted or not, several
 *   challenges in one header or in several headers.
 *
 * Credentials (`Authorization`, client → server):
 * - `L402 <mac>[,<mac>…]:<preimage>` (also `LSAT`, any case); preimage in hex (either case)
 *   or base64 (old clients); macaroons as base64 (std or URL, padded or not), hex or JSON;
 * - `L402 macaroon="…", preimage="…"` (also `token=`);
 * - `L402 <payment_hash>` (64 hex, no macaroon): the simple form of the serverless tutorial,
 *   which is no proof by itself; servers accept it only in an explicit mode.
 *
 * @module
 */
import { type AuthItem, MAX_HEADER_LENGTH, parseAuthHeader } from './auth-params.js';
import { fromBase64, isHex, toHex } from './bytes.js';
import { ErrorCodes, FareboxError } from './errors.js';
import { macaroonToBase64, parseMacaroon } from './macaroon/codec.js';
import type { Macaroon } from './macaroon/types.js';

/** The two scheme names, as farebox writes them. */
export type L402Scheme = 'L402' | 'LSAT';

/** A parsed L402/LSAT challenge. */
export interface L402Challenge {
  /** The scheme as written in the challenge (clients should answer in the same scheme). */
  scheme: string;
  /** The macaroon, as sent (base64 text). */
  macaroon: string;
  /** The BOLT11 invoice. */
  invoice: string;
  /** The `version` parameter, when present. */
  version?: string;
}

const PARAM_FORM = /^(macaroon|token|preimage)\s*=/i;

/** Most macaroons accepted in one credential. */
export const MAX_CREDENTIAL_MACAROONS = 4;

function malformed(reason: string, cause?: unknown): FareboxError {
  return new FareboxError(ErrorCodes.MALFORMED_HEADER, `malformed L402 header: ${reason}`, {
    data: { reason },
    cause,
  });
}

/** `L402` or `LSAT` in any case (ASCII case folding: no other character lowercases to these). */
function isL402Scheme(s: string): boolean {
  if (s.length !== 4 || (s.charCodeAt(0) | 0x20) !== 0x6c /* l */) return false;
  const c1 = s.charCodeAt(1);
  const c2 = s.charCodeAt(2);
  const c3 = s.charCodeAt(3);
  if (c1 === 0x34 /* 4 */) return c2 === 0x30 /* 0 */ && c3 === 0x32 /* 2 */;
  return (c1 | 0x20) === 0x73 /* s */ && (c2 | 0x20) === 0x61 /* a */ && (c3 | 0x20) === 0x74 /* t */;
}

/**
 * Builds the `WWW-Authenticate` values farebox sends, in order (send each as its own header).
 *
 * @example
 * ```ts
 * import { buildChallenges } from '@farebox/core';
 * for (const v of buildChallenges({ macaroon: 'AgEE…', invoice: 'lnbcrt10n1…' })) headers.append('WWW-Authenticate', v);
 * ```
 */
export function buildChallenges(opts: {
  macaroon: Macaroon | string;
  invoice: string;
  /** Also send the LSAT form (default true). */
  lsat?: boolean;
}): string[] {
  const mac = typeof opts.macaroon === 'string' ? opts.macaroon : macaroonToBase64(opts.macaroon);
  if (!/^[A-Za-z0-9+/=_-]+$/.test(mac)) throw malformed('macaroon must be base64');
  if (!/^[A-Za-z0-9]+$/.test(opts.invoice)) throw malformed('invoice must be bech32');
  const out = [`L402 macaroon="${mac}", invoice="${opts.invoice}", version="0", token="${mac}"`];
  if (opts.lsat !== false) out.push(`LSAT macaroon="${mac}", invoice="${opts.invoice}"`);
  return out;
}

/**
 * Reads every L402/LSAT challenge from one or several `WWW-Authenticate` values, in order.
 * Challenges of other schemes are skipped; an L402 challenge without a macaroon/token or
 * an invoice is skipped too. Throws L402_MALFORMED_HEADER only when a value cannot be parsed.
 *
 * @example
 * ```ts
 * import { parseChallenges } from '@farebox/core';
 * const [first] = parseChallenges(response.headers.get('www-authenticate') ?? '');
 * ```
 */
export function parseChallenges(
  values: string | readonly string[],
  maxLength = MAX_HEADER_LENGTH,
): L402Challenge[] {
  const list = typeof values === 'string' ? [values] : values;
  const out: L402Challenge[] = [];
  let total = 0;
  for (const v of list) {
    total += v.length;
    if (total > maxLength * 4) {
      throw new FareboxError(ErrorCodes.TOO_LARGE, 'authentication headers too long');
    }
    for (const item of parseAuthHeader(v, maxLength)) {
      if (!isL402Scheme(item.scheme)) continue;
      const macaroon = item.params.macaroon ?? item.params.token;
      const invoice = item.params.invoice;
      if (!macaroon || !invoice) continue;
      const ch: L402Challenge = { scheme: item.scheme, macaroon, invoice };
      if (item.params.version !== undefined) ch.version = item.params.version;
      out.push(ch);
    }
  }
  return out;
}

/** Picks the challenge to answer: the first `L402` one, else the first `LSAT` one. */
export function selectChallenge(challenges: readonly L402Challenge[]): L402Challenge | undefined {
  return challenges.find((c) => c.scheme.toLowerCase() === 'l402') ?? challenges[0];
}

/** A parsed `Authorization` credential. */
export type L402Credential =
  | {
      kind: 'token';
      /** The scheme as written. */
      scheme: string;
      /** The macaroons, decoded (the first is the L402 token). */
      macaroons: Macaroon[];
      /** The 32-byte preimage. */
      preimage: Uint8Array;
    }
  | {
      kind: 'payment-hash';
      scheme: string;
      /** A bare payment hash (hex): no proof by itself. */
      paymentHash: string;
    };

const encoder = new TextEncoder();
const HEX_SCRATCH = new Uint8Array(3 * 64);
// Hex digit values by byte (either case), -1 for anything else.
const HEX_VALUE = new Int32Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** 64 hex digits (either case) as 32 bytes, or undefined: one pass for the usual preimage form. */
function hex32(t: string): Uint8Array | undefined {
  if (t.length !== 64) return undefined;
  // The characters as bytes in one native call (non-ASCII shows as a longer UTF-8 form).
  const b = HEX_SCRATCH;
  const r = encoder.encodeInto(t, b);
  let bad = r.read !== 64 || r.written !== 64 ? -1 : 0;
  const out = new Uint8Array(32);
  if (bad === 0) {
    for (let i = 0; i < 32; i++) {
      const hi = HEX_VALUE[b[2 * i]!]!;
      const lo = HEX_VALUE[b[2 * i + 1]!]!;
      bad |= hi | lo;
      out[i] = (hi << 4) | lo;
    }
  }
  b.fill(0, 0, r.written);
  return bad < 0 ? undefined : out;
}

function parsePreimage(text: string): Uint8Array {
  const t = text.trim();
  const hex = hex32(t);
  if (hex !== undefined) return hex;
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    try {
      const b = fromBase64(t, 'preimage');
      if (b.length === 32) return b;
    } catch (cause) {
      throw malformed('preimage is neither 64 hex digits nor base64 of 32 bytes', cause);
    }
  }
  throw malformed('preimage is neither 64 hex digits nor base64 of 32 bytes');
}

function parseMacaroons(text: string): Macaroon[] {
  if (text.indexOf(',') < 0) {
    // The usual case: one macaroon.
    const t = text.trim();
    if (t === '') throw malformed('empty macaroon');
    return [parseMacaroon(t)];
  }
  const parts = text.split(',');
  if (parts.length > MAX_CREDENTIAL_MACAROONS) throw malformed('too many macaroons');
  return parts.map((p) => {
    const t = p.trim();
    if (t === '') throw malformed('empty macaroon');
    return parseMacaroon(t);
  });
}

/**
 * Parses an `Authorization` value. Returns `undefined` when the scheme is not L402/LSAT
 * (the caller then answers with a challenge); throws L402_MALFORMED_HEADER,
 * L402_MALFORMED_MACAROON or L402_TOO_LARGE for a broken L402 credential.
 *
 * @example
 * ```ts
 * import { parseCredential } from '@farebox/core';
 * const cred = parseCredential(request.headers.get('authorization') ?? '');
 * if (cred?.kind === 'token') { … cred.macaroons[0], cred.preimage … }
 * ```
 */
export function parseCredential(value: string, maxLength = MAX_HEADER_LENGTH): L402Credential | undefined {
  if (typeof value !== 'string') throw malformed('not a string');
  if (value.length > maxLength) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `Authorization longer than ${maxLength}`);
  }
  const v = value.trim();
  let sp = 0;
  for (; sp < v.length; sp++) {
    const c = v.charCodeAt(sp);
    if (c === 0x20 || c === 0x09) break;
  }
  if (sp === v.length) sp = -1;
  const scheme = sp < 0 ? v : v.slice(0, sp);
  if (!isL402Scheme(scheme)) return undefined;
  const rest = sp < 0 ? '' : v.slice(sp + 1).trim();
  if (rest === '') throw malformed('missing token');
  // Parameter form: macaroon="…", preimage="…". The regex only runs when the first letter
  // can start one of those names (m, t or p in either case); base64 macaroons start with A.
  const first = rest.charCodeAt(0) | 0x20;
  if ((first === 0x6d || first === 0x74 || first === 0x70) && PARAM_FORM.test(rest)) {
    let item: AuthItem | undefined;
    try {
      item = parseAuthHeader(`${scheme} ${rest}`, maxLength)[0];
    } catch (cause) {
      throw malformed('bad parameters', cause);
    }
    const mac = item?.params.macaroon ?? item?.params.token;
    const pre = item?.params.preimage;
    if (!mac || !pre) throw malformed('parameter form needs macaroon (or token) and preimage');
    return { kind: 'token', scheme, macaroons: parseMacaroons(mac), preimage: parsePreimage(pre) };
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) {
    if (isHex(rest, 32)) return { kind: 'payment-hash', scheme, paymentHash: rest.toLowerCase() };
    throw malformed('expected <macaroon>:<preimage>');
  }
  return {
    kind: 'token',
    scheme,
    macaroons: parseMacaroons(rest.slice(0, colon)),
    preimage: parsePreimage(rest.slice(colon + 1)),
  };
}

/**
 * Builds an `Authorization` value: `L402 <base64 macaroon>:<hex preimage>`, the form every
 * server reads (Aperture needs padded standard base64 and lowercase hex).
 *
 * @example
 * ```ts
 * import { buildCredential } from '@farebox/core';
 * headers.set('Authorization', buildCredential({ macaroon: 'AgEE…', preimage: '00…' }));
 * ```
 */
export function buildCredential(opts: {
  macaroon: Macaroon | string | readonly (Macaroon | string)[];
  preimage: Uint8Array | string;
  scheme?: string;
}): string {
  const macs = (Array.isArray(opts.macaroon) ? opts.macaroon : [opts.macaroon]) as (Macaroon | string)[];
  const text = macs.map((m) => (typeof m === 'string' ? m : macaroonToBase64(m))).join(',');
  const pre = typeof opts.preimage === 'string' ? opts.preimage.toLowerCase() : toHex(opts.preimage);
  if (!isHex(pre, 32)) throw malformed('preimage must be 32 bytes');
  const scheme = opts.scheme ?? 'L402';
  if (!isL402Scheme(scheme)) throw malformed('scheme must be L402 or LSAT');
  return `${scheme} ${text}:${pre}`;
}
