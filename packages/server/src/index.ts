/**
 * `@farebox/server`: sell any HTTP API per request over L402.
 *
 * @module
 */
export * from './body.js';
export * from './client-ip.js';
export * from './cors.js';
export * from './discovery.js';
export { Paywall } from './engine.js';
export * from './page.js';
export * from './responses.js';
export * from './routes.js';
export * from './store/memory.js';
export * from './store/types.js';
export * from './types.js';
export * from './webhook.js';
