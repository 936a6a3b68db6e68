/**
 * The hashes the L402 hot path needs: SHA-256 and HMAC-SHA256, allocation-free.
 *
 * @module
 */
export { HmacKey, hmacSha256 } from './hmac.js';
export { sha256 } from './sha256.js';
