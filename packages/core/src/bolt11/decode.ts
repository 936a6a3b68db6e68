/**
 * BOLT11 invoice decoding with signature check (BOLT #11 "Encoding Overview" to "Tagged Fields").
 *
 * Order of work: length cap, then cheap structural checks (case, separator, alphabet, prefix,
 * amount), then the bech32 checksum, the tagged fields, and last the signature, which costs
 * about a millisecond and so only runs on an otherwise well-formed invoice.
 *
 * @module
 */
import { bech32 } from '@scure/base';
import { toHex } from '../bytes.js';
import { ErrorCodes, FareboxError, invalidArgument } from '../errors.js';
import { parseAmount } from './amount.js';
import { invalidInvoice } from './errors.js';
import { parseTaggedFields } from './fields.js';
import { splitHrp } from './networks.js';
import { readSignature, recoverPayee, SIGNATURE_WORDS, signingHash, verifyPayee } from './signature.js';
import type { DecodedInvoice, DecodeInvoiceOptions } from './types.js';
import { wordsToInt } from './words.js';

/** Default input cap: the most characters a QR code holds in alphanumeric mode. */
export const DEFAULT_MAX_INVOICE_LENGTH = 7089;

/** BOLT #11 defaults for absent `x` and `c` fields. */
export const DEFAULT_EXPIRY_SECONDS = 3600;
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY = 18;

/** 35-bit timestamp. */
const TIMESTAMP_WORDS = 7;

const URI_PREFIX = 'lightning:';

/** 1 for the 32 lowercase bech32 data characters, 0 otherwise. */
const IS_BECH32 = new Uint8Array(128);
for (const c of 'qpzry9x8gf2tvdw0s3jn54khce6mua7l') IS_BECH32[c.charCodeAt(0)] = 1;

/** BIP-0173: every character is printable US-ASCII (33..126); catches e.g. U+212A, which lowercases to `k`. */
function checkPrintableAscii(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126) invalidInvoice('character outside printable ASCII', { index: i });
  }
}

function checkDataChars(s: string, from: number): void {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (IS_BECH32[c] !== 1) invalidInvoice('character outside the bech32 alphabet', { index: i });
  }
}

function decodeChecked(input: string, allowMissingPaymentSecret: boolean): DecodedInvoice {
  // BOLT #11 recommends `lightning:` as URI scheme; QR codes may carry it upper case.
  const body =
    input.length > URI_PREFIX.length && input.slice(0, URI_PREFIX.length).toLowerCase() === URI_PREFIX
      ? input.slice(URI_PREFIX.length)
      : input;
  checkPrintableAscii(body);
  const lower = body.toLowerCase();
  // BIP-0173: all lower or all upper case; never mixed.
  if (lower !== body && body.toUpperCase() !== body) invalidInvoice('mixes upper and lower case');
  const sep = lower.lastIndexOf('1');
  if (sep < 1) invalidInvoice('no bech32 separator "1" after a human-readable part');
  checkDataChars(lower, sep + 1);
  const hrp = lower.slice(0, sep);
  const { network, amount } = splitHrp(hrp);
  const amountMsat = parseAmount(amount);
  if (lower.length - sep - 1 < 6) invalidInvoice('too short to hold a bech32 checksum');

  let words: number[];
  try {
    // `false`: no 90-character limit (BOLT #11 readers parse "without the character limit");
    // the caller's cap was applied before anything else.
    words = bech32.decode(lower as `${string}1${string}`, false).words;
  } catch (cause) {
    return invalidInvoice('bech32 checksum mismatch', undefined, cause);
  }
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) {
    invalidInvoice('too short to hold a timestamp and a signature', { words: words.length });
  }

  const sigStart = words.length - SIGNATURE_WORDS;
  const timestamp = wordsToInt(words, 0, TIMESTAMP_WORDS);
  const f = parseTaggedFields(words, TIMESTAMP_WORDS, sigStart);
  if (f.paymentHash === undefined) invalidInvoice('missing payment hash (p)');
  if (f.paymentSecret === undefined && !allowMissingPaymentSecret)
    invalidInvoice('missing payment secret (s)');
  if (f.description === undefined && f.descriptionHash === undefined) {
    invalidInvoice('needs a description (d) or a description hash (h)');
  }
  if (f.description !== undefined && f.descriptionHash !== undefined) {
    invalidInvoice('has both a description (d) and a description hash (h)');
  }

  const { compact, recoveryFlag } = readSignature(words, sigStart);
  const hash = signingHash(hrp, words, sigStart);
  let payee: Uint8Array;
  if (f.payee !== undefined) {
    verifyPayee(compact, hash, f.payee);
    payee = f.payee;
  } else {
    payee = recoverPayee(compact, recoveryFlag, hash);
  }

  const expirySeconds = f.expirySeconds ?? DEFAULT_EXPIRY_SECONDS;
  return {
    paymentRequest: lower,
    network,
    amountMsat,
    timestamp,
    expirySeconds,
    expiresAt: timestamp + expirySeconds,
    paymentHash: f.paymentHash,
    paymentSecret: f.paymentSecret,
    description: f.description,
    descriptionHash: f.descriptionHash,
    payee: toHex(payee),
    minFinalCltvExpiry: f.minFinalCltvExpiry ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY,
    fallbackAddresses: f.fallbackAddresses,
    routeHints: f.routeHints,
    features: f.features,
    metadata: f.metadata,
    signature: toHex(compact),
    recoveryFlag,
    unknownTags: f.unknownTags,
  };
}

/**
 * Decodes a BOLT11 payment request and checks its signature.
 *
 * Accepts upper or lower case and an optional `lightning:` prefix. The payee key comes from the
 * `n` field when present (the signature is then verified against it and must be low-S), else it is
 * recovered from the signature. Unknown fields are kept in `unknownTags`; fields of a known type
 * with the wrong length are skipped, as BOLT #11 says. Absent optional fields are `undefined`.
 *
 * Throws `FareboxError`: `L402_TOO_LARGE` when the input is longer than `options.maxLength`
 * (checked first), `BOLT11_INVALID` with a message saying what is wrong for anything malformed,
 * `INVALID_ARGUMENT` when `paymentRequest` is not a string or an option has the wrong type.
 *
 * Checking the signature is the cost (about 1 ms with noble); the rest is linear in the length.
 *
 * @example
 * ```ts
 * import { decodeInvoice, invoiceIsExpired } from '@farebox/core/bolt11';
 * const inv = decodeInvoice('lightning:lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh');
 * inv.amountMsat; // 250000000n
 * inv.description; // '1 cup coffee'
 * invoiceIsExpired(inv, Math.floor(Date.now() / 1000)); // true: it expired in 2017
 * ```
 */
export function decodeInvoice(paymentRequest: string, options?: DecodeInvoiceOptions): DecodedInvoice {
  if (typeof paymentRequest !== 'string') invalidArgument('paymentRequest', 'a string');
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    invalidArgument('options', 'an object');
  }
  const maxLength = options?.maxLength ?? DEFAULT_MAX_INVOICE_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    invalidArgument('options.maxLength', 'a positive integer');
  }
  const allowMissing = options?.allowMissingPaymentSecret ?? false;
  if (typeof allowMissing !== 'boolean') invalidArgument('options.allowMissingPaymentSecret', 'a boolean');
  if (paymentRequest.length > maxLength) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `invoice is longer than ${maxLength} characters`, {
      data: { length: paymentRequest.length, maxLength },
    });
  }
  try {
    return decodeChecked(paymentRequest, allowMissing);
  } catch (cause) {
    if (cause instanceof FareboxError) throw cause;
    // Defence in depth: the checks above should leave nothing to throw, but whatever does is
    // still reported as a refused invoice, never as a TypeError or RangeError.
    return invalidInvoice('malformed invoice', undefined, cause);
  }
}
