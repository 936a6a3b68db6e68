/**
 * The `9` field: a big-endian feature bit vector (BOLT #11 "Feature Bits", BOLT #9), bit 0 being
 * the least significant bit of the last word. Even bits are required, odd bits optional
 * ("it's OK to be odd").
 *
 * @module
 */
import { invalidInvoice } from './errors.js';

/**
 * Even (required) bits a payer can be expected to understand in an invoice: the BOLT #9 features
 * with context `9` (basic_mpp 16, option_route_blinding 24, option_attribution_data 36,
 * option_payment_metadata 48) and the ASSUMED ones invoices still carry (var_onion_optin 8,
 * payment_secret 14). BOLT #11: a reader MUST fail an invoice with an unknown even bit set.
 */
const KNOWN_REQUIRED = new Set([8, 14, 16, 24, 36, 48]);

/** Largest bit a `9` field can carry: 1023 words of 5 bits. */
export const MAX_FEATURE_BIT = 1023 * 5 - 1;

/** Set bits of the feature words `[start, end)`, ascending. */
export function featureBitsFromWords(words: ArrayLike<number>, start: number, end: number): number[] {
  const bits: number[] = [];
  for (let i = end - 1, base = 0; i >= start; i--, base += 5) {
    const w = words[i]!;
    if (w === 0) continue;
    for (let b = 0; b < 5; b++) if (w & (1 << b)) bits.push(base + b);
  }
  return bits;
}

/** Minimal-length feature words for a set of bits (no leading zero word); `[]` when none is set. */
export function featureBitsToWords(bits: readonly number[]): number[] {
  let max = -1;
  for (const b of bits) if (b > max) max = b;
  if (max < 0) return [];
  const words = new Array<number>(Math.floor(max / 5) + 1).fill(0);
  for (const b of bits) words[words.length - 1 - Math.floor(b / 5)]! |= 1 << (b % 5);
  return words;
}

function has(bits: readonly number[], bit: number): boolean {
  return bits.includes(bit) || bits.includes(bit + 1);
}

/**
 * Applies the reader rules: fail on an unknown even bit, and on a vector that misses a known
 * dependency (BOLT #9: basic_mpp needs payment_secret).
 */
export function checkFeatures(bits: readonly number[]): void {
  for (const b of bits) {
    if (b % 2 === 0 && !KNOWN_REQUIRED.has(b)) {
      invalidInvoice(`unknown required feature bit ${b}`, { featureBit: b });
    }
  }
  if (has(bits, 16) && !has(bits, 14)) invalidInvoice('feature basic_mpp is set without payment_secret');
}
