/**
 * The V1 (libmacaroons) packet format, still printed by some tools.
 *
 * Each packet is `4 hex digits of the packet length (header and trailing newline included)`
 * ‖ `name` ‖ space ‖ `value` ‖ `\n`. Names: location, identifier, cid, vid, cl, signature.
 *
 * @module
 */
import { fromUtf8 } from '../bytes.js';
import { ErrorCodes, FareboxError } from '../errors.js';
import { MACAROON_LIMITS, type Macaroon, type MacaroonCaveat } from './types.js';

const enc = new TextEncoder();

function malformed(message: string): FareboxError {
  return new FareboxError(ErrorCodes.MALFORMED_MACAROON, `malformed V1 macaroon: ${message}`);
}

function packet(name: string, value: Uint8Array): Uint8Array {
  const head = enc.encode(`xxxx${name} `);
  const size = head.length + value.length + 1;
  if (size > 0xffff) throw malformed(`${name} too long for a V1 packet`);
  head.set(enc.encode(size.toString(16).padStart(4, '0')), 0);
  const out = new Uint8Array(size);
  out.set(head, 0);
  out.set(value, head.length);
  out[size - 1] = 10;
  return out;
}

/** Encodes a macaroon in the V1 packet format (as go-macaroon `MarshalBinary` with V1). */
export function encodeMacaroonV1(m: Macaroon): Uint8Array {
  const parts: Uint8Array[] = [
    packet('location', enc.encode(m.location)),
    packet('identifier', m.identifier),
  ];
  for (const c of m.caveats) {
    parts.push(packet('cid', c.id));
    if (c.vid === undefined) continue;
    parts.push(packet('vid', c.vid), packet('cl', enc.encode(c.location ?? '')));
  }
  parts.push(packet('signature', m.signature));
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** True when the bytes start like a V1 packet (4 hex digits). */
export function looksLikeV1(b: Uint8Array): boolean {
  return (
    b.length >= 4 &&
    hexDigit(b[0]!) >= 0 &&
    hexDigit(b[1]!) >= 0 &&
    hexDigit(b[2]!) >= 0 &&
    hexDigit(b[3]!) >= 0
  );
}

/** Decodes a V1 macaroon. Throws L402_MALFORMED_MACAROON. */
export function decodeMacaroonV1(b: Uint8Array): Macaroon {
  if (b.length > MACAROON_LIMITS.maxBytes) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `macaroon larger than ${MACAROON_LIMITS.maxBytes} bytes`);
  }
  const packets: { name: string; value: Uint8Array }[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (b.length - pos < 4) throw malformed('truncated packet header');
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(b[pos + i]!);
      if (d < 0) throw malformed('bad packet length');
      size = size * 16 + d;
    }
    if (size < 6 || size > b.length - pos) throw malformed('packet length out of range');
    const body = b.subarray(pos + 4, pos + size);
    if (body[body.length - 1] !== 10) throw malformed('packet without newline');
    const sp = body.indexOf(32);
    if (sp <= 0) throw malformed('packet without field name');
    packets.push({ name: fromUtf8(body.subarray(0, sp)), value: body.subarray(sp + 1, body.length - 1) });
    pos += size;
  }
  let i = 0;
  const next = (name: string): Uint8Array => {
    const p = packets[i];
    if (!p || p.name !== name) throw malformed(`expected ${name}`);
    i++;
    return p.value;
  };
  const location = fromUtf8(next('location'));
  const identifier = next('identifier');
  const caveats: MacaroonCaveat[] = [];
  while (packets[i]?.name === 'cid') {
    if (caveats.length >= MACAROON_LIMITS.maxCaveats) throw malformed('too many caveats');
    const id = next('cid');
    if (packets[i]?.name === 'vid') {
      const vid = next('vid');
      const cl = packets[i]?.name === 'cl' ? fromUtf8(next('cl')) : '';
      caveats.push({ id, vid, location: cl });
    } else {
      caveats.push({ id });
    }
  }
  const signature = next('signature');
  if (signature.length !== 32) throw malformed('signature must be 32 bytes');
  if (i !== packets.length) throw malformed('trailing packets');
  return { location, identifier, caveats, signature };
}
