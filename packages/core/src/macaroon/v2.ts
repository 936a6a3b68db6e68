/**
 * The V2 binary macaroon format of gopkg.in/macaroon.v2 (`MarshalBinary` / `UnmarshalBinary`).
 *
 * Layout: version byte `0x02`; the header fields (optional location, tag 1; identifier,
 * tag 2) then EOS (0); for each caveat its fields (optional location 1, identifier 2,
 * optional verification id 4) then EOS; a final EOS; the signature field (tag 6, 32 bytes).
 * Each field is `tag (uvarint) ‖ length (uvarint) ‖ data`; tags must appear in increasing order.
 *
 * @module
 */
import { fromUtf8 } from '../bytes.js';
import { ErrorCodes, FareboxError } from '../errors.js';
import { MACAROON_LIMITS, type Macaroon, type MacaroonCaveat } from './types.js';

const EOS = 0;
const LOCATION = 1;
const IDENTIFIER = 2;
const VID = 4;
const SIGNATURE = 6;

function malformed(message: string): FareboxError {
  return new FareboxError(ErrorCodes.MALFORMED_MACAROON, `malformed macaroon: ${message}`);
}

function uvarintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function fieldLen(data: Uint8Array): number {
  return 1 + uvarintLen(data.length) + data.length;
}

const enc = new TextEncoder();

/**
 * Encodes a macaroon in the V2 binary format, byte for byte as go-macaroon does.
 *
 * @example
 * ```ts
 * import { createMacaroon, encodeMacaroonV2, randomBytes, toBase64, utf8 } from '@farebox/core';
 * const m = createMacaroon({ rootKey: randomBytes(32), identifier: utf8('id') });
 * const b64 = toBase64(encodeMacaroonV2(m));
 * ```
 */
export function encodeMacaroonV2(m: Macaroon): Uint8Array {
  const loc = m.location ? enc.encode(m.location) : undefined;
  const cavs = m.caveats.map((c) => ({ loc: c.location ? enc.encode(c.location) : undefined, c }));
  let size = 1 + (loc ? fieldLen(loc) : 0) + fieldLen(m.identifier) + 1;
  for (const { loc: cl, c } of cavs) {
    size += (cl ? fieldLen(cl) : 0) + fieldLen(c.id) + (c.vid ? fieldLen(c.vid) : 0) + 1;
  }
  size += 1 + fieldLen(m.signature);
  const out = new Uint8Array(size);
  let o = 0;
  const put = (tag: number, data: Uint8Array) => {
    out[o++] = tag;
    let n = data.length;
    while (n >= 0x80) {
      out[o++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[o++] = n;
    out.set(data, o);
    o += data.length;
  };
  out[o++] = 2;
  if (loc) put(LOCATION, loc);
  put(IDENTIFIER, m.identifier);
  out[o++] = EOS;
  for (const { loc: cl, c } of cavs) {
    if (cl) put(LOCATION, cl);
    put(IDENTIFIER, c.id);
    if (c.vid) put(VID, c.vid);
    out[o++] = EOS;
  }
  out[o++] = EOS;
  put(SIGNATURE, m.signature);
  return out;
}

class Reader {
  pos = 0;
  /** Bounds of the data of the field last read by {@link next}. */
  start = 0;
  end = 0;
  constructor(readonly b: Uint8Array) {}

  uvarint(): number {
    const b = this.b;
    if (this.pos >= b.length) throw malformed('truncated varint');
    const first = b[this.pos++]!;
    if (first < 0x80) return first;
    let n = first & 0x7f;
    let mul = 128;
    for (let i = 1; i < 4; i++) {
      if (this.pos >= b.length) throw malformed('truncated varint');
      const byte = b[this.pos++]!;
      n += (byte & 0x7f) * mul;
      if (byte < 0x80) return n;
      mul *= 128;
    }
    throw malformed('varint too long');
  }

  /**
   * Reads one field and returns its tag; its data is `b[start..end)` (see {@link data}).
   * The end-of-section marker is tag EOS with empty data.
   */
  next(): number {
    const tag = this.uvarint();
    if (tag === EOS) {
      this.start = this.end = this.pos;
      return tag;
    }
    const len = this.uvarint();
    if (len > this.b.length - this.pos) throw malformed('field length beyond end');
    this.start = this.pos;
    this.pos += len;
    this.end = this.pos;
    return tag;
  }

  /** The data of the field last read. */
  data(): Uint8Array {
    return this.b.subarray(this.start, this.end);
  }

  /** The data of the field last read, as strict UTF-8. */
  text(): string {
    return fromUtf8(this.data());
  }
}

/** Decodes a V2 binary macaroon. Throws L402_MALFORMED_MACAROON. */
export function decodeMacaroonV2(bytes: Uint8Array): Macaroon {
  if (bytes.length > MACAROON_LIMITS.maxBytes) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `macaroon larger than ${MACAROON_LIMITS.maxBytes} bytes`);
  }
  if (bytes[0] !== 2) throw malformed('not a V2 macaroon');
  const r = new Reader(bytes);
  r.pos = 1;
  let tag = r.next();
  let location = '';
  if (tag === LOCATION) {
    location = r.text();
    tag = r.next();
  }
  if (tag !== IDENTIFIER) throw malformed('missing identifier');
  const identifier = r.data();
  if (r.next() !== EOS) throw malformed('unexpected field in header');
  const caveats: MacaroonCaveat[] = [];
  for (;;) {
    tag = r.next();
    if (tag === EOS) break;
    if (caveats.length >= MACAROON_LIMITS.maxCaveats) throw malformed('too many caveats');
    let cloc: string | undefined;
    if (tag === LOCATION) {
      cloc = r.text();
      tag = r.next();
    }
    if (tag !== IDENTIFIER) throw malformed('caveat without identifier');
    const id = r.data();
    tag = r.next();
    let vid: Uint8Array | undefined;
    if (tag === VID) {
      vid = r.data();
      tag = r.next();
    }
    if (tag !== EOS) throw malformed('unexpected field in caveat');
    if (vid === undefined && cloc === undefined) {
      caveats.push({ id });
    } else {
      const cav: { id: Uint8Array; vid?: Uint8Array; location?: string } = { id };
      if (vid !== undefined) cav.vid = vid;
      if (cloc !== undefined) cav.location = cloc;
      caveats.push(cav);
    }
  }
  if (r.next() !== SIGNATURE) throw malformed('missing signature');
  if (r.end - r.start !== 32) throw malformed('signature must be 32 bytes');
  // go-macaroon accepts trailing bytes only when unmarshalling a slice of macaroons; a
  // single credential must end here.
  if (r.pos !== bytes.length) throw malformed('trailing bytes');
  return { location, identifier, caveats, signature: r.data() };
}

/** Decodes a concatenation of V2 macaroons (go-macaroon `Slice.UnmarshalBinary`). */
export function decodeMacaroonV2Slice(bytes: Uint8Array): Macaroon[] {
  const out: Macaroon[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const end = v2Length(rest);
    out.push(decodeMacaroonV2(rest.subarray(0, end)));
    rest = rest.subarray(end);
  }
  return out;
}

function v2Length(bytes: Uint8Array): number {
  if (bytes[0] !== 2) throw malformed('not a V2 macaroon');
  const r = new Reader(bytes);
  r.pos = 1;
  let sections = 0;
  for (;;) {
    const tag = r.next();
    if (tag === EOS) {
      sections++;
      continue;
    }
    if (tag === SIGNATURE) return r.pos;
    if (sections > MACAROON_LIMITS.maxCaveats + 2) throw malformed('too many sections');
  }
}
