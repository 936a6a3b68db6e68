/**
 * The amount in the human-readable part (BOLT #11 "Human-Readable Part"): a positive decimal with
 * no leading zeros, in bitcoin, times an optional multiplier `m` (10^-3), `u` (10^-6),
 * `n` (10^-9) or `p` (10^-12). One bitcoin is 10^11 millisatoshi.
 *
 * @module
 */
import { invalidInvoice } from './errors.js';

/** Millisatoshi per unit of each multiplier; `p` is a tenth of a millisatoshi, handled apart. */
const MSAT_PER_UNIT: readonly (readonly [string, bigint])[] = [
  ['', 100_000_000_000n],
  ['m', 100_000_000n],
  ['u', 100_000n],
  ['n', 100n],
];

/** HTLC amounts are u64 millisatoshi (BOLT #2), so nothing larger is payable. */
export const MAX_AMOUNT_MSAT = 0xffff_ffff_ffff_ffffn;

// 20 digits already exceed MAX_AMOUNT_MSAT * 10; checking length first keeps BigInt parsing
// (superlinear in digits) off attacker-sized input.
const MAX_DIGITS = 21;

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Parses the amount text of a human-readable part into millisatoshi (`undefined` when empty). */
export function parseAmount(text: string): bigint | undefined {
  if (text === '') return undefined;
  const last = text[text.length - 1]!;
  const hasMultiplier = last === 'm' || last === 'u' || last === 'n' || last === 'p';
  const digits = hasMultiplier ? text.slice(0, -1) : text;
  if (digits === '') invalidInvoice(`amount multiplier "${last}" without digits`);
  if (!isDigits(digits)) {
    invalidInvoice('amount must be digits followed by an optional multiplier m, u, n or p', {
      amount: text.slice(0, 24),
    });
  }
  if (digits[0] === '0') invalidInvoice('amount must be positive with no leading zeros');
  if (digits.length > MAX_DIGITS) invalidInvoice('amount is too large');
  const value = BigInt(digits);
  let msat: bigint;
  if (last === 'p') {
    // BOLT #11: with `p` the last decimal MUST be 0, else the amount is below a millisatoshi.
    if (value % 10n !== 0n) invalidInvoice('amount has sub-millisatoshi precision');
    msat = value / 10n;
  } else {
    const unit = hasMultiplier ? MSAT_PER_UNIT.find(([m]) => m === last)![1] : MSAT_PER_UNIT[0]![1];
    msat = value * unit;
  }
  if (msat > MAX_AMOUNT_MSAT) invalidInvoice('amount exceeds 2^64-1 millisatoshi');
  return msat;
}

/**
 * Encodes millisatoshi with the largest exact multiplier, which is also the shortest text
 * (BOLT #11: a writer SHOULD use the shortest representation).
 */
export function formatAmount(msat: bigint): string {
  for (const [suffix, unit] of MSAT_PER_UNIT) {
    if (msat % unit === 0n) return `${msat / unit}${suffix}`;
  }
  return `${msat * 10n}p`;
}
