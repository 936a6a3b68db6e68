/**
 * Nostr Wallet Connect (NIP-47): the backend, the URI parser, the NIP-47 wire helpers and
 * the relay connection the backend runs on.
 *
 * @module
 */

export {
  messageText,
  resolveWebSocket,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../websocket.js';
export { NwcBackend, type NwcOptions } from './client.js';
export {
  chooseEncryption,
  Nip47Cipher,
  type Nip47Encryption,
  type Nip47Info,
  type Nip47Response,
  type Nip47Transaction,
  NWC_KINDS,
  type NwcConnection,
  nip47Error,
  parseInfoEvent,
  parseNwcUri,
  transactionToStatus,
} from './nip47.js';
export { type NostrEvent, type NostrFilter, RelayConnection, type SubscriptionHandlers } from './relay.js';
