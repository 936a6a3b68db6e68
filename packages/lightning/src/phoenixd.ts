/**
 * Phoenixd, ACINQ's headless Lightning node, through its HTTP API
 * (https://phoenix.acinq.co/server/api; routes in `src/commonMain/kotlin/fr/acinq/phoenixd/Api.kt`,
 * JSON shapes in `.../json/JsonSerializers.kt` of ACINQ/phoenixd).
 *
 * HTTP Basic auth with an empty user and the `http-password` from `phoenix.conf` (the
 * limited-access password can create and look up invoices but not pay). POST bodies are
 * form-encoded. Amounts are whole satoshis, so msat amounts that are not whole sats are
 * refused with INVALID_ARGUMENT rather than rounded.
 *
 * Phoenixd pushes `payment_received` events on a websocket; `waitForInvoice` polls instead,
 * which works in every runtime (a browser WebSocket cannot send Basic auth).
 *
 * @module
 */
import { decodeInvoice, ErrorCodes, type FareboxError, invalidArgument, toBase64, utf8 } from '@farebox/core';
import { answerChecks, checkHash, isObject } from './checks.js';
import { DEFAULT_TIMEOUT_MS, type FetchLike, lnError, pollInvoice, readCapped, requestJson } from './http.js';
import { withoutSecret } from './redact.js';
import type {
  CallOptions,
  CreatedInvoice,
  CreateInvoiceRequest,
  InvoiceIssuer,
  InvoiceStatus,
  Network,
  NodeInfo,
  Payer,
  PaymentLookup,
  PaymentResult,
  PayOptions,
} from './types.js';

const BACKEND = 'phoenixd';

/**
 * Longest `description` phoenixd accepts (Api.kt, `createinvoice`); longer memos are refused.
 *
 * @example
 * ```ts
 * import { PHOENIXD_MAX_DESCRIPTION } from '@farebox/lightning';
 * const memo = 'x'.repeat(200).slice(0, PHOENIXD_MAX_DESCRIPTION);
 * ```
 */
export const PHOENIXD_MAX_DESCRIPTION = 128;

/** Options for {@link Phoenixd}. */
export interface PhoenixdOptions {
  /** Phoenixd's base URL, e.g. `http://127.0.0.1:9740`. */
  url: string;
  /** `http-password` (pays) or `http-password-limited-access` (invoices only) from `phoenix.conf`. */
  password: string;
  /** `fetch` to use (default: the global one). */
  fetch?: FetchLike;
  /** Default timeout of a call, ms (default 15 s; paying defaults to 60 s). */
  timeoutMs?: number;
  /**
   * Sent as `externalId` with every invoice, so farebox's invoices can be listed with
   * `GET /payments/incoming?externalId=…`. Not sent by default.
   */
  externalId?: string;
}

/** `FinalFailure` and part-failure texts of lightning-kmp that mean "no way to the payee". */
const NO_ROUTE = [
  'recipient was offline or did not have enough liquidity',
  'recipient node is offline or unreachable',
  'liquidity issue at the recipient node',
  'a node in the route had a temporary failure',
  'payment could not be sent through existing channels',
  'channel is not connected yet',
  'channel creation is in progress',
  'channel closing is in progress',
];

const { bad, hash32, count, matchingPreimage, ownInvoice } = answerChecks(BACKEND);

/** What {@link Phoenixd.lookupPayment} resolves to. */

/**
 * Phoenixd's 404s are plain text: "Not found" for a lookup without a result (Api.kt turns
 * the route's 204 into it), "Unknown endpoint (check api doc)" for a route it does not have.
 * This `fetch` hands that text on as a JSON `message`, which becomes the error's `data.detail`.
 */
function withNotFoundText(fetchFn: FetchLike): FetchLike {
  return async (input, init) => {
    const res = await fetchFn(input, init);
    if (res.status !== 404) return res;
    const text = (await readCapped(res, BACKEND)).trim().slice(0, 200);
    return new Response(JSON.stringify({ message: text }), {
      status: 404,
      headers: { 'content-type': 'application/json' },
    });
  };
}

/** msat → whole sats, or INVALID_ARGUMENT: phoenixd's API has no msat precision. */
function wholeSats(v: bigint, name: string): string {
  if (typeof v !== 'bigint' || v <= 0n) invalidArgument(name, 'a positive bigint');
  if (v % 1000n !== 0n) invalidArgument(name, 'whole sats (a multiple of 1000 msat): phoenixd takes sats');
  return (v / 1000n).toString();
}

function network(chain: unknown): Network | undefined {
  if (chain === 'mainnet' || chain === 'signet' || chain === 'regtest') return chain;
  if (typeof chain === 'string' && chain.startsWith('testnet')) return 'testnet';
  return undefined;
}

/**
 * A Phoenixd node: invoices (`/createinvoice`, `/payments/incoming/{paymentHash}`) and
 * payments (`/payinvoice`, `/payments/outgoingbyhash/{paymentHash}`), balance (`/getbalance`)
 * and node info (`/getinfo`).
 *
 * @example
 * ```ts
 * import { Phoenixd, sats } from '@farebox/lightning';
 * const phoenix = new Phoenixd({ url: 'http://127.0.0.1:9740', password: 'http-password from phoenix.conf' });
 * const inv = await phoenix.createInvoice({ amountMsat: sats(21), memo: 'one API call' });
 * const status = await phoenix.waitForInvoice(inv.paymentHash, { timeoutMs: 60_000 });
 * ```
 */
export class Phoenixd implements InvoiceIssuer, Payer {
  readonly backend = BACKEND;
  readonly url: string;
  readonly #password: string;
  readonly #auth: string;
  readonly #fetch: FetchLike | undefined;
  readonly #timeoutMs: number;
  readonly #externalId: string | undefined;

  constructor(opts: PhoenixdOptions) {
    if (!opts || typeof opts.url !== 'string' || !/^https?:\/\//.test(opts.url)) {
      invalidArgument('url', 'an http(s) URL');
    }
    if (typeof opts.password !== 'string' || opts.password === '')
      invalidArgument('password', 'a non-empty string');
    if (opts.externalId !== undefined && typeof opts.externalId !== 'string')
      invalidArgument('externalId', 'a string');
    this.url = opts.url.replace(/\/+$/, '');
    this.#password = opts.password;
    // Basic auth, empty user name (Api.kt checks only the password).
    this.#auth = `Basic ${toBase64(utf8(`:${opts.password}`))}`;
    this.#fetch = opts.fetch;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#externalId = opts.externalId;
  }

  async #call(
    path: string,
    form: Record<string, string> | undefined,
    opts: CallOptions | undefined,
    notFoundText = false,
  ) {
    const headers: Record<string, string> = { authorization: this.#auth };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    try {
      const res = await requestJson(`${this.url}${path}`, {
        backend: BACKEND,
        method: form ? 'POST' : 'GET',
        headers,
        body: form ? new URLSearchParams(form).toString() : undefined,
        fetch: notFoundText ? withNotFoundText(this.#fetch ?? ((i, o) => fetch(i, o))) : this.#fetch,
        signal: opts?.signal,
        timeoutMs: opts?.timeoutMs ?? this.#timeoutMs,
      });
      if (!isObject(res.body)) throw bad(`${path}: answer is not a JSON object`);
      return res.body;
    } catch (e) {
      // The password, and its Basic form in case a proxy echoes the header.
      throw withoutSecret(withoutSecret(e, this.#password), this.#auth.slice('Basic '.length));
    }
  }

  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const r = await this.#call('/getinfo', undefined, opts);
    const info: NodeInfo = { backend: BACKEND };
    const net = network(r.chain);
    if (net) info.network = net;
    if (typeof r.nodeId === 'string') info.pubkey = r.nodeId;
    if (typeof r.blockHeight === 'number') info.blockHeight = r.blockHeight;
    return info;
  }

  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const form: Record<string, string> = { amountSat: wholeSats(req?.amountMsat, 'amountMsat') };
    if (req.descriptionHash !== undefined) {
      form.descriptionHash = checkHash(req.descriptionHash, 'descriptionHash');
    } else {
      const memo = req.memo ?? '';
      if (typeof memo !== 'string' || memo.length > PHOENIXD_MAX_DESCRIPTION) {
        invalidArgument('memo', `a string of at most ${PHOENIXD_MAX_DESCRIPTION} characters for phoenixd`);
      }
      form.description = memo;
    }
    const expiry = req.expirySeconds ?? 600;
    if (!Number.isSafeInteger(expiry) || expiry <= 0) invalidArgument('expirySeconds', 'a positive integer');
    form.expirySeconds = String(expiry);
    if (this.#externalId !== undefined) form.externalId = this.#externalId;
    const r = await this.#call('/createinvoice', form, opts);
    if (typeof r.serialized !== 'string')
      throw bad('createinvoice: no "serialized" invoice', { field: 'serialized' });
    const paymentHash = hash32(r.paymentHash, 'paymentHash');
    const decoded = ownInvoice(r.serialized, {
      paymentHash,
      where: 'createinvoice: "serialized"',
      hashField: 'paymentHash',
    });
    return {
      paymentRequest: r.serialized,
      paymentHash,
      amountMsat: req.amountMsat,
      expiresAt: decoded.expiresAt,
    };
  }

  /**
   * `GET /payments/incoming/{paymentHash}`. `amountPaidMsat` is what the payer sent:
   * phoenixd's `receivedSat` plus the `fees` (msat) it deducted, such as liquidity fees.
   */
  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const r = await this.#call(`/payments/incoming/${hash}`, undefined, opts);
    hash32(r.paymentHash, 'paymentHash');
    if (typeof r.isPaid !== 'boolean') throw bad('incoming payment has no "isPaid"', { field: 'isPaid' });
    const state = r.isPaid ? 'settled' : r.isExpired === true ? 'expired' : 'open';
    const s: InvoiceStatus = { paymentHash: hash, state };
    if (r.requestedSat !== undefined && r.requestedSat !== null)
      s.amountMsat = count(r.requestedSat, 'requestedSat') * 1000n;
    if (typeof r.invoice === 'string') s.paymentRequest = r.invoice;
    if (r.isPaid) {
      // Phoenixd knows the preimage of every invoice it made; it is proof of payment only once paid.
      s.preimage = hash32(r.preimage, 'preimage');
      s.amountPaidMsat =
        count(r.receivedSat, 'receivedSat') * 1000n + (r.fees === undefined ? 0n : count(r.fees, 'fees'));
      if (typeof r.completedAt === 'number') s.settledAt = Math.floor(r.completedAt / 1000);
    }
    return s;
  }

  /** Polls {@link Phoenixd.lookupInvoice} (every `pollIntervalMs`, default 500 ms) until the invoice leaves `open`. */
  waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    return pollInvoice(BACKEND, (signal) => this.lookupInvoice(hash, { signal }), opts);
  }

  /**
   * `POST /payinvoice`. Phoenixd pays through its trampoline LSP at a fee it sets, so
   * `maxFeeMsat` is not enforced; `routingFeeSat` is reported in whole sats. Phoenixd does not
   * check expiry before sending, so expired invoices are refused here (LN_INVOICE_EXPIRED).
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const inv = decodeInvoice(paymentRequest);
    if (Math.floor(Date.now() / 1000) >= inv.expiresAt) {
      throw lnError(ErrorCodes.LN_INVOICE_EXPIRED, BACKEND, 'invoice expired', { expiresAt: inv.expiresAt });
    }
    const form: Record<string, string> = { invoice: paymentRequest };
    let amount = inv.amountMsat;
    if (amount === undefined) {
      if (opts.amountMsat === undefined) invalidArgument('amountMsat', 'set for a zero-amount invoice');
      // Only for zero-amount invoices: phoenixd's amountSat overrides the invoice's amount.
      form.amountSat = wholeSats(opts.amountMsat, 'amountMsat');
      amount = opts.amountMsat;
    }
    const call: CallOptions = { timeoutMs: opts.timeoutMs ?? Math.max(this.#timeoutMs, 60_000) };
    if (opts.signal) call.signal = opts.signal;
    const r = await this.#call('/payinvoice', form, call);
    if (typeof r.paymentPreimage !== 'string') {
      // PaymentFailed: { paymentHash, reason } with lightning-kmp's failure text.
      const reason = typeof r.reason === 'string' ? r.reason.slice(0, 300) : 'unknown';
      throw failure(reason, inv.expiresAt);
    }
    const preimage = matchingPreimage(r.paymentPreimage, {
      field: 'paymentPreimage',
      paymentHash: inv.paymentHash,
    });
    const feeMsat = r.routingFeeSat === undefined ? 0n : count(r.routingFeeSat, 'routingFeeSat') * 1000n;
    return { preimage, paymentHash: inv.paymentHash, amountMsat: amount, feeMsat };
  }

  /**
   * Where this node's payment of `paymentHash` stands, so a client that crashed while paying
   * can recover the preimage instead of paying twice: `GET /payments/outgoingbyhash/{paymentHash}`
   * (Api.kt: of all attempts to pay the hash, a succeeded one, else a pending one, else a
   * failed one), an `OutgoingPayment` (JsonSerializers.kt) whose `isPaid` means succeeded
   * (with the `preimage`, checked against the hash), and whose `completedAt` without
   * `isPaid` means failed; neither is pending. "Not found" (no attempt at all) is `failed`;
   * a phoenixd without this route is LN_UNSUPPORTED.
   */
  async lookupPayment(paymentHash: string, opts?: CallOptions): Promise<PaymentLookup> {
    const hash = checkHash(paymentHash);
    let r: Record<string, unknown>;
    try {
      r = await this.#call(`/payments/outgoingbyhash/${hash}`, undefined, opts, true);
    } catch (e) {
      const err = e as FareboxError;
      if (err.code === ErrorCodes.LN_NOT_FOUND) {
        if (err.data?.detail === 'Not found') return { state: 'failed' };
        throw lnError(
          ErrorCodes.LN_UNSUPPORTED,
          BACKEND,
          'this phoenixd cannot look payments up by hash (GET /payments/outgoingbyhash)',
          { status: 404, detail: err.data?.detail },
          e,
        );
      }
      throw e;
    }
    if (hash32(r.paymentHash, 'paymentHash') !== hash) throw bad('outgoing payment of another payment hash');
    if (typeof r.isPaid !== 'boolean') throw bad('outgoing payment has no "isPaid"', { field: 'isPaid' });
    if (r.isPaid) {
      return {
        state: 'succeeded',
        preimage: matchingPreimage(r.preimage, { field: 'preimage', paymentHash: hash }),
      };
    }
    return { state: typeof r.completedAt === 'number' ? 'failed' : 'pending' };
  }

  /** `balanceSat` of `GET /getbalance` (fee credit is not spendable and is left out). */
  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const r = await this.#call('/getbalance', undefined, opts);
    return { balanceMsat: count(r.balanceSat, 'balanceSat') * 1000n };
  }
}

/** Maps a `PaymentFailed.reason` (lightning-kmp `FinalFailure` / part failure texts). */
function failure(reason: string, expiresAt: number): FareboxError {
  const data = { reason };
  const text = reason.toLowerCase();
  if (text.includes('already been paid'))
    return lnError(ErrorCodes.LN_ALREADY_PAID, BACKEND, 'invoice already paid', data);
  if (text.includes('not enough funds')) {
    return lnError(ErrorCodes.LN_INSUFFICIENT_BALANCE, BACKEND, 'not enough funds', data);
  }
  if (NO_ROUTE.some((t) => text.includes(t)))
    return lnError(ErrorCodes.LN_NO_ROUTE, BACKEND, 'no route to the payee', data);
  // A payee rejects an HTLC for an invoice that expired while the payment was under way.
  if (text.includes('rejected the payment') && Math.floor(Date.now() / 1000) >= expiresAt) {
    return lnError(ErrorCodes.LN_INVOICE_EXPIRED, BACKEND, 'invoice expired', data);
  }
  return lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, 'payment failed', data);
}
