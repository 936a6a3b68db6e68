/**
 * What the client remembers: paid tokens, payments in flight, and receipts. One document
 * behind a small interface so it can live in memory, in a file (`@farebox/client/node`) or
 * in a user's own store (localStorage, a database).
 *
 * @module
 */

/** A paid token, ready to use. */
export interface StoredToken {
  /** `origin:<origin>` for reusable tokens, `req:<method> <url> <body hash>` for request-bound ones. */
  scope: string;
  origin: string;
  /** Scheme to answer with (as the challenge wrote it). */
  scheme: string;
  /** Base64 macaroon, or empty for a payment-hash credential. */
  macaroon: string;
  /** Hex preimage (empty for a payment-hash credential). */
  preimage: string;
  paymentHash: string;
  /** Unix seconds when the token stops being useful, if known. */
  expiresAt?: number;
  /** The services its macaroon names (`services=` caveats), sorted and comma-joined. */
  services?: string;
  createdAt: number;
}

/** A payment started but not known to be finished: recorded before paying. */
export interface PendingPayment {
  scope: string;
  origin: string;
  scheme: string;
  macaroon: string;
  invoice: string;
  paymentHash: string;
  amountMsat: string;
  kind: 'token' | 'payment-hash';
  startedAt: number;
}

/** One payment made. */
export interface PaymentReceipt {
  /** Unix seconds. */
  time: number;
  host: string;
  method: string;
  path: string;
  amountMsat: string;
  feeMsat: string;
  paymentHash: string;
  preimage: string;
  /** Hex token id from the macaroon identifier, when it is an L402 one. */
  tokenId?: string;
  /**
   * `paid`; `rejected` when the server refused the paid token; `unknown` for a payment a
   * process started and never saw end, whose wallet cannot look payments up: counted as
   * spent (it may have gone through), with no preimage.
   */
  status: 'paid' | 'rejected' | 'unknown';
}

/** Everything the client keeps. */
export interface ClientData {
  tokens: StoredToken[];
  pending: PendingPayment[];
  receipts: PaymentReceipt[];
}

/** Where client data lives. `save` must persist before resolving (crash safety). */
export interface ClientStore {
  load(): Promise<ClientData>;
  save(data: ClientData): Promise<void>;
}

/** An empty document. */
export function emptyData(): ClientData {
  return { tokens: [], pending: [], receipts: [] };
}

/**
 * Keeps client data in memory (lost on exit).
 *
 * @example
 * ```ts
 * import { MemoryClientStore } from '@farebox/client';
 * const store = new MemoryClientStore();
 * ```
 */
export class MemoryClientStore implements ClientStore {
  #data: ClientData = emptyData();

  async load(): Promise<ClientData> {
    return this.#data;
  }

  async save(data: ClientData): Promise<void> {
    // The client mutates its loaded document in place: keeping the reference is enough.
    this.#data = data;
  }
}
