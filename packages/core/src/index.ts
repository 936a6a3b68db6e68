/**
 * `@farebox/core`: the L402 protocol with no I/O and Web Standards only (runs in Node,
 * Workers, Deno, Bun and browsers).
 *
 * @module
 */
export * from './auth-params.js';
export * from './bolt11/index.js';
export * from './bytes.js';
export * from './caveats.js';
export * from './crypto/index.js';
export * from './errors.js';
export * from './headers.js';
export * from './identifier.js';
export * from './keyring.js';
export * from './macaroon/index.js';
export * from './mint.js';
export * from './request-binding.js';
export * from './verify.js';
