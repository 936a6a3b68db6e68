/**
 * The dev node: an in-process Lightning node for development and demos. It mints real,
 * signed BOLT11 invoices (regtest) from its own key, keeps their preimages, and pays its
 * own invoices (and those of other dev nodes in the process) instantly from a dev wallet.
 *
 * **No real money.** It refuses to start when `NODE_ENV=production` unless
 * `allowInProduction` is set, and every screen that uses it says "dev node: no real money".
 *
 * @module
 */
import {
  decodeInvoice,
  ErrorCodes,
  encodeInvoice,
  FareboxError,
  fromHex,
  randomBytes,
  sha256,
  toHex,
} from '@farebox/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { deadline, lnError } from './http.js';
import type {
  CallOptions,
  CreatedInvoice,
  CreateInvoiceRequest,
  HoldInvoiceIssuer,
  InvoiceIssuer,
  InvoiceStatus,
  NodeInfo,
  Payer,
  PaymentResult,
  PayOptions,
} from './types.js';

/** The notice every screen using the dev node shows. */
export const DEV_NODE_NOTICE = 'dev node: no real money';

/** Options for {@link DevNode}. */
export interface DevNodeOptions {
  /** 32-byte node key (default: random). A fixed key keeps the pubkey stable across runs. */
  privateKey?: Uint8Array;
  /** The dev wallet's starting balance, msat (default 10,000,000 sat). */
  balanceMsat?: bigint;
  /** Start even in production. Default false. */
  allowInProduction?: boolean;
  /** Whether this is production (default: `NODE_ENV === 'production'` where an env exists). */
  production?: boolean;
  /** Clock in unix seconds (tests). */
  now?: () => number;
}

interface Entry {
  paymentRequest: string;
  paymentHash: string;
  preimage?: string;
  amountMsat: bigint;
  expiresAt: number;
  state: InvoiceStatus['state'];
  settledAt?: number;
  amountPaidMsat?: bigint;
  hold: boolean;
  waiters: Set<() => void>;
}

/** An outgoing payment of a dev node, as `lookupPayment` reports it. */
interface Outgoing {
  state: 'pending' | 'succeeded' | 'failed';
  preimage?: string;
}

const nodes = new Map<string, DevNode>();

function defaultProduction(): boolean {
  // A safety default, not configuration: read the environment where one exists.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.NODE_ENV === 'production';
}

function checkHash(hash: string, name = 'paymentHash'): string {
  if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"${name}" must be 64 hex digits`, {
      data: { parameter: name },
    });
  }
  return hash.toLowerCase();
}

/**
 * An in-process Lightning node that issues and pays real, signed regtest invoices.
 *
 * @example
 * ```ts
 * import { DevNode, sats } from '@farebox/lightning';
 * const node = new DevNode();
 * const inv = await node.createInvoice({ amountMsat: sats(21), memo: 'joke' });
 * const paid = await node.payInvoice(inv.paymentRequest); // paid.preimage
 * ```
 */
export class DevNode implements InvoiceIssuer, HoldInvoiceIssuer, Payer {
  readonly backend = 'dev';
  readonly pubkey: string;
  readonly #key: Uint8Array;
  readonly #invoices = new Map<string, Entry>();
  /** Outgoing payments by hash: recorded once the wallet is debited. */
  readonly #payments = new Map<string, Outgoing>();
  readonly #now: () => number;
  #balance: bigint;

  constructor(opts: DevNodeOptions = {}) {
    const production = opts.production ?? defaultProduction();
    if (production && !opts.allowInProduction) {
      throw new FareboxError(
        ErrorCodes.LN_DEV_IN_PRODUCTION,
        'the dev node handles no real money and refuses to start in production; configure a real Lightning backend, or set allowInProduction if you mean it',
      );
    }
    this.#key = opts.privateKey ?? randomBytes(32);
    if (this.#key.length !== 32)
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"privateKey" must be 32 bytes');
    this.pubkey = toHex(secp256k1.getPublicKey(this.#key, true));
    this.#balance = opts.balanceMsat ?? 10_000_000_000n;
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    nodes.set(this.pubkey, this);
  }

  /** The notice to show wherever this node is used. */
  get notice(): string {
    return DEV_NODE_NOTICE;
  }

  async getInfo(): Promise<NodeInfo> {
    return {
      backend: 'dev',
      network: 'regtest',
      pubkey: this.pubkey,
      alias: 'farebox dev node (no real money)',
      dev: true,
    };
  }

  async createInvoice(req: CreateInvoiceRequest): Promise<CreatedInvoice> {
    const preimage = randomBytes(32);
    return this.#issue(req, toHex(sha256(preimage)), toHex(preimage), false);
  }

  async createHoldInvoice(req: CreateInvoiceRequest & { paymentHash: string }): Promise<CreatedInvoice> {
    return this.#issue(req, checkHash(req.paymentHash), undefined, true);
  }

  #issue(
    req: CreateInvoiceRequest,
    paymentHash: string,
    preimage: string | undefined,
    hold: boolean,
  ): CreatedInvoice {
    if (typeof req.amountMsat !== 'bigint' || req.amountMsat <= 0n) {
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"amountMsat" must be a positive bigint', {
        data: { parameter: 'amountMsat' },
      });
    }
    if (this.#invoices.has(paymentHash)) {
      throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', 'an invoice with this payment hash exists', {
        reason: 'duplicate',
      });
    }
    const expirySeconds = req.expirySeconds ?? 600;
    const timestamp = this.#now();
    const fields: Parameters<typeof encodeInvoice>[0] = {
      network: 'regtest',
      amountMsat: req.amountMsat,
      timestamp,
      paymentHash: paymentHash,
      paymentSecret: randomBytes(32),
      expirySeconds,
    };
    if (req.descriptionHash) fields.descriptionHash = req.descriptionHash;
    else fields.description = req.memo ?? '';
    const paymentRequest = encodeInvoice(fields, this.#key);
    const entry: Entry = {
      paymentRequest,
      paymentHash,
      amountMsat: req.amountMsat,
      expiresAt: timestamp + expirySeconds,
      state: 'open',
      hold,
      waiters: new Set(),
    };
    if (preimage) entry.preimage = preimage;
    this.#invoices.set(paymentHash, entry);
    return { paymentRequest, paymentHash, amountMsat: req.amountMsat, expiresAt: entry.expiresAt };
  }

  #status(e: Entry): InvoiceStatus {
    if (e.state === 'open' && this.#now() >= e.expiresAt) this.#transition(e, 'expired');
    const s: InvoiceStatus = {
      paymentHash: e.paymentHash,
      state: e.state,
      amountMsat: e.amountMsat,
      paymentRequest: e.paymentRequest,
    };
    if (e.state === 'settled' && e.preimage) s.preimage = e.preimage;
    if (e.settledAt !== undefined) s.settledAt = e.settledAt;
    if (e.amountPaidMsat !== undefined) s.amountPaidMsat = e.amountPaidMsat;
    return s;
  }

  #transition(e: Entry, state: InvoiceStatus['state']): void {
    e.state = state;
    for (const w of e.waiters) w();
  }

  #get(paymentHash: string): Entry {
    const e = this.#invoices.get(checkHash(paymentHash));
    if (!e) throw lnError(ErrorCodes.LN_NOT_FOUND, 'dev', 'no invoice with this payment hash');
    return e;
  }

  async lookupInvoice(paymentHash: string): Promise<InvoiceStatus> {
    return this.#status(this.#get(paymentHash));
  }

  async waitForInvoice(paymentHash: string, opts: CallOptions = {}): Promise<InvoiceStatus> {
    return this.#waitUntil(this.#get(paymentHash), (s) => s !== 'open', opts, 60_000);
  }

  #waitUntil(
    e: Entry,
    done: (s: InvoiceStatus['state']) => boolean,
    opts: CallOptions,
    fallbackMs: number,
  ): Promise<InvoiceStatus> {
    const first = this.#status(e);
    if (done(first.state)) return Promise.resolve(first);
    const d = deadline(opts, fallbackMs);
    return new Promise((resolve, reject) => {
      const expiry = setTimeout(() => this.#status(e), Math.max(0, (e.expiresAt - this.#now()) * 1000 + 5));
      const finish = () => {
        e.waiters.delete(check);
        clearTimeout(expiry);
        d.signal.removeEventListener('abort', onAbort);
        d.done();
      };
      const check = () => {
        if (done(e.state)) {
          finish();
          resolve(this.#status(e));
        }
      };
      const onAbort = () => {
        finish();
        reject(
          lnError(
            ErrorCodes.LN_TIMEOUT,
            'dev',
            d.timedOut ? `invoice still open after ${d.ms} ms` : 'aborted',
          ),
        );
      };
      e.waiters.add(check);
      d.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async settleHoldInvoice(preimage: string): Promise<void> {
    const pre = fromHex(checkHash(preimage, 'preimage'), 'preimage');
    const e = this.#get(toHex(sha256(pre)));
    if (e.state !== 'accepted') {
      throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', `cannot settle an invoice that is ${e.state}`, {
        reason: e.state,
      });
    }
    e.preimage = toHex(pre);
    e.settledAt = this.#now();
    this.#transition(e, 'settled');
  }

  async cancelHoldInvoice(paymentHash: string): Promise<void> {
    const e = this.#get(paymentHash);
    if (e.state === 'settled')
      throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', 'cannot cancel a settled invoice');
    this.#transition(e, 'canceled');
  }

  async getBalance(): Promise<{ balanceMsat: bigint }> {
    return { balanceMsat: this.#balance };
  }

  /** Pays an invoice of this dev node or of another dev node in this process. */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const inv = decodeInvoice(paymentRequest);
    const target = nodes.get(inv.payee);
    if (!target) throw lnError(ErrorCodes.LN_NO_ROUTE, 'dev', 'the dev node can only pay dev node invoices');
    const amount = inv.amountMsat ?? opts.amountMsat;
    if (amount === undefined) {
      throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', 'zero-amount invoice needs amountMsat', {
        reason: 'no amount',
      });
    }
    return target.#receive(inv.paymentHash, amount, this, opts);
  }

  async #receive(
    paymentHash: string,
    amount: bigint,
    payer: DevNode,
    opts: PayOptions,
  ): Promise<PaymentResult> {
    const e = this.#invoices.get(paymentHash);
    if (!e) throw lnError(ErrorCodes.LN_NO_ROUTE, 'dev', 'unknown invoice');
    const st = this.#status(e).state;
    if (st === 'settled' || st === 'accepted')
      throw lnError(ErrorCodes.LN_ALREADY_PAID, 'dev', 'invoice already paid');
    if (st === 'expired') throw lnError(ErrorCodes.LN_INVOICE_EXPIRED, 'dev', 'invoice expired');
    if (st === 'canceled')
      throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', 'invoice canceled', { reason: 'canceled' });
    if (amount < e.amountMsat)
      throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', 'amount below the invoice', { reason: 'amount' });
    if (payer.#balance < amount)
      throw lnError(ErrorCodes.LN_INSUFFICIENT_BALANCE, 'dev', 'dev wallet balance too low');
    payer.#balance -= amount;
    const outgoing: Outgoing = { state: 'pending' };
    payer.#payments.set(paymentHash, outgoing);
    e.amountPaidMsat = amount;
    if (!e.hold) {
      e.settledAt = this.#now();
      this.#transition(e, 'settled');
    } else {
      this.#transition(e, 'accepted');
      const final = await this.#waitUntil(e, (s) => s === 'settled' || s === 'canceled', opts, 120_000).catch(
        (err) => {
          payer.#balance += amount;
          outgoing.state = 'failed';
          throw err;
        },
      );
      if (final.state === 'canceled') {
        payer.#balance += amount;
        outgoing.state = 'failed';
        throw lnError(ErrorCodes.LN_PAYMENT_FAILED, 'dev', 'hold invoice canceled', { reason: 'canceled' });
      }
    }
    if (payer !== this) this.#balance += amount;
    outgoing.state = 'succeeded';
    outgoing.preimage = e.preimage!;
    return { preimage: e.preimage!, paymentHash, amountMsat: amount, feeMsat: 0n };
  }

  /**
   * Where an outgoing payment of this node stands: `succeeded` with the preimage, `pending`
   * while a hold invoice holds it, `failed` once refunded (canceled, or the payer's deadline
   * passed) and for a hash this node never paid (nothing was debited).
   */
  async lookupPayment(
    paymentHash: string,
    _opts?: CallOptions,
  ): Promise<{ state: 'pending' | 'succeeded' | 'failed'; preimage?: string }> {
    const p = this.#payments.get(checkHash(paymentHash));
    if (!p) return { state: 'failed' };
    return p.preimage ? { state: p.state, preimage: p.preimage } : { state: p.state };
  }

  /** Forgets this node in the process registry (other dev nodes can no longer pay it). */
  async close(): Promise<void> {
    nodes.delete(this.pubkey);
  }
}
