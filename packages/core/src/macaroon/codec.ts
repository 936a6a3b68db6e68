/**
 * Reading a macaroon in whatever form it arrives: V2 binary, V1 packets or JSON, as raw
 * bytes or as base64 (standard or URL alphabet, padded or not) or hex text.
 *
 * @module
 */
import { fromBase64, fromHex, isHex, toBase64 } from '../bytes.js';
import { ErrorCodes, FareboxError } from '../errors.js';
import { macaroonFromJSON } from './json.js';
import { MACAROON_LIMITS, type Macaroon } from './types.js';
import { decodeMacaroonV1, looksLikeV1 } from './v1.js';
import { decodeMacaroonV2, encodeMacaroonV2 } from './v2.js';

const dec = new TextDecoder();

/**
 * Decodes macaroon bytes in any of the three formats (detected from the first byte).
 *
 * @example
 * ```ts
 * import { createMacaroon, decodeMacaroon, encodeMacaroonV2, randomBytes, utf8 } from '@farebox/core';
 * const m = decodeMacaroon(encodeMacaroonV2(createMacaroon({ rootKey: randomBytes(32), identifier: utf8('x') })));
 * ```
 */
export function decodeMacaroon(bytes: Uint8Array): Macaroon {
  if (bytes.length === 0) throw new FareboxError(ErrorCodes.MALFORMED_MACAROON, 'empty macaroon');
  if (bytes.length > MACAROON_LIMITS.maxBytes) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `macaroon larger than ${MACAROON_LIMITS.maxBytes} bytes`);
  }
  if (bytes[0] === 2) return decodeMacaroonV2(bytes);
  if (bytes[0] === 0x7b /* { */) return macaroonFromJSON(dec.decode(bytes));
  if (looksLikeV1(bytes)) return decodeMacaroonV1(bytes);
  throw new FareboxError(ErrorCodes.MALFORMED_MACAROON, 'unknown macaroon format');
}

/**
 * Parses a macaroon from text: base64 (any alphabet/padding), hex (as lncli prints) or JSON.
 *
 * @example
 * ```ts
 * import { parseMacaroon } from '@farebox/core';
 * // parseMacaroon('AgEEbHNhdAJC…') → { location: 'lsat', identifier, caveats, signature }
 * ```
 */
export function parseMacaroon(text: string): Macaroon {
  if (typeof text !== 'string') {
    throw new FareboxError(ErrorCodes.MALFORMED_MACAROON, 'macaroon must be a string');
  }
  if (text.length > MACAROON_LIMITS.maxBytes * 2) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `macaroon text longer than ${MACAROON_LIMITS.maxBytes * 2}`);
  }
  const t = text.trim();
  if (t.startsWith('{')) return macaroonFromJSON(t);
  if (t.startsWith('02') && isHex(t)) return decodeMacaroon(fromHex(t));
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(t, 'macaroon');
  } catch (cause) {
    throw new FareboxError(ErrorCodes.MALFORMED_MACAROON, 'macaroon is not base64', { cause });
  }
  return decodeMacaroon(bytes);
}

/** The macaroon as padded standard base64 of its V2 binary form (the form Aperture sends). */
export function macaroonToBase64(m: Macaroon): string {
  return toBase64(encodeMacaroonV2(m));
}
