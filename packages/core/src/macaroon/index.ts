/**
 * Macaroons byte-compatible with gopkg.in/macaroon.v2 (lnd, Aperture): V2 binary, V1 and
 * JSON encodings, the HMAC chain, attenuation.
 *
 * @module
 */
export { computeSignature, deriveMacaroonKey, signatureMatches } from './chain.js';
export { decodeMacaroon, macaroonToBase64, parseMacaroon } from './codec.js';
export { addCaveats, type CreateMacaroonOptions, createMacaroon } from './create.js';
export { macaroonFromJSON, macaroonToJSON, macaroonToJSONV1 } from './json.js';
export { MACAROON_LIMITS, type Macaroon, type MacaroonCaveat } from './types.js';
export { decodeMacaroonV1, encodeMacaroonV1 } from './v1.js';
export { decodeMacaroonV2, decodeMacaroonV2Slice, encodeMacaroonV2 } from './v2.js';
