/**
 * BOLT11 invoice encoding and signing (BOLT #11 "Human-Readable Part", "Data Part", "Tagged
 * Fields"), for a node that mints invoices.
 *
 * Fields are written in a fixed order: `s p d h m n x c f… r… 9`, which is the order of most of
 * the spec's examples, so those are reproduced byte for byte.
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bech32 } from '@scure/base';
import { utf8 } from '../bytes.js';
import { invalidArgument } from '../errors.js';
import { formatAmount, MAX_AMOUNT_MSAT } from './amount.js';
import { featureBitsToWords, MAX_FEATURE_BIT } from './features.js';
import { TAG } from './fields.js';
import { bytesArg, intArg, isWellFormed } from './input.js';
import { NETWORK_PREFIX } from './networks.js';
import { HOP_BYTES, MAX_HOPS, shortChannelIdBytes } from './route-hints.js';
import { signatureBytes, signingHash } from './signature.js';
import type { EncodeInvoiceFields } from './types.js';
import { intToWords, pushBytesAsWords, wordCount } from './words.js';

/** Most data a field holds: 1023 words, 639 whole bytes. */
const MAX_FIELD_BYTES = 639;
const MAX_TIMESTAMP = 2 ** 35 - 1;
/** `x` and `c` are read back up to 10 words (50 bits). */
const MAX_FIELD_INT = 2 ** 50 - 1;

interface Validated {
  hrp: string;
  timestamp: number;
  paymentHash: Uint8Array;
  paymentSecret?: Uint8Array;
  description?: Uint8Array;
  descriptionHash?: Uint8Array;
  metadata?: Uint8Array;
  expirySeconds?: number;
  minFinalCltvExpiry?: number;
  features: number[];
  fallbacks: { version: number; program: Uint8Array }[];
  routes: Uint8Array[];
}

function validate(fields: EncodeInvoiceFields): Validated {
  if (typeof fields !== 'object' || fields === null) invalidArgument('fields', 'an object');
  const prefix = Object.hasOwn(NETWORK_PREFIX, fields.network) ? NETWORK_PREFIX[fields.network] : undefined;
  if (prefix === undefined)
    invalidArgument('fields.network', `one of ${Object.keys(NETWORK_PREFIX).join(', ')}`);
  let hrp = prefix;
  if (fields.amountMsat !== undefined) {
    const a = fields.amountMsat;
    if (typeof a !== 'bigint' || a < 1n || a > MAX_AMOUNT_MSAT) {
      invalidArgument('fields.amountMsat', 'a bigint in 1..2^64-1 millisatoshi');
    }
    hrp += formatAmount(a);
  }
  const timestamp =
    fields.timestamp === undefined
      ? Math.floor(Date.now() / 1000)
      : intArg(fields.timestamp, 'fields.timestamp', 0, MAX_TIMESTAMP);
  const v: Validated = {
    hrp,
    timestamp,
    paymentHash: bytesArg(fields.paymentHash, 'fields.paymentHash', { exact: 32 }),
    features: [],
    fallbacks: [],
    routes: [],
  };
  if (fields.paymentSecret !== undefined) {
    v.paymentSecret = bytesArg(fields.paymentSecret, 'fields.paymentSecret', { exact: 32 });
  }
  if ((fields.description === undefined) === (fields.descriptionHash === undefined)) {
    invalidArgument('fields.description', 'given, or else fields.descriptionHash (exactly one of the two)');
  }
  if (fields.description !== undefined) {
    const d = fields.description;
    const bytes = typeof d === 'string' && isWellFormed(d) ? utf8(d) : undefined;
    if (bytes === undefined || bytes.length > MAX_FIELD_BYTES) {
      invalidArgument('fields.description', `a well-formed string of at most ${MAX_FIELD_BYTES} UTF-8 bytes`);
    }
    v.description = bytes;
  } else {
    v.descriptionHash = bytesArg(fields.descriptionHash, 'fields.descriptionHash', { exact: 32 });
  }
  if (fields.metadata !== undefined) {
    v.metadata = bytesArg(fields.metadata, 'fields.metadata', { max: MAX_FIELD_BYTES });
  }
  if (fields.expirySeconds !== undefined) {
    v.expirySeconds = intArg(fields.expirySeconds, 'fields.expirySeconds', 0, MAX_FIELD_INT);
  }
  if (fields.minFinalCltvExpiry !== undefined) {
    v.minFinalCltvExpiry = intArg(fields.minFinalCltvExpiry, 'fields.minFinalCltvExpiry', 0, MAX_FIELD_INT);
  }
  if (fields.features !== undefined) {
    if (!Array.isArray(fields.features))
      invalidArgument('fields.features', 'an array of feature bit numbers');
    v.features = fields.features.map((b, i) => intArg(b, `fields.features[${i}]`, 0, MAX_FEATURE_BIT));
  }
  if (fields.fallbackAddresses !== undefined) {
    if (!Array.isArray(fields.fallbackAddresses)) invalidArgument('fields.fallbackAddresses', 'an array');
    fields.fallbackAddresses.forEach((fa, i) => {
      const name = `fields.fallbackAddresses[${i}]`;
      if (typeof fa !== 'object' || fa === null) invalidArgument(name, 'an object');
      const version = intArg(fa.version, `${name}.version`, 0, 18);
      const program = bytesArg(fa.program, `${name}.program`, { max: 40 });
      const n = program.length;
      if (!(version >= 17 ? n === 20 : version === 0 ? n === 20 || n === 32 : n >= 2)) {
        invalidArgument(`${name}.program`, 'a program of the length its version requires (BIP-141)');
      }
      v.fallbacks.push({ version, program });
    });
  }
  if (fields.routeHints !== undefined) {
    if (!Array.isArray(fields.routeHints)) invalidArgument('fields.routeHints', 'an array of routes');
    fields.routeHints.forEach((route, r) => {
      const name = `fields.routeHints[${r}]`;
      if (!Array.isArray(route) || route.length < 1 || route.length > MAX_HOPS) {
        invalidArgument(name, `an array of 1..${MAX_HOPS} hops`);
      }
      const bytes = new Uint8Array(route.length * HOP_BYTES);
      route.forEach((hop, h) => {
        const hn = `${name}[${h}]`;
        if (typeof hop !== 'object' || hop === null) invalidArgument(hn, 'an object');
        const o = h * HOP_BYTES;
        bytes.set(bytesArg(hop.pubkey, `${hn}.pubkey`, { exact: 33 }), o);
        const scid = shortChannelIdBytes(hop.shortChannelId);
        if (scid === undefined)
          invalidArgument(`${hn}.shortChannelId`, 'a "block x tx x output" string or a u64 bigint');
        bytes.set(scid, o + 33);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        view.setUint32(o + 41, intArg(hop.feeBaseMsat, `${hn}.feeBaseMsat`, 0, 0xffffffff));
        view.setUint32(
          o + 45,
          intArg(hop.feeProportionalMillionths, `${hn}.feeProportionalMillionths`, 0, 0xffffffff),
        );
        view.setUint16(o + 49, intArg(hop.cltvExpiryDelta, `${hn}.cltvExpiryDelta`, 0, 0xffff));
      });
      v.routes.push(bytes);
    });
  }
  if (fields.includePayeeNodeId !== undefined && typeof fields.includePayeeNodeId !== 'boolean') {
    invalidArgument('fields.includePayeeNodeId', 'a boolean');
  }
  return v;
}

function pushField(words: number[], tag: number, data: readonly number[]): void {
  words.push(tag, data.length >> 5, data.length & 31);
  for (const w of data) words.push(w);
}

function pushBytesField(words: number[], tag: number, bytes: Uint8Array, prefixWord?: number): void {
  const len = wordCount(bytes.length) + (prefixWord === undefined ? 0 : 1);
  words.push(tag, len >> 5, len & 31);
  if (prefixWord !== undefined) words.push(prefixWord);
  pushBytesAsWords(words, bytes);
}

/**
 * Encodes and signs a BOLT11 invoice.
 *
 * The amount gets the largest multiplier that represents it exactly (the shortest text). The
 * signature is deterministic (RFC 6979, low-S), so the same fields and key give the same
 * invoice. Every argument is checked first; a bad one throws `INVALID_ARGUMENT` naming it.
 * Exactly one of `description` / `descriptionHash` is required, and a 32-byte `paymentHash`.
 * Feature bits are written as given: an unknown even bit makes spec-conforming readers refuse
 * the invoice.
 *
 * @example
 * ```ts
 * import { encodeInvoice } from '@farebox/core/bolt11';
 * import { fromHex, randomBytes } from '@farebox/core';
 * import { sha256 } from '@noble/hashes/sha2.js';
 * const preimage = randomBytes(32);
 * const invoice = encodeInvoice(
 *   {
 *     network: 'regtest',
 *     amountMsat: 21_000n,
 *     paymentHash: sha256(preimage),
 *     paymentSecret: randomBytes(32),
 *     description: 'one API call',
 *     expirySeconds: 600,
 *     features: [8, 14, 17],
 *   },
 *   fromHex('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734'),
 * );
 * invoice.startsWith('lnbcrt210n1'); // true
 * ```
 */
export function encodeInvoice(fields: EncodeInvoiceFields, privateKey: Uint8Array): string {
  const v = validate(fields);
  if (!(privateKey instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(privateKey)) {
    invalidArgument('privateKey', 'a 32-byte secp256k1 secret key');
  }

  const words = intToWords(v.timestamp);
  while (words.length < 7) words.unshift(0);
  if (v.paymentSecret) pushBytesField(words, TAG.paymentSecret, v.paymentSecret);
  pushBytesField(words, TAG.paymentHash, v.paymentHash);
  if (v.description) pushBytesField(words, TAG.description, v.description);
  if (v.descriptionHash) pushBytesField(words, TAG.descriptionHash, v.descriptionHash);
  if (v.metadata) pushBytesField(words, TAG.metadata, v.metadata);
  if (fields.includePayeeNodeId === true) {
    pushBytesField(words, TAG.payee, secp256k1.getPublicKey(privateKey, true));
  }
  if (v.expirySeconds !== undefined) pushField(words, TAG.expiry, intToWords(v.expirySeconds));
  if (v.minFinalCltvExpiry !== undefined) {
    pushField(words, TAG.minFinalCltvExpiry, intToWords(v.minFinalCltvExpiry));
  }
  for (const fa of v.fallbacks) pushBytesField(words, TAG.fallback, fa.program, fa.version);
  for (const route of v.routes) pushBytesField(words, TAG.routeHint, route);
  const featureWords = featureBitsToWords(v.features);
  if (featureWords.length > 0) pushField(words, TAG.features, featureWords);

  const hash = signingHash(v.hrp, words, words.length);
  pushBytesAsWords(words, signatureBytes(hash, privateKey));
  // `false`: BOLT #11 writers MAY exceed BIP-0173's 90-character limit.
  return bech32.encode(v.hrp, words, false);
}
