/**
 * `@farebox/core`: the L402 protocol with no I/O.
 *
 * @module
 */
export * from './bytes.js';
export * from './errors.js';
