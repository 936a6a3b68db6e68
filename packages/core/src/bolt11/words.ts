/**
 * Conversions between bech32 5-bit words and bytes or integers, working on index ranges of the
 * decoded word array so fields are never sliced into copies first.
 *
 * @module
 */

/**
 * Packs words `[start, end)` MSB-first into `out` from `offset`; returns the next offset. Bits that
 * do not fill a last byte are written zero-padded when `pad` is set, else dropped.
 */
export function packWords(
  words: ArrayLike<number>,
  start: number,
  end: number,
  out: Uint8Array,
  offset: number,
  pad: boolean,
): number {
  let acc = 0;
  let bits = 0;
  let o = offset;
  for (let i = start; i < end; i++) {
    // At most 7 pending bits + 5 new ones: 12 bits of accumulator suffice.
    acc = ((acc << 5) | words[i]!) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (pad && bits > 0) out[o++] = (acc << (8 - bits)) & 0xff;
  return o;
}

/**
 * Bytes of words `[start, end)`. By default the incomplete last byte is dropped: BOLT #11 pads
 * field data with zero bits up to a multiple of 5, so those bits carry no data. With `pad` it is
 * kept, zero-filled (for data of unknown meaning).
 */
export function wordsToBytes(words: ArrayLike<number>, start: number, end: number, pad = false): Uint8Array {
  const nbits = (end - start) * 5;
  const out = new Uint8Array(pad ? Math.ceil(nbits / 8) : nbits >>> 3);
  packWords(words, start, end, out, 0, pad);
  return out;
}

/** Splits bytes into 5-bit words MSB-first, zero-padding the last word, appended to `out`. */
export function pushBytesAsWords(out: number[], bytes: Uint8Array): void {
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]!) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
}

/** Number of words {@link pushBytesAsWords} produces for `byteLength` bytes. */
export function wordCount(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

/** Big-endian unsigned integer of words `[start, end)`; callers bound the length to 10 words (50 bits). */
export function wordsToInt(words: ArrayLike<number>, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) v = v * 32 + words[i]!;
  return v;
}

/** Minimal big-endian words of a non-negative safe integer (`0` is no words at all). */
export function intToWords(value: number): number[] {
  const out: number[] = [];
  while (value > 0) {
    out.push(value % 32);
    value = Math.floor(value / 32);
  }
  return out.reverse();
}
