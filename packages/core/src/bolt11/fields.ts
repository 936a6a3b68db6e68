/**
 * Tagged fields (BOLT #11 "Tagged Fields"): `type` (5 bits) ‖ `data_length` (10 bits) ‖ data.
 *
 * Reader rules applied here: fixed-length fields (`p`, `h`, `s`, `n`) of the wrong length and `f`
 * fields of an unknown version are skipped; for single-valued fields the first valid one wins
 * (the writer puts the preferred one first); `x`, `c` and `9` with a leading zero word are
 * refused (the spec says SHOULD); unknown types are kept in `unknownTags`.
 *
 * @module
 */
import { toHex } from '../bytes.js';
import { invalidInvoice } from './errors.js';
import { checkFeatures, featureBitsFromWords } from './features.js';
import { HOP_BYTES, parseRouteHint } from './route-hints.js';
import type { FallbackAddress, RouteHint, UnknownTag } from './types.js';
import { utf8Strict } from './utf8.js';
import { wordCount, wordsToBytes, wordsToInt } from './words.js';

/** Field types, by their bech32 letter. */
export const TAG = {
  paymentHash: 1, // p
  routeHint: 3, // r
  features: 5, // 9
  expiry: 6, // x
  fallback: 9, // f
  description: 13, // d
  paymentSecret: 16, // s
  payee: 19, // n
  descriptionHash: 23, // h
  minFinalCltvExpiry: 24, // c
  metadata: 27, // m
} as const;

/** Data length of `p`, `s`, `h` (256 bits) and `n` (264 bits), in words. */
export const HASH_WORDS = 52;
export const PUBKEY_WORDS = 53;

/** Longest `x` / `c` value read: 10 words (50 bits) keep `timestamp + expiry` a safe integer. */
const MAX_INT_WORDS = 10;

/** What the tagged fields say, before the signature is checked. */
export interface TaggedFields {
  paymentHash?: string;
  paymentSecret?: string;
  description?: string;
  descriptionHash?: string;
  payee?: Uint8Array;
  expirySeconds?: number;
  minFinalCltvExpiry?: number;
  metadata?: string;
  features?: number[];
  fallbackAddresses?: FallbackAddress[];
  routeHints?: RouteHint[];
  unknownTags: UnknownTag[];
}

function readInt(words: ArrayLike<number>, start: number, end: number, name: string): number {
  if (end > start && words[start] === 0) invalidInvoice(`${name} field has a leading zero word`);
  if (end - start > MAX_INT_WORDS) invalidInvoice(`${name} field is too large`);
  return wordsToInt(words, start, end);
}

/** Witness programs are 2..40 bytes, v0 exactly 20 or 32 (BIP-141); P2PKH and P2SH hash 20. */
function fallback(words: ArrayLike<number>, start: number, end: number): FallbackAddress | undefined {
  if (end === start) return undefined;
  const version = words[start]!;
  if (version > 18) return undefined; // BOLT #11: MUST skip unknown versions
  const program = wordsToBytes(words, start + 1, end);
  const n = program.length;
  if (end - start - 1 !== wordCount(n)) return undefined; // more padding than a byte boundary needs
  const ok = version >= 17 ? n === 20 : version === 0 ? n === 20 || n === 32 : n >= 2 && n <= 40;
  return ok ? { version, program: toHex(program) } : undefined;
}

/**
 * Reads the tagged fields in words `[start, end)`. Throws BOLT11_INVALID when a field runs past
 * `end` or a field that must be refused is found.
 */
export function parseTaggedFields(words: ArrayLike<number>, start: number, end: number): TaggedFields {
  const f: TaggedFields = { unknownTags: [] };
  let i = start;
  while (i < end) {
    if (i + 3 > end) invalidInvoice('truncated tagged field header', { offset: i });
    const tag = words[i]!;
    const len = words[i + 1]! * 32 + words[i + 2]!;
    const s = i + 3;
    const e = s + len;
    if (e > end) invalidInvoice('tagged field runs into the signature', { tag, offset: i });
    switch (tag) {
      case TAG.paymentHash:
        if (len === HASH_WORDS && f.paymentHash === undefined) {
          f.paymentHash = toHex(wordsToBytes(words, s, e));
        }
        break;
      case TAG.paymentSecret:
        if (len === HASH_WORDS && f.paymentSecret === undefined) {
          f.paymentSecret = toHex(wordsToBytes(words, s, e));
        }
        break;
      case TAG.descriptionHash:
        if (len === HASH_WORDS && f.descriptionHash === undefined) {
          f.descriptionHash = toHex(wordsToBytes(words, s, e));
        }
        break;
      case TAG.payee:
        if (len === PUBKEY_WORDS && f.payee === undefined) f.payee = wordsToBytes(words, s, e);
        break;
      case TAG.description:
        if (f.description === undefined) {
          const text = utf8Strict(wordsToBytes(words, s, e));
          if (text === undefined) invalidInvoice('description (d) is not valid UTF-8');
          f.description = text;
        }
        break;
      case TAG.metadata:
        if (f.metadata === undefined) f.metadata = toHex(wordsToBytes(words, s, e));
        break;
      case TAG.expiry: {
        const v = readInt(words, s, e, 'expiry (x)');
        if (f.expirySeconds === undefined) f.expirySeconds = v;
        break;
      }
      case TAG.minFinalCltvExpiry: {
        const v = readInt(words, s, e, 'min_final_cltv_expiry (c)');
        if (f.minFinalCltvExpiry === undefined) f.minFinalCltvExpiry = v;
        break;
      }
      case TAG.features:
        if (len > 0 && words[s] === 0) invalidInvoice('features (9) field has a leading zero word');
        if (f.features === undefined) {
          f.features = featureBitsFromWords(words, s, e);
          checkFeatures(f.features);
        }
        break;
      case TAG.fallback: {
        const address = fallback(words, s, e);
        if (address !== undefined) {
          if (f.fallbackAddresses === undefined) f.fallbackAddresses = [];
          f.fallbackAddresses.push(address);
        }
        break;
      }
      case TAG.routeHint: {
        const bytes = wordsToBytes(words, s, e);
        // Whole hops only, with no more padding than the last byte needs; otherwise skip.
        if (bytes.length > 0 && bytes.length % HOP_BYTES === 0 && len === wordCount(bytes.length)) {
          if (f.routeHints === undefined) f.routeHints = [];
          f.routeHints.push(parseRouteHint(bytes));
        }
        break;
      }
      default:
        f.unknownTags.push({ tag, wordLength: len, data: toHex(wordsToBytes(words, s, e, true)) });
    }
    i = e;
  }
  return f;
}
