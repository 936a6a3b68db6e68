/**
 * Node-only parts of `@farebox/lightning`: adapters that need Node (lnd with its
 * self-signed certificate, gRPC, files), opening a backend from a connection string, and
 * serving a handler on `node:http`.
 *
 * @module
 */
export * from './connect.js';
export * from './serve.js';
