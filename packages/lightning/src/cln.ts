/**
 * Core Lightning through clnrest, the REST plugin shipped with CLN since v23.08
 * (`plugins/rest-plugin` in ElementsProject/lightning). Every RPC is `POST /v1/<method>`
 * with the params as a JSON object and the rune in a `Rune` header. clnrest answers
 * HTTP 201 with the RPC result; an RPC error is HTTP 500 with `{code, message, data}`,
 * an unknown method HTTP 404, a bad rune HTTP 401 and a missing one HTTP 403
 * (`handlers.rs`, `shared.rs`, `structs.rs`).
 *
 * Request and answer fields follow `doc/schemas/{invoice,listinvoices,waitinvoice,xpay,pay,
 * listpays,getinfo,listfunds}.json`; payment error codes follow `common/jsonrpc_errors.h`.
 *
 * Hold invoices exist in CLN only through the third-party `holdinvoice` plugin, which this
 * adapter does not assume, so it has none: `canHold()` is false for it.
 *
 * A node with a self-signed certificate needs a `fetch` that trusts it; the Node layer
 * (`@farebox/lightning/node`) builds one from the connection string's `cert`.
 *
 * @module
 */
import {
  decodeInvoice,
  ErrorCodes,
  FareboxError,
  invalidArgument,
  isHex,
  randomBytes,
  sha256,
  toHex,
  utf8,
} from '@farebox/core';
import { answerChecks, checkHash, isObject } from './checks.js';
import { DEFAULT_TIMEOUT_MS, deadline, type FetchLike, lnError, requestJson } from './http.js';
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

const BACKEND = 'cln';

/** Options for {@link ClnRest}. */
export interface ClnRestOptions {
  /** clnrest's base URL, e.g. `https://127.0.0.1:3010`. */
  url: string;
  /**
   * A rune (`lightning-cli createrune`) allowing the methods used: `invoice`, `listinvoices`,
   * `waitinvoice` (seller), `xpay` or `pay`, `listpays` and `listfunds` (payer), `getinfo`.
   */
  rune: string;
  /** `fetch` to use (default: the global one). Inject one that trusts a self-signed certificate. */
  fetch?: FetchLike;
  /** Default timeout of a call, ms (default 15 s; waiting and paying default to 60 s). */
  timeoutMs?: number;
}

/** An invoice as `listinvoices` and `waitinvoice` return it (doc/schemas/listinvoices.json). */
interface ClnInvoice {
  label: string;
  payment_hash: string;
  status: 'unpaid' | 'paid' | 'expired';
  expires_at: number;
  amount_msat?: number | string;
  bolt11?: string;
  amount_received_msat?: number | string;
  paid_at?: number;
  payment_preimage?: string;
}

/** An RPC error relayed by clnrest (cln-rpc's `RpcError`). */
interface RpcFailure {
  code: number | null;
  message: string;
  data: unknown;
}

/** `jsonrpc_errcode` values the adapter maps (common/jsonrpc_errors.h). */
const RPC = {
  METHOD_NOT_FOUND: -32601,
  LIGHTNINGD: -1,
  PAY_RHASH_ALREADY_USED: 201,
  PAY_ROUTE_NOT_FOUND: 205,
  PAY_ROUTE_TOO_EXPENSIVE: 206,
  PAY_INVOICE_EXPIRED: 207,
  PAY_INSUFFICIENT_FUNDS: 215,
  PAY_UNREACHABLE: 216,
  PAY_INJECTPAYMENTONION_ALREADY_PAID: 219,
  PAY_DESTINATION_INSUFFICIENT_CAPACITY: 220,
  INVOICE_EXPIRED_DURING_WAIT: 903,
} as const;

const { bad, hash32, matchingPreimage, ownInvoice } = answerChecks(BACKEND);

/** What {@link ClnRest.lookupPayment} resolves to. */

const PAY_STATUSES = new Set(['pending', 'complete', 'failed']);

/** A msat amount: clnrest sends numbers; very old nodes sent `"1000msat"` strings. */
function msat(v: unknown, field: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+(msat)?$/.test(v)) return BigInt(v.replace('msat', ''));
  throw bad(`"${field}" is not a msat amount`, { field });
}

/** Numbers sent to CLN as JSON numbers must be exact. */
function toJsonMsat(v: bigint, name: string): number {
  if (typeof v !== 'bigint' || v <= 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
    invalidArgument(name, 'a positive bigint below 2^53');
  }
  return Number(v);
}

function network(name: unknown): Network | undefined {
  if (name === 'bitcoin') return 'mainnet';
  if (name === 'testnet' || name === 'testnet4') return 'testnet';
  if (name === 'signet' || name === 'regtest') return name;
  return undefined;
}

/**
 * Core Lightning over clnrest: issues invoices (`invoice`, `listinvoices`, `waitinvoice`)
 * and pays them (`xpay`, falling back to `pay` on nodes without xpay).
 *
 * @example
 * ```ts
 * import { ClnRest, sats } from '@farebox/lightning';
 * const cln = new ClnRest({ url: 'https://127.0.0.1:3010', rune: 'tU-RLjMiDpY2U0o3W1oFowar36RFGpWloPbW9-RuZdo9MyZpZD0wMjRi' });
 * const inv = await cln.createInvoice({ amountMsat: sats(21), memo: 'one API call' });
 * const paid = await cln.waitForInvoice(inv.paymentHash, { timeoutMs: 60_000 });
 * ```
 */
export class ClnRest implements InvoiceIssuer, Payer {
  readonly backend = BACKEND;
  readonly url: string;
  readonly #rune: string;
  readonly #fetch: FetchLike | undefined;
  readonly #timeoutMs: number;

  constructor(opts: ClnRestOptions) {
    if (!opts || typeof opts.url !== 'string' || !/^https?:\/\//.test(opts.url)) {
      invalidArgument('url', 'an http(s) URL');
    }
    if (typeof opts.rune !== 'string' || opts.rune === '') invalidArgument('rune', 'a non-empty string');
    this.url = opts.url.replace(/\/+$/, '');
    this.#rune = opts.rune;
    this.#fetch = opts.fetch;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Calls one RPC. Throws LN_BAD_RESPONSE with `data.rpcCode` for an RPC error and
   * LN_UNSUPPORTED when clnrest says the method does not exist.
   */
  async #rpc(method: string, params: Record<string, unknown>, opts: CallOptions | undefined) {
    let res: { status: number; body: unknown };
    try {
      res = await requestJson(`${this.url}/v1/${method}`, {
        backend: BACKEND,
        method: 'POST',
        headers: { rune: this.#rune },
        body: params,
        fetch: this.#fetch,
        signal: opts?.signal,
        timeoutMs: opts?.timeoutMs ?? this.#timeoutMs,
        allowStatus: [500],
      });
    } catch (e) {
      if (e instanceof FareboxError && e.code === ErrorCodes.LN_NOT_FOUND) {
        // clnrest answers 404 for JSONRPC2_METHOD_NOT_FOUND: plugin disabled or method absent.
        throw withoutSecret(
          lnError(
            ErrorCodes.LN_UNSUPPORTED,
            BACKEND,
            `the node has no "${method}" method`,
            { method, detail: e.data.detail },
            e,
          ),
          this.#rune,
        );
      }
      throw withoutSecret(e, this.#rune);
    }
    if (res.status === 500) {
      const body = res.body;
      if (!isObject(body) || typeof body.message !== 'string') {
        throw bad(`${method}: HTTP 500`, { status: 500 });
      }
      const failure: RpcFailure = {
        code: typeof body.code === 'number' ? body.code : null,
        message: body.message.slice(0, 300),
        data: body.data ?? null,
      };
      throw withoutSecret(
        lnError(
          ErrorCodes.LN_BAD_RESPONSE,
          BACKEND,
          `${method} failed (RPC error ${failure.code ?? 'without code'})`,
          {
            method,
            rpcCode: failure.code,
            detail: failure.message,
            rpcData: failure.data,
          },
        ),
        this.#rune,
      );
    }
    if (!isObject(res.body)) throw bad(`${method}: answer is not a JSON object`);
    return res.body;
  }

  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const r = await this.#rpc('getinfo', {}, opts);
    const info: NodeInfo = { backend: BACKEND };
    const net = network(r.network);
    if (net) info.network = net;
    if (typeof r.id === 'string') info.pubkey = r.id;
    if (typeof r.alias === 'string') info.alias = r.alias;
    if (typeof r.blockheight === 'number') info.blockHeight = r.blockheight;
    return info;
  }

  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const amount = toJsonMsat(req?.amountMsat, 'amountMsat');
    const expiry = req.expirySeconds ?? 600;
    if (!Number.isSafeInteger(expiry) || expiry <= 0) invalidArgument('expirySeconds', 'a positive integer');
    const params: Record<string, unknown> = {
      amount_msat: amount,
      // `label` is required and unique; farebox tracks invoices by payment hash.
      label: `farebox-${toHex(randomBytes(16))}`,
      description: req.memo ?? '',
      expiry,
    };
    if (req.descriptionHash !== undefined) {
      // CLN cannot take a bare hash: `deschashonly` hashes the description it is given.
      const memo = req.memo ?? '';
      if (
        !isHex(req.descriptionHash, 32) ||
        toHex(sha256(utf8(memo))) !== req.descriptionHash.toLowerCase()
      ) {
        throw lnError(
          ErrorCodes.LN_UNSUPPORTED,
          BACKEND,
          'CLN invoices take a description hash only as sha256(memo): pass the description as `memo` too',
        );
      }
      params.deschashonly = true;
    }
    const r = await this.#rpc('invoice', params, opts);
    if (typeof r.bolt11 !== 'string') throw bad('invoice: no "bolt11"', { field: 'bolt11' });
    const paymentHash = hash32(r.payment_hash, 'payment_hash');
    const decoded = ownInvoice(r.bolt11, {
      paymentHash,
      where: 'invoice: "bolt11"',
      hashField: 'payment_hash',
    });
    const expiresAt = typeof r.expires_at === 'number' ? r.expires_at : decoded.expiresAt;
    return { paymentRequest: r.bolt11, paymentHash, amountMsat: req.amountMsat, expiresAt };
  }

  async #find(paymentHash: string, opts: CallOptions | undefined): Promise<ClnInvoice> {
    const r = await this.#rpc('listinvoices', { payment_hash: paymentHash }, opts);
    if (!Array.isArray(r.invoices)) throw bad('listinvoices: no "invoices" array');
    const found = r.invoices.find(
      (i) =>
        isObject(i) && typeof i.payment_hash === 'string' && i.payment_hash.toLowerCase() === paymentHash,
    );
    if (!found) throw lnError(ErrorCodes.LN_NOT_FOUND, BACKEND, 'no invoice with this payment hash');
    return checkInvoice(found);
  }

  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    return toStatus(await this.#find(checkHash(paymentHash), opts));
  }

  /**
   * Long-polls `waitinvoice` (one HTTP request held open until the invoice is paid or
   * expires), within the call's timeout (default 60 s).
   */
  async waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const d = deadline(opts, 60_000);
    const call: CallOptions = { signal: d.signal, timeoutMs: d.ms };
    try {
      const inv = await this.#find(hash, call);
      if (inv.status !== 'unpaid') return toStatus(inv);
      const done = await this.#rpc('waitinvoice', { label: inv.label }, call);
      return toStatus(checkInvoice(done));
    } catch (e) {
      if (d.timedOut) throw lnError(ErrorCodes.LN_TIMEOUT, BACKEND, `invoice still open after ${d.ms} ms`);
      const code = e instanceof FareboxError ? e.data.rpcCode : undefined;
      if (code === RPC.INVOICE_EXPIRED_DURING_WAIT) {
        const data = (e as FareboxError).data.rpcData;
        return isObject(data) && data.payment_hash
          ? toStatus(checkInvoice(data))
          : this.lookupInvoice(hash, opts);
      }
      if (code === RPC.LIGHTNINGD) throw lnError(ErrorCodes.LN_NOT_FOUND, BACKEND, 'invoice deleted', {}, e);
      throw e;
    } finally {
      d.done();
    }
  }

  /**
   * Pays with `xpay` (CLN ≥ 24.11), or `pay` where xpay is absent. `maxFeeMsat` becomes
   * `maxfee` (default 1% + 10 sat); `retry_for` is the call's timeout (default 60 s) less a
   * second, so CLN gives up before the HTTP call does.
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const inv = decodeInvoice(paymentRequest);
    const amount = inv.amountMsat ?? opts.amountMsat;
    if (amount === undefined) invalidArgument('amountMsat', 'set for a zero-amount invoice');
    const maxFee = opts.maxFeeMsat ?? amount / 100n + 10_000n;
    if (typeof maxFee !== 'bigint' || maxFee < 0n) invalidArgument('maxFeeMsat', 'a bigint ≥ 0');
    const timeoutMs = opts.timeoutMs ?? Math.max(this.#timeoutMs, 60_000);
    const common: Record<string, unknown> = {
      maxfee: maxFee <= 0n ? 0 : toJsonMsat(maxFee, 'maxFeeMsat'),
      retry_for: Math.max(1, Math.floor(timeoutMs / 1000) - 1),
    };
    if (inv.amountMsat === undefined) common.amount_msat = toJsonMsat(amount, 'amountMsat');
    const call: CallOptions = { timeoutMs };
    if (opts.signal) call.signal = opts.signal;
    let r: Record<string, unknown>;
    try {
      try {
        r = await this.#rpc('xpay', { invstring: paymentRequest, ...common }, call);
      } catch (e) {
        if (!(e instanceof FareboxError && e.code === ErrorCodes.LN_UNSUPPORTED)) throw e;
        r = await this.#rpc('pay', { bolt11: paymentRequest, ...common }, call);
        if (r.status === 'pending') {
          throw lnError(ErrorCodes.LN_TIMEOUT, BACKEND, 'payment still pending', {
            reason: 'pending',
            paymentHash: inv.paymentHash,
          });
        }
        if (r.status !== 'complete') {
          throw lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, 'payment failed', {
            reason: String(r.status),
          });
        }
      }
    } catch (e) {
      throw payError(e);
    }
    const preimage = matchingPreimage(r.payment_preimage, {
      field: 'payment_preimage',
      paymentHash: inv.paymentHash,
    });
    const delivered = r.amount_msat === undefined ? amount : msat(r.amount_msat, 'amount_msat');
    const sent = msat(r.amount_sent_msat, 'amount_sent_msat');
    const fee = sent - delivered;
    return { preimage, paymentHash: inv.paymentHash, amountMsat: delivered, feeMsat: fee > 0n ? fee : 0n };
  }

  /**
   * Where this node's payment of `paymentHash` stands, so a client that crashed while paying
   * can recover the preimage instead of paying twice: `listpays` with `payment_hash`, one
   * entry per `pay`/`xpay` attempt (doc/schemas/listpays.json). A `complete` attempt is
   * `succeeded` with its `preimage` (checked against the hash); otherwise a `pending` one
   * makes it `pending`; only `failed` attempts, or none at all, are `failed`.
   */
  async lookupPayment(paymentHash: string, opts?: CallOptions): Promise<PaymentLookup> {
    const hash = checkHash(paymentHash);
    const r = await this.#rpc('listpays', { payment_hash: hash }, opts);
    if (!Array.isArray(r.pays)) throw bad('listpays: no "pays" array');
    const pays: Record<string, unknown>[] = [];
    for (const p of r.pays) {
      if (!isObject(p)) throw bad('listpays: an entry is not an object');
      if (hash32(p.payment_hash, 'payment_hash') !== hash) continue;
      if (typeof p.status !== 'string' || !PAY_STATUSES.has(p.status))
        throw bad('listpays: an entry has an unknown "status"', { field: 'status' });
      pays.push(p);
    }
    const complete = pays.find((p) => p.status === 'complete');
    if (complete) {
      return {
        state: 'succeeded',
        preimage: matchingPreimage(complete.preimage, { field: 'preimage', paymentHash: hash }),
      };
    }
    if (pays.some((p) => p.status === 'pending')) return { state: 'pending' };
    return { state: 'failed' };
  }

  /** Spendable over Lightning: `our_amount_msat` of connected `CHANNELD_NORMAL` channels (`listfunds`). */
  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const r = await this.#rpc('listfunds', {}, opts);
    if (!Array.isArray(r.channels)) throw bad('listfunds: no "channels" array');
    let total = 0n;
    for (const ch of r.channels) {
      if (!isObject(ch) || ch.state !== 'CHANNELD_NORMAL' || ch.connected === false) continue;
      total += msat(ch.our_amount_msat, 'our_amount_msat');
    }
    return { balanceMsat: total };
  }
}

function checkInvoice(v: unknown): ClnInvoice {
  if (!isObject(v)) throw bad('invoice entry is not an object');
  if (v.status !== 'unpaid' && v.status !== 'paid' && v.status !== 'expired')
    throw bad('invoice has an unknown "status"');
  if (typeof v.label !== 'string') throw bad('invoice has no "label"');
  hash32(v.payment_hash, 'payment_hash');
  return v as unknown as ClnInvoice;
}

function toStatus(inv: ClnInvoice): InvoiceStatus {
  const state = inv.status === 'paid' ? 'settled' : inv.status === 'expired' ? 'expired' : 'open';
  const s: InvoiceStatus = { paymentHash: inv.payment_hash.toLowerCase(), state };
  if (inv.amount_msat !== undefined) s.amountMsat = msat(inv.amount_msat, 'amount_msat');
  if (inv.bolt11 !== undefined) s.paymentRequest = inv.bolt11;
  if (state === 'settled') {
    s.preimage = hash32(inv.payment_preimage, 'payment_preimage');
    if (inv.amount_received_msat !== undefined)
      s.amountPaidMsat = msat(inv.amount_received_msat, 'amount_received_msat');
    if (typeof inv.paid_at === 'number') s.settledAt = inv.paid_at;
  }
  return s;
}

/** Maps xpay/pay RPC errors (doc/schemas/xpay.json and pay.json "errors") to typed codes. */
function payError(e: unknown): unknown {
  // RPC errors without a code are clnrest's own (parsing, lightningd unreachable): not a payment outcome.
  if (
    !(e instanceof FareboxError) ||
    e.code !== ErrorCodes.LN_BAD_RESPONSE ||
    typeof e.data.rpcCode !== 'number'
  )
    return e;
  const code = e.data.rpcCode;
  const reason = typeof e.data.detail === 'string' ? e.data.detail : 'payment failed';
  const data = { reason, rpcCode: code };
  switch (code) {
    case RPC.PAY_ROUTE_NOT_FOUND:
    case RPC.PAY_ROUTE_TOO_EXPENSIVE:
    case RPC.PAY_UNREACHABLE:
    case RPC.PAY_DESTINATION_INSUFFICIENT_CAPACITY:
      return lnError(ErrorCodes.LN_NO_ROUTE, BACKEND, 'no route to the destination', data, e);
    case RPC.PAY_INSUFFICIENT_FUNDS:
      return lnError(ErrorCodes.LN_INSUFFICIENT_BALANCE, BACKEND, 'not enough outgoing capacity', data, e);
    case RPC.PAY_INVOICE_EXPIRED:
      return lnError(ErrorCodes.LN_INVOICE_EXPIRED, BACKEND, 'invoice expired', data, e);
    case RPC.PAY_INJECTPAYMENTONION_ALREADY_PAID:
    case RPC.PAY_RHASH_ALREADY_USED:
      return lnError(ErrorCodes.LN_ALREADY_PAID, BACKEND, 'invoice already paid', data, e);
    default:
      return lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, 'payment failed', data, e);
  }
}
