/**
 * Node-only parts of `@farebox/lightning`: adapters that need Node (lnd with its
 * self-signed certificate, gRPC, files), opening a backend from a connection string, and
 * serving a handler on `node:http`.
 *
 * @module
 */
export * from './connect.js';
export { type LndConnection, type LndOptions, lndOptionsFromConnection } from './lnd-common.js';
export { LndGrpc } from './lnd-grpc.js';
export { LndRest } from './lnd-rest.js';
export * from './serve.js';
export { createTlsFetch, type TlsFetch, type TlsFetchOptions } from './tls.js';
