/**
 * `@farebox/lightning`: one interface for Lightning backends and an adapter per backend.
 * This entry point is Web Standards only (fetch, WebSocket); adapters that need Node
 * (lnd with a self-signed certificate, gRPC, files) are in `@farebox/lightning/node`.
 *
 * @module
 */
export * from './blink.js';
export * from './cln.js';
export * from './connection.js';
export * from './dev-node.js';
export * from './dev-node-remote.js';
export {
  DEFAULT_TIMEOUT_MS,
  deadline,
  type FetchLike,
  lnError,
  pollInvoice,
  requestJson,
} from './http.js';
export { LnbitsBackend, type LnbitsOptions } from './lnbits.js';
export * from './nwc/index.js';
export * from './phoenixd.js';
export * from './types.js';
