/**
 * NIP-47 (Nostr Wallet Connect) wire details: the connection URI, the event kinds, the
 * encryption negotiation (NIP-44 v2 preferred, NIP-04 for older wallets), and the mapping
 * of NIP-47 error codes and transactions to farebox's. Pure functions; no I/O.
 *
 * Spec: https://github.com/nostr-protocol/nips/blob/master/47.md
 *
 * @module
 */
import { type ErrorCode, ErrorCodes, FareboxError, fromHex, isHex, sha256, toHex } from '@farebox/core';
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';
import { getPublicKey } from 'nostr-tools/pure';
import { lnError } from '../http.js';
import type { InvoiceState, InvoiceStatus } from '../types.js';

/** NIP-47 event kinds. */
export const NWC_KINDS = {
  /** The wallet's replaceable info event: capabilities, `encryption` and `notifications` tags. */
  info: 13194,
  request: 23194,
  response: 23195,
  /** Notifications encrypted with NIP-04 (legacy). */
  notificationNip04: 23196,
  /** Notifications encrypted with NIP-44. */
  notification: 23197,
} as const;

/** An encryption scheme named in the `encryption` tag. */
export type Nip47Encryption = 'nip44_v2' | 'nip04';

/** A parsed `nostr+walletconnect://` URI. */
export interface NwcConnection {
  /** The wallet service's pubkey (hex, x-only). */
  walletPubkey: string;
  /** Relay URLs (`wss://` or `ws://`), in the URI's order. */
  relays: string[];
  /** The client's secret key (32 bytes): signs requests, encrypts payloads. */
  secret: Uint8Array;
  /** The client's pubkey (hex), derived from `secret`. */
  clientPubkey: string;
  /** Lightning address, when the URI gives one. */
  lud16?: string;
}

/** What the wallet's info event (kind 13194) says. */
export interface Nip47Info {
  /** Capabilities from the event content (`pay_invoice get_balance … notifications`). */
  methods: string[];
  /** Notification types (`notifications` tag). */
  notifications: string[];
  /** Encryption schemes (`encryption` tag; absent means NIP-04 only). */
  encryption: Nip47Encryption[];
}

/** A NIP-47 transaction (make_invoice, lookup_invoice, notifications). */
export interface Nip47Transaction {
  type?: 'incoming' | 'outgoing';
  state?: 'pending' | 'settled' | 'accepted' | 'expired' | 'failed';
  invoice?: string;
  description?: string;
  description_hash?: string;
  preimage?: string;
  payment_hash: string;
  /** msat */
  amount?: number;
  /** msat */
  fees_paid?: number;
  created_at?: number;
  expires_at?: number;
  settled_at?: number;
  settle_deadline?: number;
}

/** A decrypted response (kind 23195). */
export interface Nip47Response {
  result_type?: string;
  error?: { code?: string; message?: string } | null;
  result?: Record<string, unknown> | null;
}

function bad(message: string): FareboxError {
  return new FareboxError(ErrorCodes.LN_BAD_CONFIG, `nwc: connection URI: ${message}`);
}

/**
 * Parses a `nostr+walletconnect://<wallet pubkey>?relay=…&secret=…` URI. Throws
 * LN_BAD_CONFIG naming what is wrong, never echoing the secret.
 *
 * @example
 * ```ts
 * import { parseNwcUri } from '@farebox/lightning';
 * const c = parseNwcUri(`nostr+walletconnect://${'b'.repeat(64)}?relay=wss%3A%2F%2Frelay.example&secret=${'1'.repeat(64)}`);
 * c.relays; // ['wss://relay.example']
 * ```
 */
export function parseNwcUri(uri: string): NwcConnection {
  if (typeof uri !== 'string' || uri.trim() === '') throw bad('empty');
  const text = uri.trim();
  const m = /^(nostr\+walletconnect|nostrwalletconnect):(?:\/\/)?([^?/#]*)\/?(\?[^#]*)?$/i.exec(text);
  if (!m) throw bad('must start with nostr+walletconnect://');
  const walletPubkey = (m[2] ?? '').toLowerCase();
  if (!isHex(walletPubkey, 32)) throw bad('the wallet pubkey must be 64 hex digits');
  const q = new URLSearchParams(m[3] ?? '');
  const relays = q.getAll('relay').map((r) => r.trim());
  if (relays.length === 0) throw bad('needs ?relay=');
  for (const r of relays) {
    let u: URL;
    try {
      u = new URL(r);
    } catch {
      throw bad('a relay is not a URL');
    }
    if (u.protocol !== 'wss:' && u.protocol !== 'ws:') throw bad('relays must be ws:// or wss:// URLs');
  }
  const secretHex = q.get('secret') ?? '';
  if (!secretHex) throw bad('needs ?secret=');
  if (!isHex(secretHex, 32)) throw bad('the secret must be 64 hex digits');
  const secret = fromHex(secretHex, 'secret');
  let clientPubkey: string;
  try {
    clientPubkey = getPublicKey(secret);
  } catch {
    throw bad('the secret is not a valid secp256k1 key');
  }
  const c: NwcConnection = { walletPubkey, relays, secret, clientPubkey };
  const lud16 = q.get('lud16');
  if (lud16) c.lud16 = lud16;
  return c;
}

/**
 * Reads a wallet's info event (content and tags).
 *
 * @example
 * ```ts
 * import { parseInfoEvent } from '@farebox/lightning';
 * parseInfoEvent({ content: 'pay_invoice get_balance', tags: [['encryption', 'nip44_v2 nip04']] });
 * // { methods: ['pay_invoice', 'get_balance'], notifications: [], encryption: ['nip44_v2', 'nip04'] }
 * ```
 */
export function parseInfoEvent(ev: { content: string; tags: string[][] }): Nip47Info {
  const words = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);
  const tag = (name: string) => ev.tags.find((t) => t[0] === name)?.[1];
  const enc = tag('encryption');
  const encryption = (enc === undefined ? ['nip04'] : words(enc)).filter(
    (e): e is Nip47Encryption => e === 'nip44_v2' || e === 'nip04',
  );
  return { methods: words(ev.content), notifications: words(tag('notifications')), encryption };
}

/**
 * The scheme to use with a wallet: NIP-44 v2 when it offers it, else NIP-04 (NIP-47 "Encryption").
 *
 * @example
 * ```ts
 * import { chooseEncryption } from '@farebox/lightning';
 * chooseEncryption({ encryption: ['nip04', 'nip44_v2'] }); // 'nip44_v2'
 * ```
 */
export function chooseEncryption(info: Pick<Nip47Info, 'encryption'>): Nip47Encryption {
  return info.encryption.includes('nip44_v2') ? 'nip44_v2' : 'nip04';
}

/**
 * Encrypts and decrypts for one peer with one scheme (the NIP-44 conversation key is computed once).
 *
 * @example
 * ```ts
 * import { Nip47Cipher } from '@farebox/lightning';
 * import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
 * const a = generateSecretKey();
 * const b = generateSecretKey();
 * const toB = new Nip47Cipher('nip44_v2', a, getPublicKey(b));
 * const fromA = new Nip47Cipher('nip44_v2', b, getPublicKey(a));
 * fromA.decrypt(toB.encrypt('{"method":"get_info","params":{}}'));
 * ```
 */
export class Nip47Cipher {
  readonly scheme: Nip47Encryption;
  readonly #secret: Uint8Array;
  readonly #peer: string;
  #conversationKey: Uint8Array | undefined;

  constructor(scheme: Nip47Encryption, secret: Uint8Array, peerPubkey: string) {
    this.scheme = scheme;
    this.#secret = secret;
    this.#peer = peerPubkey;
  }

  #key(): Uint8Array {
    this.#conversationKey ??= nip44.v2.utils.getConversationKey(this.#secret, this.#peer);
    return this.#conversationKey;
  }

  encrypt(text: string): string {
    return this.scheme === 'nip44_v2'
      ? nip44.v2.encrypt(text, this.#key())
      : nip04.encrypt(this.#secret, this.#peer, text);
  }

  /** Decrypts with this scheme, or with NIP-04 when the payload has NIP-04's `?iv=` form. */
  decrypt(payload: string): string {
    if (payload.length > 512 * 1024) throw new Error('payload too large');
    if (payload.includes('?iv=')) return nip04.decrypt(this.#secret, this.#peer, payload);
    return nip44.v2.decrypt(payload, this.#key());
  }
}

/** Our code for a NIP-47 error code. */
function codeFor(nip47: string, method: string): ErrorCode {
  switch (nip47) {
    case 'INSUFFICIENT_BALANCE':
      return ErrorCodes.LN_INSUFFICIENT_BALANCE;
    // The connection's budget does not cover it: to the caller, too little money.
    case 'QUOTA_EXCEEDED':
      return ErrorCodes.LN_INSUFFICIENT_BALANCE;
    case 'NOT_FOUND':
      return ErrorCodes.LN_NOT_FOUND;
    case 'UNAUTHORIZED':
    case 'RESTRICTED':
      return ErrorCodes.LN_UNAUTHORIZED;
    case 'NOT_IMPLEMENTED':
    case 'UNSUPPORTED_ENCRYPTION':
      return ErrorCodes.LN_UNSUPPORTED;
    // The wallet refuses for now; like a server that does not answer, the caller retries later.
    case 'RATE_LIMITED':
      return ErrorCodes.LN_UNREACHABLE;
    case 'PAYMENT_FAILED':
      return ErrorCodes.LN_PAYMENT_FAILED;
    default:
      return method === 'pay_invoice' ? ErrorCodes.LN_PAYMENT_FAILED : ErrorCodes.LN_BAD_RESPONSE;
  }
}

/**
 * A FareboxError for a NIP-47 error response. A failed payment's message is read for the
 * usual causes (no route, expired, already paid, balance), since NIP-47 has one code for all.
 * `data.nip47` keeps the wallet's code.
 *
 * @example
 * ```ts
 * import { nip47Error } from '@farebox/lightning';
 * nip47Error('pay_invoice', { code: 'INSUFFICIENT_BALANCE', message: 'low' }).code; // 'LN_INSUFFICIENT_BALANCE'
 * ```
 */
export function nip47Error(method: string, error: { code?: string; message?: string }): FareboxError {
  const nip47 = typeof error.code === 'string' ? error.code.slice(0, 64) : 'OTHER';
  const message = typeof error.message === 'string' ? error.message.slice(0, 300) : '';
  let code = codeFor(nip47, method);
  if (code === ErrorCodes.LN_PAYMENT_FAILED) {
    const m = message.toLowerCase();
    if (m.includes('no_route') || m.includes('no route') || m.includes('unable to find a path'))
      code = ErrorCodes.LN_NO_ROUTE;
    else if (m.includes('already paid')) code = ErrorCodes.LN_ALREADY_PAID;
    else if (m.includes('expired')) code = ErrorCodes.LN_INVOICE_EXPIRED;
    else if (m.includes('insufficient_balance') || m.includes('insufficient balance'))
      code = ErrorCodes.LN_INSUFFICIENT_BALANCE;
  }
  const data: Record<string, unknown> = { nip47, method };
  if (code === ErrorCodes.LN_PAYMENT_FAILED) data.reason = message || nip47;
  if (nip47 === 'RATE_LIMITED') data.retryable = true;
  return lnError(code, 'nwc', `${method}: ${nip47}${message ? `: ${message}` : ''}`, data);
}

const STATES: Record<string, InvoiceState> = {
  pending: 'open',
  settled: 'settled',
  accepted: 'accepted',
  expired: 'expired',
  failed: 'canceled',
};

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.trunc(v) : undefined;
}

/**
 * An {@link InvoiceStatus} from a NIP-47 transaction (`state` is optional in NIP-47: then
 * inferred from `settled_at` and `expires_at`). A preimage is kept only if it hashes to the
 * payment hash.
 *
 * @example
 * ```ts
 * import { transactionToStatus } from '@farebox/lightning';
 * transactionToStatus({ payment_hash: 'ab'.repeat(32), state: 'accepted', amount: 1000 }).state; // 'accepted'
 * ```
 */
export function transactionToStatus(
  tx: Nip47Transaction,
  nowSeconds = Math.floor(Date.now() / 1000),
): InvoiceStatus {
  const paymentHash = tx.payment_hash.toLowerCase();
  const settledAt = num(tx.settled_at);
  const expiresAt = num(tx.expires_at);
  let state: InvoiceState | undefined = typeof tx.state === 'string' ? STATES[tx.state] : undefined;
  if (!state)
    state = settledAt ? 'settled' : expiresAt !== undefined && expiresAt <= nowSeconds ? 'expired' : 'open';
  if (state === 'open' && expiresAt !== undefined && expiresAt <= nowSeconds) state = 'expired';
  const s: InvoiceStatus = { paymentHash, state };
  const amount = num(tx.amount);
  if (amount !== undefined) s.amountMsat = BigInt(amount);
  if (typeof tx.invoice === 'string') s.paymentRequest = tx.invoice;
  if (state === 'settled') {
    if (amount !== undefined) s.amountPaidMsat = BigInt(amount);
    if (settledAt) s.settledAt = settledAt;
    // Only a preimage that hashes to the payment hash is a proof of payment.
    const pre = tx.preimage;
    if (typeof pre === 'string' && isHex(pre, 32) && toHex(sha256(fromHex(pre))) === paymentHash)
      s.preimage = pre.toLowerCase();
  }
  return s;
}
