/**
 * `@farebox/lightning`: one interface for Lightning backends and an adapter per backend.
 * This entry point is Web Standards only (fetch, WebSocket); adapters that need Node
 * (lnd with a self-signed certificate, gRPC, files) are in `@farebox/lightning/node`.
 *
 * @module
 */
export * from './connection.js';
export * from './dev-node.js';
export {
  DEFAULT_TIMEOUT_MS,
  deadline,
  type FetchLike,
  lnError,
  pollInvoice,
  requestJson,
} from './http.js';
export * from './types.js';
export * from './dev-node-remote.js';
