/**
 * Node-only parts of `@farebox/lightning`: adapters that need Node (lnd with its
 * self-signed certificate, gRPC, files) and serving a handler on `node:http`.
 *
 * @module
 */
export * from './serve.js';
