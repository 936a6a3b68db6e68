/**
 * LNbits adapter (checked against LNbits 1.6.2): a wallet on an LNbits server, through its
 * REST API with an `X-Api-Key`. The invoice (read) key issues and looks up invoices; paying
 * needs the admin key.
 *
 * | call | LNbits 1.6 endpoint |
 * |---|---|
 * | createInvoice | `POST /api/v1/payments` `{out:false, amount, unit:"sat", memo, expiry, description_hash}` |
 * | lookupInvoice | `GET /api/v1/payments/{payment_hash}` → `{paid, status, preimage, details}` |
 * | waitForInvoice | websocket `/api/v1/ws/{payment_hash}` (hint), confirmed by lookup; polling fallback |
 * | getInfo, getBalance | `GET /api/v1/wallet` → `{name, balance}` (balance in msat) |
 * | payInvoice | `POST /api/v1/payments` `{out:true, bolt11}` with the admin key |
 * | lookupPayment | `GET /api/v1/payments/{payment_hash}` with the admin key (outgoing rows only) |
 *
 * Limits of LNbits 1.6, by design of its API:
 * - Amounts are whole sats (`amount` is truncated to an integer), so `amountMsat` must be a
 *   multiple of 1000.
 * - No hold invoices here: LNbits 1.6 can create, settle and cancel them
 *   (`payment_hash` in `POST /payments`, `POST /payments/settle|cancel`), but it never reports
 *   that one was paid and is waiting (lnd's ACCEPTED reads as `pending`), so a seller could
 *   not learn when to settle. This adapter therefore does not implement `HoldInvoiceIssuer`.
 * - It cannot pay zero-amount invoices, and it applies its own fee reserve (`maxFeeMsat`
 *   is not sent; LNbits refuses payments its balance cannot cover with the reserve).
 *
 * @module
 */
import {
  decodeInvoice,
  ErrorCodes,
  FareboxError,
  fromHex,
  invalidArgument,
  isHex,
  sha256,
  toHex,
} from '@farebox/core';
import { answerChecks, checkHash, isObject } from './checks.js';
import { DEFAULT_TIMEOUT_MS, deadline, type FetchLike, lnError, requestJson, sleep } from './http.js';
import type {
  CallOptions,
  CreatedInvoice,
  CreateInvoiceRequest,
  InvoiceIssuer,
  InvoiceStatus,
  NodeInfo,
  Payer,
  PaymentLookup,
  PaymentResult,
  PayOptions,
} from './types.js';
import { type WebSocketConstructor, type WebSocketLike, WS_OPEN } from './websocket.js';

const BACKEND = 'lnbits';

const { matchingPreimage } = answerChecks(BACKEND);

/** What {@link LnbitsBackend.lookupPayment} resolves to. */

/** Options for {@link LnbitsBackend}. */
export interface LnbitsOptions {
  /** The LNbits server, e.g. `https://legend.lnbits.com` or `http://127.0.0.1:5000`. */
  url: string;
  /** The wallet's invoice/read key (or its admin key). */
  key: string;
  /** The admin key, needed to pay (default: `key`, which then must be the admin key). */
  adminKey?: string;
  /** A `fetch` (default: the global one). */
  fetch?: FetchLike;
  /**
   * A WebSocket constructor for `waitForInvoice` (default: the global one; on Node 20 pass
   * `ws`). Without one, `waitForInvoice` polls.
   */
  WebSocket?: WebSocketConstructor;
  /** Default timeout of a call, ms (15 s; payments 60 s; payment lookups 45 s). */
  timeoutMs?: number;
}

/** The `details` of `GET /api/v1/payments/{hash}` (LNbits' Payment model). */
interface LnbitsPayment {
  payment_hash?: string;
  bolt11?: string;
  payment_request?: string | null;
  amount?: number;
  fee?: number;
  status?: string;
  preimage?: string | null;
  expiry?: string | null;
  updated_at?: string;
  labels?: string[];
  extra?: Record<string, unknown>;
}

interface LnbitsLookup {
  paid?: boolean;
  status?: string;
  preimage?: string | null;
  details?: LnbitsPayment;
}

function unixSeconds(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  // LNbits writes UTC datetimes, sometimes without an offset.
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

function msat(v: unknown): bigint | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return BigInt(Math.trunc(Math.abs(v)));
}

/**
 * Maps an LNbits error text (its `detail`) to a code. LNbits answers payment and invoice
 * failures with HTTP 520 (or 400/500) and a message, so the message is all there is.
 */
function classify(
  detail: string,
): { code: (typeof ErrorCodes)[keyof typeof ErrorCodes]; reason: string } | undefined {
  const d = detail.toLowerCase();
  if (
    d.includes('insufficient balance') ||
    d.includes('insufficient_balance') ||
    d.includes('must reserve at least')
  ) {
    return { code: ErrorCodes.LN_INSUFFICIENT_BALANCE, reason: 'insufficient balance' };
  }
  if (d.includes('already paid')) return { code: ErrorCodes.LN_ALREADY_PAID, reason: 'already paid' };
  if (d.includes('expired')) return { code: ErrorCodes.LN_INVOICE_EXPIRED, reason: 'expired' };
  if (d.includes('no_route') || d.includes('no route') || d.includes('unable to find a path')) {
    return { code: ErrorCodes.LN_NO_ROUTE, reason: 'no route' };
  }
  if (
    d.includes('amountless') ||
    d.includes('missig invoice amount') ||
    d.includes('missing invoice amount')
  ) {
    return { code: ErrorCodes.LN_UNSUPPORTED, reason: 'zero-amount invoice' };
  }
  if (d.includes('only incoming payments allowed') || d.includes('does not have permission')) {
    return { code: ErrorCodes.LN_UNAUTHORIZED, reason: 'not permitted' };
  }
  if (d.includes('still pending')) return { code: ErrorCodes.LN_PAYMENT_FAILED, reason: 'pending' };
  return undefined;
}

/**
 * A Lightning backend on an LNbits wallet.
 *
 * @example
 * ```ts
 * import { LnbitsBackend, sats } from '@farebox/lightning';
 * const lnbits = new LnbitsBackend({ url: 'https://lnbits.example', key: 'invoice-key', adminKey: 'admin-key' });
 * const inv = await lnbits.createInvoice({ amountMsat: sats(21), memo: 'a joke' });
 * const done = await lnbits.waitForInvoice(inv.paymentHash, { timeoutMs: 600_000 });
 * if (done.state === 'settled') console.log('paid, preimage', done.preimage);
 * ```
 */
export class LnbitsBackend implements InvoiceIssuer, Payer {
  readonly backend = BACKEND;
  readonly #url: string;
  readonly #key: string;
  readonly #adminKey: string;
  readonly #fetch: FetchLike | undefined;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #sockets = new Set<WebSocketLike>();

  constructor(opts: LnbitsOptions) {
    if (!opts || typeof opts !== 'object') invalidArgument('opts', 'an object');
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw lnError(ErrorCodes.LN_BAD_CONFIG, BACKEND, '"url" must be an http(s) URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw lnError(ErrorCodes.LN_BAD_CONFIG, BACKEND, '"url" must be an http(s) URL');
    }
    if (typeof opts.key !== 'string' || opts.key.trim() === '') {
      throw lnError(ErrorCodes.LN_BAD_CONFIG, BACKEND, '"key" must be the wallet\'s invoice or admin key');
    }
    if (opts.adminKey !== undefined && (typeof opts.adminKey !== 'string' || opts.adminKey.trim() === '')) {
      throw lnError(ErrorCodes.LN_BAD_CONFIG, BACKEND, '"adminKey" must be a non-empty string');
    }
    this.#url = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    this.#key = opts.key.trim();
    this.#adminKey = (opts.adminKey ?? opts.key).trim();
    this.#fetch = opts.fetch;
    this.#WebSocket = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.#timeoutMs = opts.timeoutMs;
  }

  /** One API call; LNbits' own refusals become typed errors. */
  async #call<T>(
    path: string,
    key: string,
    opts: CallOptions | undefined,
    init: { method?: string; body?: unknown; paying?: boolean } = {},
  ) {
    const req = {
      backend: BACKEND,
      headers: { 'x-api-key': key },
      timeoutMs: opts?.timeoutMs ?? this.#timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(init.method ? { method: init.method } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(opts?.signal ? { signal: opts.signal } : {}),
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    };
    try {
      return (await requestJson<T>(`${this.#url}${path}`, req)).body;
    } catch (e) {
      throw this.#refine(e, init.paying === true);
    }
  }

  /** LNbits' refusals (a 404 for an unknown key, HTTP 520 with a message for payments) to codes. */
  #refine(e: unknown, paying: boolean): unknown {
    if (!(e instanceof FareboxError)) return e;
    const detail = typeof e.data.detail === 'string' ? e.data.detail : '';
    const status = e.data.status;
    // A key LNbits does not know: 404 "Wallet not found." (its key checker), not a missing invoice.
    if (e.code === ErrorCodes.LN_NOT_FOUND && /wallet not found/i.test(detail)) {
      return lnError(
        ErrorCodes.LN_UNAUTHORIZED,
        BACKEND,
        'the key is not a key of any wallet on this server',
        { status },
        e,
      );
    }
    if (e.code === ErrorCodes.LN_NOT_FOUND && !/does not exist/i.test(detail)) {
      return lnError(
        ErrorCodes.LN_BAD_RESPONSE,
        BACKEND,
        `${e.message} (is this an LNbits server?)`,
        { status },
        e,
      );
    }
    if (e.code === ErrorCodes.LN_BAD_RESPONSE && detail) {
      const c = classify(detail);
      if (c) return lnError(c.code, BACKEND, detail, { status, reason: c.reason }, e);
      if (paying && status === 520)
        return lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, detail, { status, reason: detail }, e);
    }
    return e;
  }

  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const w = await this.#call<{ name?: unknown }>('/api/v1/wallet', this.#key, opts);
    const info: NodeInfo = { backend: BACKEND };
    if (typeof w.name === 'string') info.alias = w.name;
    return info;
  }

  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const w = await this.#call<{ balance?: unknown }>('/api/v1/wallet', this.#key, opts);
    const b = msat(w.balance);
    if (b === undefined) throw lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, 'GET /api/v1/wallet: no balance');
    return { balanceMsat: b };
  }

  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    if (!req || typeof req.amountMsat !== 'bigint' || req.amountMsat <= 0n)
      invalidArgument('amountMsat', 'a positive bigint');
    // LNbits 1.6 truncates `amount` to whole sats: refuse what it would change.
    if (req.amountMsat % 1000n !== 0n)
      invalidArgument('amountMsat', 'whole sats (a multiple of 1000) on LNbits');
    const expiry = req.expirySeconds ?? 600;
    if (!Number.isInteger(expiry) || expiry <= 0) invalidArgument('expirySeconds', 'a positive integer');
    const body: Record<string, unknown> = {
      out: false,
      amount: Number(req.amountMsat / 1000n),
      unit: 'sat',
      expiry,
    };
    if (req.descriptionHash !== undefined)
      body.description_hash = checkHash(req.descriptionHash, 'descriptionHash');
    else if (req.memo !== undefined) {
      if (typeof req.memo !== 'string' || req.memo.length > 640)
        invalidArgument('memo', 'a string of at most 640 characters');
      body.memo = req.memo;
    }
    const p = await this.#call<LnbitsPayment>('/api/v1/payments', this.#key, opts, { body });
    const paymentRequest = p.payment_request ?? p.bolt11;
    if (
      typeof paymentRequest !== 'string' ||
      typeof p.payment_hash !== 'string' ||
      !isHex(p.payment_hash, 32)
    ) {
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, 'POST /api/v1/payments: no invoice in the answer');
    }
    return {
      paymentRequest,
      paymentHash: p.payment_hash.toLowerCase(),
      amountMsat: req.amountMsat,
      expiresAt: unixSeconds(p.expiry) ?? Math.floor(Date.now() / 1000) + expiry,
    };
  }

  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const r = await this.#call<LnbitsLookup>(`/api/v1/payments/${hash}`, this.#key, opts);
    const d = r.details;
    // Without `details` the payment is not this wallet's (LNbits answers any hash without a key).
    if (!d || typeof d !== 'object')
      throw lnError(ErrorCodes.LN_NOT_FOUND, BACKEND, 'no invoice with this payment hash in this wallet');
    if (typeof d.amount === 'number' && d.amount < 0) {
      throw lnError(
        ErrorCodes.LN_NOT_FOUND,
        BACKEND,
        'this payment hash is an outgoing payment of this wallet, not an invoice',
      );
    }
    const status: InvoiceStatus = { paymentHash: hash, state: 'open' };
    const amount = msat(d.amount);
    if (amount !== undefined) status.amountMsat = amount;
    const pr = d.payment_request ?? d.bolt11;
    if (typeof pr === 'string') status.paymentRequest = pr;
    const st = r.paid === true ? 'success' : (r.status ?? d.status);
    if (st === 'success') {
      status.state = 'settled';
      const pre = r.preimage ?? d.preimage;
      if (typeof pre === 'string' && isHex(pre, 32) && toHex(sha256(fromHex(pre))) === hash)
        status.preimage = pre.toLowerCase();
      if (amount !== undefined) status.amountPaidMsat = amount;
      const at = unixSeconds(d.updated_at);
      if (at !== undefined) status.settledAt = at;
    } else if (st === 'failed') {
      const expiresAt = unixSeconds(d.expiry);
      const expired =
        d.labels?.includes('expired') || (expiresAt !== undefined && expiresAt <= Date.now() / 1000);
      status.state = expired && !d.extra?.hold_invoice_cancelled ? 'expired' : 'canceled';
    } else {
      const expiresAt = unixSeconds(d.expiry);
      if (expiresAt !== undefined && expiresAt <= Date.now() / 1000) status.state = 'expired';
    }
    return status;
  }

  /**
   * Resolves once the invoice leaves `open`. Listens on LNbits' websocket for the payment
   * hash (`/api/v1/ws/{payment_hash}`, sent `{"pending": false, "status": "success"}` when
   * paid) and confirms every message with a lookup: that channel has no authentication
   * (anyone may post to it), so a message is only a hint. Polls every `pollIntervalMs`
   * (default 1 s) without a websocket, every 5 s beside one.
   */
  async waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const d = deadline(opts, 60_000);
    const fastMs = opts.pollIntervalMs ?? 1000;
    let hinted = false;
    let wake: (() => void) | undefined;
    const socket = this.#listen(hash, () => {
      hinted = true;
      wake?.();
    });
    let lastError: unknown;
    try {
      for (let first = true; !d.signal.aborted; first = false) {
        hinted = false;
        try {
          const s = await this.lookupInvoice(hash, {
            signal: d.signal,
            timeoutMs: Math.min(this.#timeoutMs ?? DEFAULT_TIMEOUT_MS, d.ms),
          });
          if (s.state !== 'open') return s;
        } catch (e) {
          if (d.signal.aborted) break;
          // The first lookup says whether the invoice exists and the key works; later
          // failures (a restarting server) are retried until the deadline.
          const code = (e as FareboxError).code;
          if (first || code === ErrorCodes.LN_NOT_FOUND || code === ErrorCodes.LN_UNAUTHORIZED) throw e;
          lastError = e;
        }
        if (hinted) continue;
        const ms = socket?.readyState === WS_OPEN ? Math.max(fastMs, 5000) : fastMs;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, ms);
          function done() {
            clearTimeout(t);
            wake = undefined;
            d.signal.removeEventListener('abort', done);
            resolve();
          }
          wake = done;
          d.signal.addEventListener('abort', done, { once: true });
        });
      }
      throw lnError(
        ErrorCodes.LN_TIMEOUT,
        BACKEND,
        d.timedOut ? `invoice still open after ${d.ms} ms` : 'aborted',
        {},
        lastError,
      );
    } finally {
      d.done();
      if (socket) {
        this.#sockets.delete(socket);
        try {
          socket.close();
        } catch {
          // not open
        }
      }
    }
  }

  /** Opens the websocket of a payment hash; `hint` on open and on each message. */
  #listen(hash: string, hint: () => void): WebSocketLike | undefined {
    if (!this.#WebSocket) return undefined;
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(`${this.#url.replace(/^http/, 'ws')}/api/v1/ws/${hash}`);
    } catch {
      return undefined;
    }
    this.#sockets.add(ws);
    ws.addEventListener('open', hint);
    ws.addEventListener('message', hint);
    ws.addEventListener('error', () => undefined); // `close` follows
    ws.addEventListener('close', () => this.#sockets.delete(ws));
    return ws;
  }

  /**
   * Pays with the admin key. LNbits answers when lnd is done (or still in flight: then this
   * polls the payment until it succeeds or fails, within the timeout, default 60 s).
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    if (typeof paymentRequest !== 'string' || paymentRequest.trim() === '')
      invalidArgument('paymentRequest', 'a BOLT11 invoice');
    const inv = decodeInvoice(paymentRequest.trim());
    if (inv.amountMsat === undefined) {
      throw lnError(ErrorCodes.LN_UNSUPPORTED, BACKEND, 'LNbits cannot pay zero-amount invoices', {
        reason: 'zero-amount invoice',
      });
    }
    const d = deadline(opts, this.#timeoutMs ?? 60_000);
    try {
      let p: LnbitsPayment;
      try {
        p = await this.#call<LnbitsPayment>(
          '/api/v1/payments',
          this.#adminKey,
          { signal: d.signal, timeoutMs: d.ms },
          {
            body: { out: true, bolt11: paymentRequest.trim() },
            paying: true,
          },
        );
      } catch (e) {
        if ((e as FareboxError).data?.reason !== 'pending') throw e;
        p = { status: 'pending' };
      }
      while (p.status === 'pending') {
        await sleep(500, d.signal).catch(() => undefined);
        if (d.signal.aborted) {
          throw lnError(ErrorCodes.LN_TIMEOUT, BACKEND, `payment still in flight after ${d.ms} ms`, {
            paymentHash: inv.paymentHash,
            inFlight: true,
          });
        }
        const r = await this.#call<LnbitsLookup>(`/api/v1/payments/${inv.paymentHash}`, this.#adminKey, {
          signal: d.signal,
          timeoutMs: d.ms,
        });
        p = {
          ...r.details,
          status: r.paid ? 'success' : (r.status ?? r.details?.status ?? 'pending'),
          preimage: r.preimage ?? r.details?.preimage ?? null,
        };
      }
      if (p.status !== 'success') {
        throw lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, 'payment failed', {
          reason: 'failed',
          paymentHash: inv.paymentHash,
        });
      }
      const pre = p.preimage;
      if (typeof pre !== 'string' || !isHex(pre, 32) || toHex(sha256(fromHex(pre))) !== inv.paymentHash) {
        throw lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, 'payment succeeded without a valid preimage', {
          paymentHash: inv.paymentHash,
        });
      }
      return {
        preimage: pre.toLowerCase(),
        paymentHash: inv.paymentHash,
        amountMsat: msat(p.amount) ?? inv.amountMsat,
        feeMsat: msat(p.fee) ?? 0n,
      };
    } finally {
      d.done();
    }
  }

  /**
   * Where this wallet's payment of `paymentHash` stands, so a client that crashed while paying
   * can recover the preimage instead of paying twice: `GET /api/v1/payments/{payment_hash}`
   * with the admin key (LNbits 1.6 `api_payment`: `{paid, status, preimage, details}`, where
   * `details` is the wallet's own row, the outgoing one first when the wallet both issued and
   * paid the hash).
   *
   * - `succeeded` (with the preimage, checked against the hash) for `paid: true` / status
   *   `success`, `pending` while LNbits (and its funding source) still has it in flight,
   *   `failed` for status `failed`.
   * - `failed` as well when nothing of this wallet was spent for the hash: LNbits knows no
   *   payment with it (404 "Payment does not exist."), or the wallet knows it only as an
   *   invoice it issued (a positive `amount`: incoming).
   * - A key LNbits does not know gets no `details`: the key is then checked
   *   (`GET /api/v1/wallet`) and refused with LN_UNAUTHORIZED rather than read as `failed`.
   *
   * For a payment its row still has as pending, LNbits asks its funding source before it
   * answers; on lnd (`TrackPaymentV2`, read with a 30 s timeout) a payment still in flight
   * is answered `pending` only after those 30 s, hence the default timeout of 45 s.
   */
  async lookupPayment(paymentHash: string, opts?: CallOptions): Promise<PaymentLookup> {
    const hash = checkHash(paymentHash);
    const d = deadline(opts, this.#timeoutMs ?? 45_000);
    const call: CallOptions = { signal: d.signal, timeoutMs: d.ms };
    try {
      let r: LnbitsLookup;
      try {
        r = await this.#call<LnbitsLookup>(`/api/v1/payments/${hash}`, this.#adminKey, call);
      } catch (e) {
        // #refine leaves LN_NOT_FOUND only for LNbits' own "Payment does not exist.".
        if (e instanceof FareboxError && e.code === ErrorCodes.LN_NOT_FOUND) return { state: 'failed' };
        throw e;
      }
      if (!isObject(r)) throw lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, 'payment lookup: not an object');
      const p = r.details;
      if (!isObject(p)) {
        // LNbits answers any hash without `details` to a key of no wallet: make sure the key works.
        await this.#call<unknown>('/api/v1/wallet', this.#adminKey, call);
        return { state: 'failed' };
      }
      if (typeof p.amount !== 'number' || !Number.isFinite(p.amount)) {
        throw lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, 'payment lookup: no "amount"', {
          field: 'amount',
        });
      }
      // An invoice this wallet issued (amount > 0) is not a payment of its own.
      if (p.amount >= 0) return { state: 'failed' };
      const status = r.paid === true ? 'success' : (r.status ?? p.status);
      if (status === 'success') {
        const pre = r.preimage ?? p.preimage;
        if (pre === undefined || pre === null) return { state: 'succeeded' };
        return {
          state: 'succeeded',
          preimage: matchingPreimage(pre, { field: 'preimage', paymentHash: hash }),
        };
      }
      if (status === 'failed') return { state: 'failed' };
      return { state: 'pending' };
    } catch (e) {
      if (d.timedOut)
        throw lnError(ErrorCodes.LN_TIMEOUT, BACKEND, `payment lookup timed out after ${d.ms} ms`, {}, e);
      throw e;
    } finally {
      d.done();
    }
  }

  /** Closes the websockets of pending `waitForInvoice` calls (those calls then poll). */
  async close(): Promise<void> {
    for (const ws of this.#sockets) {
      try {
        ws.close();
      } catch {
        // already closed
      }
    }
    this.#sockets.clear();
  }
}
