/**
 * `@farebox/gateway`: a zero-code L402 paywall in front of any HTTP service.
 *
 * @module
 */
export * from './admin.js';
export * from './aperture.js';
export * from './config.js';
export * from './dashboard.js';
export * from './gateway.js';
export * from './ledger.js';
export * from './metrics.js';
export * from './runtime.js';
export * from './schema.js';
