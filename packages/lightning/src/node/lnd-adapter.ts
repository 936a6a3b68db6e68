/**
 * What lnd's REST and gRPC adapters do alike: each call of the backend interfaces as one
 * lnd RPC (named as in lnd's `.proto` files), the mapping of its answer, waiting for an
 * invoice (a stream, falling back to polling) and paying. {@link LndRest} and
 * {@link LndGrpc} only carry RPCs: they implement {@link LndAdapter.unary} and
 * {@link LndAdapter.subscribe}, taking lnd's request messages with bytes fields as
 * `Uint8Array` and encoding them their own way (base64 in JSON, `Buffer` in protobuf).
 *
 * @module
 */
import { type ErrorCode, ErrorCodes, FareboxError, fromHex, toBase64, toHex } from '@farebox/core';
import { checkHash } from '../checks.js';
import { deadline, lnError, pollInvoice } from '../http.js';
import type {
  CallOptions,
  CreatedInvoice,
  CreateInvoiceRequest,
  HoldInvoiceIssuer,
  InvoiceIssuer,
  InvoiceStatus,
  NodeInfo,
  Payer,
  PaymentLookup,
  PaymentResult,
  PayOptions,
} from '../types.js';
import {
  big,
  createdInvoice,
  DEFAULT_WAIT_MS,
  type Fallback,
  invoiceRequest,
  invoiceStatus,
  isPaymentNotInitiated,
  LND,
  type LndInvoice,
  type LndPayment,
  nodeInfo,
  paymentLookup,
  paymentOutcome,
  preparePayment,
  timeoutError,
} from './lnd-common.js';

/** An lnd message: fields named as in lnd's `.proto` files; in requests, bytes as `Uint8Array`. */
export type LndMessage = Record<string, unknown>;

/** The unary RPCs the adapters call (`lnrpc.Lightning`, `invoicesrpc.Invoices`). */
export type LndUnaryRpc =
  | 'GetInfo'
  | 'ChannelBalance'
  | 'AddInvoice'
  | 'LookupInvoice'
  | 'AddHoldInvoice'
  | 'SettleInvoice'
  | 'CancelInvoice';

/** The server-streaming RPCs the adapters call (`invoicesrpc.Invoices`, `routerrpc.Router`). */
export type LndStreamRpc = 'SubscribeSingleInvoice' | 'SendPaymentV2' | 'TrackPaymentV2';

/** A call's deadline, as {@link deadline} makes it. */
export type Deadline = ReturnType<typeof deadline>;

/** What a stream's `onMessage` returns to read on. */
export const PENDING: unique symbol = Symbol('pending');

/** One unary call. */
export interface UnaryCall {
  /** The request message. */
  req: LndMessage;
  opts: CallOptions | undefined;
  /** What the call does, for error messages (`add invoice`). */
  what: string;
  /** How to read an error that neither its message nor its status explains. */
  fallback: Fallback;
  /** Values to scrub from error messages besides the macaroon (a preimage). */
  secrets?: string[];
}

/** One server-streaming call: `onMessage` returns the result, or {@link PENDING} to read on. */
export interface StreamCall<T> {
  req: LndMessage;
  d: Deadline;
  what: string;
  fallback: Fallback;
  onMessage(m: LndMessage): T | typeof PENDING;
}

/**
 * lnd as a seller (invoices, hold invoices) and payer, over the transport a subclass
 * provides: {@link LndRest} or {@link LndGrpc}.
 *
 * @example
 * ```ts
 * import { LndGrpc, LndRest } from '@farebox/lightning/node';
 * const macaroon = 'invoice macaroon hex';
 * for (const lnd of [new LndRest({ host: '127.0.0.1:8080', macaroon }), new LndGrpc({ host: '127.0.0.1:10009', macaroon })]) {
 *   console.log(await lnd.getInfo()); // the same answer over either transport
 *   await lnd.close();
 * }
 * ```
 */
export abstract class LndAdapter implements InvoiceIssuer, HoldInvoiceIssuer, Payer {
  readonly backend = 'lnd';
  /** The default deadline of a payment, ms. */
  protected abstract readonly payTimeoutMs: number;
  /** The default deadline of any other call, ms. */
  protected abstract readonly callTimeoutMs: number;
  /** Codes of a failed invoice stream that end `waitForInvoice` instead of polling. */
  protected abstract readonly streamFatal: readonly ErrorCode[];

  /** Sends one unary RPC; failures are typed errors. */
  protected abstract unary(rpc: LndUnaryRpc, call: UnaryCall): Promise<LndMessage>;
  /** Reads a server stream until `onMessage` returns a result; failures are typed errors. */
  protected abstract subscribe<T>(rpc: LndStreamRpc, call: StreamCall<T>): Promise<T>;
  /** A bytes field of an answer; undefined when empty or unreadable. */
  protected abstract bytes(v: unknown): Uint8Array | undefined;

  /** Closes the connection. */
  abstract close(): Promise<void>;

  /** An invoice answer (`Invoice`) with its bytes fields decoded. */
  #invoice(m: LndMessage): LndInvoice {
    return {
      state: typeof m.state === 'string' ? m.state : undefined,
      value_msat: m.value_msat,
      amt_paid_msat: m.amt_paid_msat,
      r_preimage: this.bytes(m.r_preimage),
      creation_date: m.creation_date,
      settle_date: m.settle_date,
      expiry: m.expiry,
      payment_request: typeof m.payment_request === 'string' ? m.payment_request : undefined,
      htlcs: Array.isArray(m.htlcs) ? m.htlcs.length : 0,
    };
  }

  /**
   * Node information (`GetInfo`; REST `GET /v1/getinfo`): network (from
   * `chains[0].network`), pubkey, alias, block height.
   *
   * @example
   * ```ts
   * const info = await lnd.getInfo(); // { backend: 'lnd', network: 'regtest', pubkey: '02…', … }
   * ```
   */
  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const m = await this.unary('GetInfo', {
      req: {},
      opts,
      what: 'getinfo',
      fallback: ErrorCodes.LN_BAD_RESPONSE,
    });
    return nodeInfo(m as Parameters<typeof nodeInfo>[0]);
  }

  /** Spendable channel balance (`ChannelBalance.local_balance.msat`; REST `/v1/balance/channels`). */
  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const m = await this.unary('ChannelBalance', {
      req: {},
      opts,
      what: 'channel balance',
      fallback: ErrorCodes.LN_BAD_RESPONSE,
    });
    const local = m.local_balance as LndMessage | null | undefined;
    if (local && local.msat !== undefined) return { balanceMsat: big(local.msat) };
    return { balanceMsat: big(m.balance) * 1000n };
  }

  /** Creates an invoice (`AddInvoice`; REST `POST /v1/invoices`). */
  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const r = invoiceRequest(req);
    const msg: LndMessage = { value_msat: r.valueMsat.toString(), memo: r.memo, expiry: String(r.expiry) };
    if (r.descriptionHash) msg.description_hash = r.descriptionHash;
    const m = await this.unary('AddInvoice', {
      req: msg,
      opts,
      what: 'add invoice',
      fallback: ErrorCodes.LN_PAYMENT_FAILED,
    });
    const hash = this.bytes(m.r_hash);
    if (hash?.length !== 32)
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, 'add invoice: no r_hash in the answer');
    return createdInvoice(m.payment_request, toHex(hash), r);
  }

  /** Looks an invoice up (`LookupInvoice`; REST `GET /v1/invoice/{hex}`); LN_NOT_FOUND for an unknown hash. */
  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const m = await this.unary('LookupInvoice', {
      req: { r_hash: fromHex(hash) },
      opts,
      what: 'lookup invoice',
      fallback: ErrorCodes.LN_BAD_RESPONSE,
    });
    return invoiceStatus(hash, this.#invoice(m));
  }

  /**
   * Resolves once the invoice leaves `open`, from lnd's invoice stream
   * (`SubscribeSingleInvoice`; REST `/v2/invoices/subscribe/{base64url}`); if the stream
   * breaks, polls for the time left.
   */
  async waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const d = deadline(opts, DEFAULT_WAIT_MS);
    const started = Date.now();
    const left = () => Math.max(1, d.ms - (Date.now() - started));
    try {
      // A lookup first: lnd's stream hangs silently for an unknown hash.
      const first = await this.lookupInvoice(hash, { signal: d.signal, timeoutMs: left() }).catch((e) => {
        if (d.timedOut || d.signal.aborted) throw timeoutError('wait for invoice', d.timedOut, d.ms);
        throw e;
      });
      if (first.state !== 'open') return first;
      try {
        return await this.subscribe('SubscribeSingleInvoice', {
          req: { r_hash: fromHex(hash) },
          d,
          what: 'invoice stream',
          fallback: ErrorCodes.LN_BAD_RESPONSE,
          onMessage: (m) => {
            const s = invoiceStatus(hash, this.#invoice(m));
            return s.state === 'open' ? PENDING : s;
          },
        });
      } catch (e) {
        if (d.timedOut || d.signal.aborted) throw timeoutError('wait for invoice', d.timedOut, d.ms);
        if (this.streamFatal.includes((e as FareboxError).code)) throw e;
        // The stream broke: poll for the time left.
        const poll: CallOptions & { pollIntervalMs?: number } = { signal: d.signal, timeoutMs: left() };
        if (opts.pollIntervalMs !== undefined) poll.pollIntervalMs = opts.pollIntervalMs;
        return await pollInvoice(
          LND,
          (signal) => this.lookupInvoice(hash, { signal, timeoutMs: left() }),
          poll,
        );
      }
    } finally {
      d.done();
    }
  }

  /**
   * Creates a hold invoice for a hash whose preimage the caller keeps (`AddHoldInvoice`;
   * REST `POST /v2/invoices/hodl`).
   */
  async createHoldInvoice(
    req: CreateInvoiceRequest & { paymentHash: string },
    opts?: CallOptions,
  ): Promise<CreatedInvoice> {
    const r = invoiceRequest(req);
    const hash = checkHash(req.paymentHash, 'paymentHash');
    const msg: LndMessage = {
      hash: fromHex(hash),
      value_msat: r.valueMsat.toString(),
      memo: r.memo,
      expiry: String(r.expiry),
    };
    if (r.descriptionHash) msg.description_hash = r.descriptionHash;
    const m = await this.unary('AddHoldInvoice', {
      req: msg,
      opts,
      what: 'add hold invoice',
      fallback: ErrorCodes.LN_PAYMENT_FAILED,
    });
    return createdInvoice(m.payment_request, hash, r);
  }

  /** Settles an accepted hold invoice with its preimage (`SettleInvoice`; REST `POST /v2/invoices/settle`). */
  async settleHoldInvoice(preimage: string, opts?: CallOptions): Promise<void> {
    const pre = checkHash(preimage, 'preimage');
    await this.unary('SettleInvoice', {
      req: { preimage: fromHex(pre) },
      opts,
      what: 'settle invoice',
      fallback: ErrorCodes.LN_PAYMENT_FAILED,
      secrets: [pre, toBase64(fromHex(pre))],
    });
  }

  /** Cancels a hold invoice (`CancelInvoice`; REST `POST /v2/invoices/cancel`); the payer's HTLC fails back. */
  async cancelHoldInvoice(paymentHash: string, opts?: CallOptions): Promise<void> {
    const hash = checkHash(paymentHash, 'paymentHash');
    await this.unary('CancelInvoice', {
      req: { payment_hash: fromHex(hash) },
      opts,
      what: 'cancel invoice',
      fallback: ErrorCodes.LN_PAYMENT_FAILED,
    });
  }

  /**
   * Pays a BOLT11 invoice (`Router.SendPaymentV2`; REST `POST /v2/router/send`), final
   * update only. On LN_TIMEOUT the payment may still be in flight (a hold invoice not yet
   * settled): look it up by hash.
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const prep = preparePayment(paymentRequest, opts, this.payTimeoutMs);
    const msg: LndMessage = {
      payment_request: paymentRequest.trim(),
      fee_limit_msat: prep.feeLimitMsat.toString(),
      timeout_seconds: prep.timeoutSeconds,
      no_inflight_updates: true,
    };
    if (prep.amtMsat !== undefined) msg.amt_msat = prep.amtMsat.toString();
    const d = deadline({ ...opts, timeoutMs: prep.timeoutMs }, prep.timeoutMs);
    try {
      return await this.subscribe('SendPaymentV2', {
        req: msg,
        d,
        what: 'pay',
        fallback: ErrorCodes.LN_PAYMENT_FAILED,
        onMessage: (m) => paymentOutcome(m as LndPayment, prep) ?? PENDING,
      });
    } catch (e) {
      if (e instanceof FareboxError && e.code === ErrorCodes.LN_TIMEOUT)
        e.data.paymentHash ??= prep.paymentHash;
      throw e;
    } finally {
      d.done();
    }
  }

  /**
   * Where an outgoing payment of this node stands (`Router.TrackPaymentV2`; REST
   * `GET /v2/router/track/{base64url}`): the stream's first message is the payment as lnd
   * has it now, read and then the stream cancelled. `no_inflight_updates` stays false: with
   * it lnd skips in-flight states, that first message included, and a held payment would
   * say nothing until it resolves.
   *
   * A hash lnd has no payment to (`payment isn't initiated`) is `failed`: this node never
   * sent an HTLC for it, so nothing was spent and paying again is safe (lnd itself refuses
   * a second payment to a hash that is in flight or succeeded). Only a payment deleted
   * from lnd's database (`DeletePayment`) would read the same.
   *
   * @example
   * ```ts
   * const p = await lnd.lookupPayment(hash); // { state: 'succeeded', preimage } | { state: 'pending' } | { state: 'failed' }
   * ```
   */
  async lookupPayment(paymentHash: string, opts: CallOptions = {}): Promise<PaymentLookup> {
    const hash = checkHash(paymentHash);
    const d = deadline(opts, this.callTimeoutMs);
    try {
      return await this.subscribe('TrackPaymentV2', {
        req: { payment_hash: fromHex(hash), no_inflight_updates: false },
        d,
        what: 'track payment',
        fallback: ErrorCodes.LN_BAD_RESPONSE,
        onMessage: (m) => paymentLookup(m as LndPayment, hash),
      });
    } catch (e) {
      if (isPaymentNotInitiated(e)) return { state: 'failed' };
      if (e instanceof FareboxError && e.code === ErrorCodes.LN_TIMEOUT) e.data.paymentHash ??= hash;
      throw e;
    } finally {
      d.done();
    }
  }
}
