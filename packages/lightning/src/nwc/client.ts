/**
 * Nostr Wallet Connect adapter (NIP-47): a Lightning wallet reached through a Nostr relay
 * with a `nostr+walletconnect://` URI. Web Standards only (WebSocket, `nostr-tools` for
 * signatures and NIP-44/NIP-04), so it runs in Workers and browsers; on Node 20 pass `ws`.
 *
 * - Encryption: reads the wallet's info event (kind 13194) and uses NIP-44 v2 when its
 *   `encryption` tag offers `nip44_v2`, else NIP-04 (NIP-47 "Encryption").
 * - Requests (kind 23194) carry an `expiration` tag at the call's deadline, so a wallet that
 *   reads a request after the caller gave up ignores it instead of paying late.
 * - Answers (kind 23195) are matched by `#e`, checked for the wallet's signature, decrypted.
 * - `waitForInvoice` listens for `payment_received` / `hold_invoice_accepted` notifications
 *   (kind 23197 with NIP-44, 23196 with NIP-04) and polls `lookup_invoice` beside them.
 * - Hold invoices need the wallet's `make_hold_invoice` & co. (per `get_info`), else LN_UNSUPPORTED.
 * - `lookupPayment` reads an outgoing payment with `lookup_invoice` by `payment_hash` (NIP-47
 *   returns transactions of either `type`).
 * - NIP-47 has no fee limit: `maxFeeMsat` is the wallet's business (its budget settings).
 * - Several `relay=` parameters: the first one that answers is used.
 * - NIP-42 relay authentication is not supported.
 *
 * @module
 */
import {
  decodeInvoice,
  ErrorCodes,
  type FareboxError,
  fromHex,
  invalidArgument,
  isHex,
  sha256,
  toHex,
} from '@farebox/core';
import { answerChecks, checkHash } from '../checks.js';
import { DEFAULT_TIMEOUT_MS, deadline, lnError } from '../http.js';
import type {
  CallOptions,
  CreatedInvoice,
  CreateInvoiceRequest,
  HoldInvoiceIssuer,
  InvoiceIssuer,
  InvoiceStatus,
  Network,
  NodeInfo,
  Payer,
  PaymentLookup,
  PaymentResult,
  PayOptions,
} from '../types.js';
import { resolveWebSocket, type WebSocketConstructor } from '../websocket.js';
import {
  type Nip47Encryption,
  type Nip47Info,
  type Nip47Transaction,
  parseNwcUri,
  transactionToStatus,
} from './nip47.js';
import { NwcSession } from './session.js';

const BACKEND = 'nwc';

/** Options for {@link NwcBackend}. */
export interface NwcOptions {
  /** `nostr+walletconnect://<wallet pubkey>?relay=…&secret=…` (the secret stays inside). */
  uri: string;
  /** A WebSocket constructor (default: the global one; on Node 20 pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** Default timeout of a call, ms (15 s; payments 60 s). */
  timeoutMs?: number;
}

function msatParam(v: unknown, name: string): number {
  if (typeof v !== 'bigint' || v <= 0n || v > BigInt(Number.MAX_SAFE_INTEGER))
    invalidArgument(name, 'a positive bigint (msat)');
  return Number(v);
}

const { bad, matchingPreimage } = answerChecks(BACKEND);

/** What {@link NwcBackend.lookupPayment} resolves to. */

const NETWORKS: Record<string, Network> = {
  mainnet: 'mainnet',
  bitcoin: 'mainnet',
  testnet: 'testnet',
  testnet4: 'testnet',
  signet: 'signet',
  regtest: 'regtest',
};

/**
 * A Lightning backend on a Nostr Wallet Connect wallet.
 *
 * @example
 * ```ts
 * import { NwcBackend, sats } from '@farebox/lightning';
 * const nwc = new NwcBackend({ uri: 'nostr+walletconnect://…?relay=wss%3A%2F%2Frelay.example&secret=…' });
 * const inv = await nwc.createInvoice({ amountMsat: sats(10), memo: 'coffee' });
 * const paid = await nwc.payInvoice('lnbc…'); // paid.preimage
 * await nwc.close();
 * ```
 */
export class NwcBackend implements InvoiceIssuer, HoldInvoiceIssuer, Payer {
  readonly backend = BACKEND;
  /** The wallet service's pubkey (hex). */
  readonly walletPubkey: string;
  /** This client's pubkey (hex), derived from the URI's secret. */
  readonly clientPubkey: string;
  readonly #s: NwcSession;
  readonly #timeoutMs: number | undefined;
  #methods: Set<string> | undefined;

  constructor(opts: NwcOptions) {
    if (!opts || typeof opts !== 'object') invalidArgument('opts', 'an object');
    const conn = parseNwcUri(opts.uri);
    this.#s = new NwcSession(conn, resolveWebSocket(opts.WebSocket, BACKEND));
    this.#timeoutMs = opts.timeoutMs;
    this.walletPubkey = conn.walletPubkey;
    this.clientPubkey = conn.clientPubkey;
  }

  /** What the wallet's info event says (read on first use). */
  get walletInfo(): Nip47Info | undefined {
    return this.#s.info;
  }

  /** The encryption in use, once known. */
  get encryption(): Nip47Encryption | undefined {
    return this.#s.cipher?.scheme;
  }

  async #request(
    method: string,
    params: Record<string, unknown>,
    opts?: CallOptions,
    fallbackMs = DEFAULT_TIMEOUT_MS,
  ) {
    const d = deadline(opts, this.#timeoutMs ?? fallbackMs);
    try {
      return await this.#s.request(method, params, d);
    } finally {
      d.done();
    }
  }

  /** Throws LN_UNSUPPORTED unless the wallet offers `method` (`get_info`'s list, else the info event's). */
  async #require(method: string, opts: CallOptions | undefined): Promise<void> {
    if (!this.#methods) {
      try {
        await this.getInfo(opts);
      } catch (e) {
        if ((e as FareboxError).code !== ErrorCodes.LN_UNSUPPORTED) throw e;
      }
    }
    const offered = this.#methods
      ? this.#methods.has(method)
      : (this.#s.info?.methods.includes(method) ?? true);
    if (!offered) {
      throw lnError(
        ErrorCodes.LN_UNSUPPORTED,
        BACKEND,
        `the wallet does not offer ${method} to this connection`,
        { method },
      );
    }
  }

  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const r = await this.#request('get_info', {}, opts);
    if (Array.isArray(r.methods))
      this.#methods = new Set(r.methods.filter((m): m is string => typeof m === 'string'));
    const info: NodeInfo = { backend: BACKEND };
    const network = typeof r.network === 'string' ? NETWORKS[r.network.toLowerCase()] : undefined;
    if (network) info.network = network;
    if (typeof r.pubkey === 'string' && /^[0-9a-f]{66}$/i.test(r.pubkey))
      info.pubkey = r.pubkey.toLowerCase();
    if (typeof r.alias === 'string') info.alias = r.alias.slice(0, 64);
    if (Number.isInteger(r.block_height)) info.blockHeight = r.block_height as number;
    return info;
  }

  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const r = await this.#request('get_balance', {}, opts);
    if (typeof r.balance !== 'number' || !Number.isFinite(r.balance) || r.balance < 0)
      throw bad('get_balance: no balance');
    return { balanceMsat: BigInt(Math.trunc(r.balance)) };
  }

  #invoiceParams(req: CreateInvoiceRequest): Record<string, unknown> {
    if (!req || typeof req !== 'object') invalidArgument('req', 'an object');
    const expiry = req.expirySeconds ?? 600;
    if (!Number.isInteger(expiry) || expiry <= 0) invalidArgument('expirySeconds', 'a positive integer');
    const params: Record<string, unknown> = { amount: msatParam(req.amountMsat, 'amountMsat'), expiry };
    if (req.descriptionHash !== undefined)
      params.description_hash = checkHash(req.descriptionHash, 'descriptionHash');
    else if (req.memo !== undefined) {
      if (typeof req.memo !== 'string') invalidArgument('memo', 'a string');
      params.description = req.memo;
    }
    return params;
  }

  /** A created invoice from the wallet's answer, checked against the invoice itself. */
  #created(
    method: string,
    r: Record<string, unknown>,
    req: CreateInvoiceRequest,
    hash?: string,
  ): CreatedInvoice {
    const tx = r as unknown as Nip47Transaction;
    if (typeof tx.invoice !== 'string' || typeof tx.payment_hash !== 'string')
      throw bad(`${method}: no invoice in the answer`);
    let decoded: ReturnType<typeof decodeInvoice>;
    try {
      decoded = decodeInvoice(tx.invoice);
    } catch (e) {
      throw lnError(
        ErrorCodes.LN_BAD_RESPONSE,
        BACKEND,
        `${method}: the wallet returned an invalid invoice`,
        { method },
        e,
      );
    }
    const paymentHash = tx.payment_hash.toLowerCase();
    if (decoded.paymentHash !== paymentHash || (hash !== undefined && paymentHash !== hash)) {
      throw bad(`${method}: the invoice's payment hash does not match`, { method });
    }
    const expiresAt =
      typeof tx.expires_at === 'number' ? tx.expires_at : decoded.timestamp + (decoded.expirySeconds ?? 3600);
    return {
      paymentRequest: tx.invoice,
      paymentHash,
      amountMsat: decoded.amountMsat ?? req.amountMsat,
      expiresAt,
    };
  }

  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const params = this.#invoiceParams(req);
    return this.#created('make_invoice', await this.#request('make_invoice', params, opts), req);
  }

  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash, 'paymentHash');
    const tx = (await this.#request(
      'lookup_invoice',
      { payment_hash: hash },
      opts,
    )) as unknown as Nip47Transaction;
    if (typeof tx.payment_hash !== 'string' || tx.payment_hash.toLowerCase() !== hash) {
      throw bad('lookup_invoice: the answer is for another payment hash');
    }
    if (tx.type === 'outgoing')
      throw lnError(ErrorCodes.LN_NOT_FOUND, BACKEND, 'this payment hash is an outgoing payment');
    return transactionToStatus(tx);
  }

  /**
   * Resolves once the invoice leaves `open`: on the wallet's notification when it sends them
   * (then polling every `pollIntervalMs`, default 5 s, as a safety net), else by polling
   * `lookup_invoice` (default every 1 s). Rejects with LN_TIMEOUT (default 60 s).
   */
  waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash, 'paymentHash');
    const d = deadline(opts, 60_000);
    return new Promise<InvoiceStatus>((resolve, reject) => {
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let lastError: unknown;
      let unwatch: (() => void) | undefined;
      const finish = (err: unknown, status?: InvoiceStatus) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        d.signal.removeEventListener('abort', onAbort);
        d.done();
        untrack();
        unwatch?.();
        if (status) resolve(status);
        else reject(err);
      };
      const onStatus = (s: InvoiceStatus) => {
        if (s.state !== 'open') finish(undefined, s);
      };
      const onAbort = () => {
        const why = d.timedOut ? `invoice still open after ${d.ms} ms` : 'aborted';
        finish(lnError(ErrorCodes.LN_TIMEOUT, BACKEND, why, {}, lastError));
      };
      const untrack = this.#s.track(finish);
      if (d.signal.aborted) return onAbort();
      d.signal.addEventListener('abort', onAbort, { once: true });
      const lookup = { signal: d.signal, timeoutMs: d.ms };
      const poll = async (interval: number) => {
        try {
          onStatus(await this.lookupInvoice(hash, lookup));
        } catch (e) {
          const code = (e as FareboxError).code;
          if (code === ErrorCodes.LN_NOT_FOUND || code === ErrorCodes.LN_UNAUTHORIZED) return finish(e);
          lastError = e; // a relay restarting: try again until the deadline
        }
        if (!done) timer = setTimeout(() => void poll(interval), interval);
      };
      const start = async () => {
        let interval = opts.pollIntervalMs ?? 1000;
        try {
          const opened = await this.#s.open(d);
          if (opened.info.methods.includes('notifications') || opened.info.notifications.length > 0) {
            unwatch = this.#s.watch(hash, opened, onStatus);
            interval = opts.pollIntervalMs ?? 5000;
          }
          // The notification REQ went out before this lookup: nothing falls between them.
          onStatus(await this.lookupInvoice(hash, lookup));
        } catch (e) {
          return finish(d.signal.aborted ? this.#s.timeout(d, 'waiting for the invoice', e) : e);
        }
        if (!done) timer = setTimeout(() => void poll(interval), interval);
      };
      void start();
    });
  }

  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    if (typeof paymentRequest !== 'string' || paymentRequest.trim() === '')
      invalidArgument('paymentRequest', 'a BOLT11 invoice');
    const invoice = paymentRequest.trim();
    const inv = decodeInvoice(invoice);
    const params: Record<string, unknown> = { invoice };
    let amountMsat = inv.amountMsat;
    if (amountMsat === undefined) {
      if (opts.amountMsat === undefined) {
        throw lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, 'zero-amount invoice needs amountMsat', {
          reason: 'no amount',
        });
      }
      params.amount = msatParam(opts.amountMsat, 'amountMsat');
      amountMsat = opts.amountMsat;
    }
    const r = await this.#request('pay_invoice', params, opts, 60_000);
    const pre = r.preimage;
    if (typeof pre !== 'string' || !isHex(pre, 32) || toHex(sha256(fromHex(pre))) !== inv.paymentHash) {
      throw bad('pay_invoice: the wallet answered without a valid preimage', {
        paymentHash: inv.paymentHash,
      });
    }
    const fees = r.fees_paid;
    const feeMsat =
      typeof fees === 'number' && Number.isFinite(fees) && fees >= 0 ? BigInt(Math.trunc(fees)) : 0n;
    return { preimage: pre.toLowerCase(), paymentHash: inv.paymentHash, amountMsat, feeMsat };
  }

  /**
   * Where this wallet's payment of `paymentHash` stands, so a client that crashed while paying
   * can recover the preimage instead of paying twice: NIP-47 `lookup_invoice` with
   * `payment_hash`, which answers the wallet's transaction of that hash.
   *
   * - An `outgoing` transaction: `succeeded` once settled (`state` `settled`, a `settled_at`
   *   or a preimage; the preimage, when given, must hash to the payment hash), `failed` for
   *   `state` `failed`, otherwise `pending`.
   * - `failed` when nothing of this wallet was spent for the hash: the wallet answers
   *   NOT_FOUND, or knows the hash only as an `incoming` invoice of its own.
   *
   * A wallet whose `lookup_invoice` finds only invoices answers NOT_FOUND for its payments
   * too; paying again is then refused by most wallets as already paid.
   */
  async lookupPayment(paymentHash: string, opts?: CallOptions): Promise<PaymentLookup> {
    const hash = checkHash(paymentHash, 'paymentHash');
    let tx: Nip47Transaction;
    try {
      tx = (await this.#request(
        'lookup_invoice',
        { payment_hash: hash },
        opts,
      )) as unknown as Nip47Transaction;
    } catch (e) {
      if ((e as FareboxError).code === ErrorCodes.LN_NOT_FOUND) return { state: 'failed' };
      throw e;
    }
    if (typeof tx.payment_hash !== 'string' || tx.payment_hash.toLowerCase() !== hash) {
      throw bad('lookup_invoice: the answer is for another payment hash');
    }
    if (tx.type === 'incoming') return { state: 'failed' };
    const pre = typeof tx.preimage === 'string' && tx.preimage !== '' ? tx.preimage : undefined;
    // A preimage of the hash is the proof of payment, whatever else the answer says.
    const proves = pre !== undefined && isHex(pre, 32) && toHex(sha256(fromHex(pre))) === hash;
    const settled =
      proves ||
      tx.state === 'settled' ||
      (tx.state === undefined && typeof tx.settled_at === 'number' && tx.settled_at > 0);
    if (settled) {
      if (pre === undefined) return { state: 'succeeded' };
      return {
        state: 'succeeded',
        preimage: matchingPreimage(pre, { field: 'preimage', paymentHash: hash }),
      };
    }
    if (tx.state === 'failed') return { state: 'failed' };
    return { state: 'pending' };
  }

  async createHoldInvoice(
    req: CreateInvoiceRequest & { paymentHash: string },
    opts?: CallOptions,
  ): Promise<CreatedInvoice> {
    const params = this.#invoiceParams(req);
    const hash = checkHash(req.paymentHash, 'paymentHash');
    params.payment_hash = hash;
    await this.#require('make_hold_invoice', opts);
    return this.#created(
      'make_hold_invoice',
      await this.#request('make_hold_invoice', params, opts),
      req,
      hash,
    );
  }

  async settleHoldInvoice(preimage: string, opts?: CallOptions): Promise<void> {
    const pre = checkHash(preimage, 'preimage');
    await this.#require('settle_hold_invoice', opts);
    await this.#request('settle_hold_invoice', { preimage: pre }, opts);
  }

  async cancelHoldInvoice(paymentHash: string, opts?: CallOptions): Promise<void> {
    const hash = checkHash(paymentHash, 'paymentHash');
    await this.#require('cancel_hold_invoice', opts);
    await this.#request('cancel_hold_invoice', { payment_hash: hash }, opts);
  }

  /** Closes the relay sockets; calls in flight reject with LN_UNREACHABLE. */
  async close(): Promise<void> {
    this.#s.close();
  }
}
