/**
 * The Lightning interface farebox speaks: two roles, so that a read-only invoice key is
 * enough for a seller (Aperture's `challenger` / lnd's invoice macaroon), and a payer for
 * clients and agents. Adapters implement what their backend can do.
 *
 * Amounts are millisatoshis as `bigint`; hashes and preimages are lowercase hex.
 *
 * @module
 */

/** Bitcoin networks an invoice can be for. */
export type Network = 'mainnet' | 'testnet' | 'signet' | 'regtest';

/** Where an invoice stands. `accepted`: a hold invoice paid but not yet settled. */
export type InvoiceState = 'open' | 'accepted' | 'settled' | 'canceled' | 'expired';

/** Per-call options: every call has a timeout and can be cancelled. */
export interface CallOptions {
  /** Abort the call (the promise rejects with LN_TIMEOUT or the signal's reason). */
  signal?: AbortSignal;
  /** Milliseconds before the call fails with LN_TIMEOUT (default per adapter, usually 15 s). */
  timeoutMs?: number;
}

/** What to invoice. */
export interface CreateInvoiceRequest {
  /** Amount in millisatoshis (use `sats(n)` for whole sats). */
  amountMsat: bigint;
  /** Description shown in wallets. */
  memo?: string;
  /** sha256 of a long description (instead of `memo` in the invoice). Hex. */
  descriptionHash?: string;
  /** Seconds until the invoice expires (default 600). */
  expirySeconds?: number;
}

/** A created invoice. */
export interface CreatedInvoice {
  paymentRequest: string;
  /** Hex payment hash. */
  paymentHash: string;
  amountMsat: bigint;
  /** Unix seconds. */
  expiresAt: number;
}

/** An invoice looked up by its hash. */
export interface InvoiceStatus {
  paymentHash: string;
  state: InvoiceState;
  amountMsat?: bigint;
  /** What was received (may exceed the amount). */
  amountPaidMsat?: bigint;
  /** Hex preimage, once settled (some backends reveal it only then). */
  preimage?: string;
  /** Unix seconds. */
  settledAt?: number;
  paymentRequest?: string;
}

/** Node or wallet information. */
export interface NodeInfo {
  /** Adapter name: `lnd`, `lnbits`, `nwc`, `cln`, `phoenixd`, `blink`, `dev`. */
  backend: string;
  network?: Network;
  /** The node's public key (hex), when the backend has one. */
  pubkey?: string;
  alias?: string;
  blockHeight?: number;
  /** True for the dev node: no real money. */
  dev?: boolean;
}

/** The seller's role: create invoices and learn when they are paid. */
export interface InvoiceIssuer {
  readonly backend: string;
  createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice>;
  /** Throws LN_NOT_FOUND for an unknown hash. */
  lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus>;
  /**
   * Resolves once the invoice leaves `open` (settled, accepted, canceled or expired),
   * streaming where the backend streams, polling otherwise. Rejects with LN_TIMEOUT.
   */
  waitForInvoice(
    paymentHash: string,
    opts?: CallOptions & { pollIntervalMs?: number },
  ): Promise<InvoiceStatus>;
  getInfo(opts?: CallOptions): Promise<NodeInfo>;
}

/** Hold invoices: accepted when paid, settled or canceled later by the seller. */
export interface HoldInvoiceIssuer {
  /** Creates an invoice for a payment hash whose preimage the caller keeps. */
  createHoldInvoice(
    req: CreateInvoiceRequest & { paymentHash: string },
    opts?: CallOptions,
  ): Promise<CreatedInvoice>;
  settleHoldInvoice(preimage: string, opts?: CallOptions): Promise<void>;
  cancelHoldInvoice(paymentHash: string, opts?: CallOptions): Promise<void>;
}

/** Options for paying. */
export interface PayOptions extends CallOptions {
  /** Most fee to pay, msat (default: 1% + 10 sat, capped by the adapter). */
  maxFeeMsat?: bigint;
  /** Amount for a zero-amount invoice. */
  amountMsat?: bigint;
}

/** A successful payment. */
export interface PaymentResult {
  /** Hex preimage: the proof of payment. */
  preimage: string;
  paymentHash: string;
  amountMsat: bigint;
  feeMsat: bigint;
}

/** Where an outgoing payment stands, as `Payer.lookupPayment` reports it. */
export interface PaymentLookup {
  state: 'pending' | 'succeeded' | 'failed';
  /** Hex preimage, once succeeded (checked against the payment hash). */
  preimage?: string;
}

/** The buyer's role. */
export interface Payer {
  readonly backend: string;
  /**
   * Pays a BOLT11 invoice. Throws LN_NO_ROUTE, LN_INSUFFICIENT_BALANCE, LN_TIMEOUT,
   * LN_INVOICE_EXPIRED, LN_ALREADY_PAID or LN_PAYMENT_FAILED (with `data.reason`).
   */
  payInvoice(paymentRequest: string, opts?: PayOptions): Promise<PaymentResult>;
  /** Spendable balance, msat. */
  getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }>;
  /**
   * Looks up an outgoing payment by hash (optional): lets a client that crashed while paying
   * recover the preimage instead of paying twice.
   */
  lookupPayment?(paymentHash: string, opts?: CallOptions): Promise<PaymentLookup>;
  /** The network the wallet pays on, when known (a client refuses invoices for another). */
  network?: Network;
}

/** A backend: any mix of the roles. */
export type LightningBackend = Partial<InvoiceIssuer & HoldInvoiceIssuer & Payer> & {
  readonly backend: string;
  /** Releases connections (streams, websockets, gRPC channels). */
  close?(): Promise<void>;
};

/** True when the backend can issue invoices. */
export function canIssue(b: LightningBackend): b is LightningBackend & InvoiceIssuer {
  return typeof b.createInvoice === 'function' && typeof b.lookupInvoice === 'function';
}

/** True when the backend can pay. */
export function canPay(b: LightningBackend): b is LightningBackend & Payer {
  return typeof b.payInvoice === 'function';
}

/** True when the backend has hold invoices. */
export function canHold(b: LightningBackend): b is LightningBackend & HoldInvoiceIssuer {
  return typeof b.createHoldInvoice === 'function';
}

/** Whole sats to msat. */
export function sats(n: number | bigint): bigint {
  return BigInt(n) * 1000n;
}
