/**
 * `@farebox/client`: pay L402 APIs automatically, within a budget.
 *
 * @module
 */
export * from './axios.js';
export * from './budget.js';
export * from './challenge.js';
export * from './client.js';
export * from './dev-pay-wallet.js';
export * from './store.js';
export * from './webln.js';
