/**
 * The JSON forms of go-macaroon (`MarshalJSON`): V2 (`{"c":[…],"l":…,"i"|"i64":…,"s64":…}`)
 * and V1 (`{"caveats":[…],"location":…,"identifier":…,"signature":"<hex>"}`).
 *
 * @module
 */
import { fromBase64, fromHex, toBase64, toHex } from '../bytes.js';
import { ErrorCodes, FareboxError } from '../errors.js';
import { MACAROON_LIMITS, type Macaroon, type MacaroonCaveat } from './types.js';

const strict = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

function malformed(message: string, cause?: unknown): FareboxError {
  return new FareboxError(ErrorCodes.MALFORMED_MACAROON, `malformed JSON macaroon: ${message}`, { cause });
}

function asText(b: Uint8Array): string | undefined {
  try {
    return strict.decode(b);
  } catch {
    return undefined;
  }
}

/** The V2 JSON object go-macaroon writes (text fields when valid UTF-8, else `*64` base64url). */
export function macaroonToJSON(m: Macaroon): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (obj: Record<string, unknown>, key: string, b: Uint8Array) => {
    const t = asText(b);
    if (t !== undefined) obj[key] = t;
    else obj[`${key}64`] = toBase64(b, true);
  };
  if (m.caveats.length > 0) {
    out.c = m.caveats.map((c) => {
      const o: Record<string, unknown> = {};
      put(o, 'i', c.id);
      if (c.vid) put(o, 'v', c.vid);
      if (c.location) o.l = c.location;
      return o;
    });
  }
  if (m.location) out.l = m.location;
  put(out, 'i', m.identifier);
  out.s64 = toBase64(m.signature, true);
  return out;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw malformed(`${what} must be a string`);
  return v;
}

function bytesField(o: Record<string, unknown>, key: string, required: boolean): Uint8Array | undefined {
  if (o[key] !== undefined) return enc.encode(str(o[key], key));
  if (o[`${key}64`] !== undefined) {
    try {
      return fromBase64(str(o[`${key}64`], `${key}64`), `${key}64`);
    } catch (e) {
      throw malformed(`${key}64 is not base64`, e);
    }
  }
  if (required) throw malformed(`missing ${key}`);
  return undefined;
}

/** Parses a macaroon from either JSON form (object or JSON text). Throws L402_MALFORMED_MACAROON. */
export function macaroonFromJSON(input: string | Record<string, unknown>): Macaroon {
  let o: unknown = input;
  if (typeof input === 'string') {
    if (input.length > MACAROON_LIMITS.maxBytes * 2) {
      throw new FareboxError(ErrorCodes.TOO_LARGE, 'JSON macaroon too large');
    }
    try {
      o = JSON.parse(input);
    } catch (e) {
      throw malformed('not JSON', e);
    }
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw malformed('not an object');
  const obj = o as Record<string, unknown>;
  if ('identifier' in obj || 'signature' in obj) return fromV1(obj);
  const rawCaveats = obj.c ?? [];
  if (!Array.isArray(rawCaveats)) throw malformed('c must be an array');
  if (rawCaveats.length > MACAROON_LIMITS.maxCaveats) throw malformed('too many caveats');
  const caveats: MacaroonCaveat[] = rawCaveats.map((c: unknown) => {
    if (typeof c !== 'object' || c === null) throw malformed('caveat must be an object');
    const co = c as Record<string, unknown>;
    const id = bytesField(co, 'i', true)!;
    const vid = bytesField(co, 'v', false);
    const cav: { id: Uint8Array; vid?: Uint8Array; location?: string } = { id };
    if (vid) cav.vid = vid;
    if (co.l !== undefined) cav.location = str(co.l, 'l');
    return cav;
  });
  const signature = bytesField(obj, 's', true)!;
  if (signature.length !== 32) throw malformed('signature must be 32 bytes');
  return {
    location: obj.l === undefined ? '' : str(obj.l, 'l'),
    identifier: bytesField(obj, 'i', true)!,
    caveats,
    signature,
  };
}

function fromV1(obj: Record<string, unknown>): Macaroon {
  const rawCaveats = obj.caveats ?? [];
  if (!Array.isArray(rawCaveats)) throw malformed('caveats must be an array');
  if (rawCaveats.length > MACAROON_LIMITS.maxCaveats) throw malformed('too many caveats');
  const caveats: MacaroonCaveat[] = rawCaveats.map((c: unknown) => {
    if (typeof c !== 'object' || c === null) throw malformed('caveat must be an object');
    const co = c as Record<string, unknown>;
    const cav: { id: Uint8Array; vid?: Uint8Array; location?: string } = {
      id: enc.encode(str(co.cid, 'cid')),
    };
    if (co.vid !== undefined && co.vid !== '') {
      try {
        cav.vid = fromBase64(str(co.vid, 'vid'), 'vid');
      } catch (e) {
        throw malformed('vid is not base64', e);
      }
      cav.location = co.cl === undefined ? '' : str(co.cl, 'cl');
    }
    return cav;
  });
  let signature: Uint8Array;
  try {
    signature = fromHex(str(obj.signature, 'signature'), 'signature');
  } catch (e) {
    throw malformed('signature is not hex', e);
  }
  if (signature.length !== 32) throw malformed('signature must be 32 bytes');
  return {
    location: obj.location === undefined ? '' : str(obj.location, 'location'),
    identifier: enc.encode(str(obj.identifier, 'identifier')),
    caveats,
    signature,
  };
}

/** The V1 JSON object (`identifier`, `location`, `caveats`, hex `signature`). */
export function macaroonToJSONV1(m: Macaroon): Record<string, unknown> {
  return {
    caveats: m.caveats.map((c) =>
      c.vid
        ? { cid: strict.decode(c.id), vid: toBase64(c.vid, true), cl: c.location ?? '' }
        : { cid: strict.decode(c.id) },
    ),
    location: m.location,
    identifier: strict.decode(m.identifier),
    signature: toHex(m.signature),
  };
}
