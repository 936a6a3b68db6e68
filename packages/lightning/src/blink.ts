/**
 * Blink (custodial Lightning wallet, formerly Galoy) through its GraphQL API at
 * `https://api.blink.sv/graphql`, authenticated with an `X-API-KEY` header.
 *
 * Operations and fields follow Blink's published schema
 * (`core/api/src/graphql/public/schema.graphql` in blinkbitcoin/blink); error codes follow
 * `core/api/src/graphql/error-map.ts` and `error.ts`. A bad API key is refused by the
 * gateway (Ory Oathkeeper) with HTTP 401 before GraphQL runs.
 *
 * Amounts are whole satoshis (`SatAmount`), so msat amounts that are not whole sats are
 * refused with INVALID_ARGUMENT; expiry is in whole minutes (`expiresIn`), rounded up.
 * Blink has no hold invoices.
 *
 * @module
 */
import { decodeInvoice, ErrorCodes, type FareboxError, invalidArgument } from '@farebox/core';
import { answerChecks, checkHash, isObject } from './checks.js';
import { DEFAULT_TIMEOUT_MS, deadline, type FetchLike, lnError, pollInvoice, requestJson } from './http.js';
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

const BACKEND = 'blink';

/**
 * Blink's public GraphQL endpoint, the default `url`.
 *
 * @example
 * ```ts
 * import { BLINK_API_URL, Blink } from '@farebox/lightning';
 * const blink = new Blink({ url: BLINK_API_URL, apiKey: 'blink_…' });
 * ```
 */
export const BLINK_API_URL = 'https://api.blink.sv/graphql';

/** Options for {@link Blink}. */
export interface BlinkOptions {
  /** The GraphQL endpoint (default {@link BLINK_API_URL}; staging: `https://api.staging.blink.sv/graphql`). */
  url?: string;
  /** An API key from the Blink dashboard: scope Receive for invoices, Read for lookups and balance, Write to pay. */
  apiKey: string;
  /** The BTC wallet to use (default: the account's first BTC wallet). */
  walletId?: string;
  /** `fetch` to use (default: the global one). */
  fetch?: FetchLike;
  /** Default timeout of a call, ms (default 15 s; paying defaults to 60 s). */
  timeoutMs?: number;
}

const INVOICE_FIELDS =
  'invoice { paymentRequest paymentHash paymentSecret satoshis } errors { message code }';
const SEND_FIELDS = `status errors { message code } transaction { settlementFee settlementVia {
      ... on SettlementViaLn { preImage } ... on SettlementViaIntraLedger { preImage } } }`;

/**
 * The GraphQL documents this adapter sends, one per operation, validated against Blink's
 * published schema by the tests.
 *
 * @example
 * ```ts
 * import { BLINK_QUERIES } from '@farebox/lightning';
 * const body = JSON.stringify({ query: BLINK_QUERIES.globals, variables: {} });
 * ```
 */
export const BLINK_QUERIES = {
  lnInvoiceCreate: `mutation LnInvoiceCreate($input: LnInvoiceCreateInput!) {
  lnInvoiceCreate(input: $input) { ${INVOICE_FIELDS} }
}`,
  lnInvoiceCreateOnBehalfOfRecipient: `mutation LnInvoiceCreateOnBehalfOfRecipient($input: LnInvoiceCreateOnBehalfOfRecipientInput!) {
  lnInvoiceCreateOnBehalfOfRecipient(input: $input) { ${INVOICE_FIELDS} }
}`,
  lnInvoicePaymentStatusByHash: `query LnInvoicePaymentStatusByHash($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) { paymentHash paymentRequest paymentPreimage status }
}`,
  lnInvoicePaymentSend: `mutation LnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) { ${SEND_FIELDS} }
}`,
  lnNoAmountInvoicePaymentSend: `mutation LnNoAmountInvoicePaymentSend($input: LnNoAmountInvoicePaymentInput!) {
  lnNoAmountInvoicePaymentSend(input: $input) { ${SEND_FIELDS} }
}`,
  lnInvoiceFeeProbe: `mutation LnInvoiceFeeProbe($input: LnInvoiceFeeProbeInput!) {
  lnInvoiceFeeProbe(input: $input) { amount errors { message code } }
}`,
  lnNoAmountInvoiceFeeProbe: `mutation LnNoAmountInvoiceFeeProbe($input: LnNoAmountInvoiceFeeProbeInput!) {
  lnNoAmountInvoiceFeeProbe(input: $input) { amount errors { message code } }
}`,
  wallets: `query Wallets {
  me { defaultAccount { wallets { id walletCurrency balance } } }
}`,
  transactionsByPaymentHash: `query TransactionsByPaymentHash($walletId: WalletId!, $paymentHash: PaymentHash!) {
  me { defaultAccount { walletById(walletId: $walletId) { transactionsByPaymentHash(paymentHash: $paymentHash) {
    status direction settlementVia {
      ... on SettlementViaLn { preImage } ... on SettlementViaIntraLedger { preImage } } } } } }
}`,
  globals: `query Globals {
  globals { network nodesIds }
}`,
} as const;

interface GqlError {
  message: string;
  code?: string;
}

const { bad, hash32, count: sats, matchingPreimage, ownInvoice } = answerChecks(BACKEND);

/** What {@link Blink.lookupPayment} resolves to. */

/** Operations whose root field is `me`. */
const ME_OPERATIONS = new Set<string>(['wallets', 'transactionsByPaymentHash']);

/** msat → whole sats, or INVALID_ARGUMENT: Blink's `SatAmount` has no msat precision. */
function wholeSats(v: bigint, name: string): number {
  if (typeof v !== 'bigint' || v <= 0n) invalidArgument(name, 'a positive bigint');
  if (v % 1000n !== 0n) invalidArgument(name, 'whole sats (a multiple of 1000 msat): Blink takes sats');
  const n = v / 1000n;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) invalidArgument(name, 'below 2^53 sats');
  return Number(n);
}

/** Error entries (top-level GraphQL `errors` or a payload's `errors { message code }`). */
function errorsOf(v: unknown): GqlError[] {
  if (!Array.isArray(v)) return [];
  const out: GqlError[] = [];
  for (const e of v) {
    if (!isObject(e)) continue;
    const code = typeof e.code === 'string' ? e.code : isObject(e.extensions) ? e.extensions.code : undefined;
    const err: GqlError = { message: typeof e.message === 'string' ? e.message.slice(0, 300) : 'error' };
    if (typeof code === 'string') err.code = code;
    out.push(err);
  }
  return out;
}

/** Errors that are not about a payment: authorization, unknown invoice, anything else. */
function requestError(op: string, errors: GqlError[]): FareboxError {
  const first = errors[0] ?? { message: 'no data' };
  const data: Record<string, unknown> = { operation: op, detail: first.message, graphqlCode: first.code };
  if (
    errors.some((e) => e.code === 'NOT_AUTHORIZED' || e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN')
  ) {
    return lnError(ErrorCodes.LN_UNAUTHORIZED, BACKEND, `${op}: not authorized (API key scope?)`, data);
  }
  if (
    errors.some(
      (e) => e.code === 'NOT_FOUND' || /InvoiceNotFoundError|CouldNotFindWalletInvoiceError/.test(e.message),
    )
  ) {
    return lnError(ErrorCodes.LN_NOT_FOUND, BACKEND, `${op}: no invoice with this payment hash`, data);
  }
  return lnError(
    ErrorCodes.LN_BAD_RESPONSE,
    BACKEND,
    `${op} failed${first.code ? ` (${first.code})` : ''}`,
    data,
  );
}

/** Maps the errors of `lnInvoicePaymentSend` / fee probes (error.ts, error-map.ts). */
function paymentError(errors: GqlError[]): FareboxError {
  const first = errors[0] ?? { message: 'payment failed' };
  const data: Record<string, unknown> = { reason: first.message, graphqlCode: first.code };
  const msg = first.message.toLowerCase();
  switch (first.code) {
    case 'INSUFFICIENT_BALANCE':
      return lnError(ErrorCodes.LN_INSUFFICIENT_BALANCE, BACKEND, 'balance is too low', data);
    case 'ROUTE_FINDING_ERROR':
      return lnError(ErrorCodes.LN_NO_ROUTE, BACKEND, 'no route to the payee', data);
    case 'NOT_AUTHORIZED':
      return lnError(
        ErrorCodes.LN_UNAUTHORIZED,
        BACKEND,
        'not authorized to pay (API key needs the Write scope)',
        data,
      );
  }
  if (msg.includes('already paid'))
    return lnError(ErrorCodes.LN_ALREADY_PAID, BACKEND, 'invoice already paid', data);
  if (msg.includes('expired'))
    return lnError(ErrorCodes.LN_INVOICE_EXPIRED, BACKEND, 'invoice expired', data);
  return lnError(ErrorCodes.LN_PAYMENT_FAILED, BACKEND, 'payment failed', data);
}

function network(v: unknown): Network | undefined {
  return v === 'mainnet' || v === 'testnet' || v === 'signet' || v === 'regtest' ? v : undefined;
}

/**
 * A Blink wallet: invoices (`lnInvoiceCreate`, `lnInvoicePaymentStatusByHash`) and payments
 * (`lnInvoicePaymentSend`, `transactionsByPaymentHash`) from its BTC wallet.
 *
 * @example
 * ```ts
 * import { Blink, sats } from '@farebox/lightning';
 * const blink = new Blink({ apiKey: 'blink_…' });
 * const inv = await blink.createInvoice({ amountMsat: sats(21), memo: 'one API call' });
 * const status = await blink.waitForInvoice(inv.paymentHash, { timeoutMs: 60_000 });
 * ```
 */
export class Blink implements InvoiceIssuer, Payer {
  readonly backend = BACKEND;
  readonly url: string;
  readonly #apiKey: string;
  readonly #fetch: FetchLike | undefined;
  readonly #timeoutMs: number;
  #walletId: string | undefined;

  constructor(opts: BlinkOptions) {
    const url = opts?.url ?? BLINK_API_URL;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) invalidArgument('url', 'an http(s) URL');
    if (typeof opts.apiKey !== 'string' || opts.apiKey === '')
      invalidArgument('apiKey', 'a non-empty string');
    if (opts.walletId !== undefined && (typeof opts.walletId !== 'string' || opts.walletId === '')) {
      invalidArgument('walletId', 'a non-empty string');
    }
    this.url = url;
    this.#apiKey = opts.apiKey;
    this.#walletId = opts.walletId;
    this.#fetch = opts.fetch;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Runs one operation; returns its root field, or throws on top-level GraphQL errors. */
  async #gql(
    op: keyof typeof BLINK_QUERIES,
    variables: Record<string, unknown>,
    opts: CallOptions | undefined,
  ) {
    let body: unknown;
    try {
      const res = await requestJson(this.url, {
        backend: BACKEND,
        method: 'POST',
        headers: { 'x-api-key': this.#apiKey },
        body: { query: BLINK_QUERIES[op], variables },
        fetch: this.#fetch,
        signal: opts?.signal,
        timeoutMs: opts?.timeoutMs ?? this.#timeoutMs,
      });
      body = res.body;
    } catch (e) {
      throw withoutSecret(e, this.#apiKey);
    }
    if (!isObject(body)) throw bad(`${op}: answer is not a JSON object`);
    const root = ME_OPERATIONS.has(op) ? 'me' : op;
    const value = isObject(body.data) ? body.data[root] : undefined;
    const errors = errorsOf(body.errors);
    if (errors.length > 0 && !isObject(value)) throw withoutSecret(requestError(op, errors), this.#apiKey);
    if (!isObject(value)) {
      if (root === 'me') throw lnError(ErrorCodes.LN_UNAUTHORIZED, BACKEND, 'no account for this API key');
      throw bad(`${op}: answer has no "${root}"`);
    }
    return value;
  }

  async #wallets(opts: CallOptions | undefined): Promise<Array<Record<string, unknown>>> {
    const me = await this.#gql('wallets', {}, opts);
    const wallets = isObject(me.defaultAccount) ? me.defaultAccount.wallets : undefined;
    if (!Array.isArray(wallets)) throw bad('me: no "defaultAccount.wallets"');
    return wallets.filter(isObject);
  }

  /** The configured wallet, or the account's first BTC wallet (looked up once). */
  async #wallet(opts: CallOptions | undefined): Promise<string> {
    if (this.#walletId) return this.#walletId;
    const btc = (await this.#wallets(opts)).find(
      (w) => w.walletCurrency === 'BTC' && typeof w.id === 'string',
    );
    if (!btc) throw lnError(ErrorCodes.LN_BAD_CONFIG, BACKEND, 'the account has no BTC wallet');
    this.#walletId = btc.id as string;
    return this.#walletId;
  }

  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const g = await this.#gql('globals', {}, opts);
    const info: NodeInfo = { backend: BACKEND };
    const net = network(g.network);
    if (net) info.network = net;
    if (Array.isArray(g.nodesIds) && typeof g.nodesIds[0] === 'string') info.pubkey = g.nodesIds[0];
    return info;
  }

  /**
   * `lnInvoiceCreate`, or `lnInvoiceCreateOnBehalfOfRecipient` (to this wallet) when a
   * `descriptionHash` is given, the only mutation that takes one.
   */
  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const amount = wholeSats(req?.amountMsat, 'amountMsat');
    const expiry = req.expirySeconds ?? 600;
    if (!Number.isSafeInteger(expiry) || expiry <= 0) invalidArgument('expirySeconds', 'a positive integer');
    const descriptionHash =
      req.descriptionHash === undefined ? undefined : checkHash(req.descriptionHash, 'descriptionHash');
    const walletId = await this.#wallet(opts);
    const input: Record<string, unknown> = { amount, expiresIn: Math.max(1, Math.ceil(expiry / 60)) };
    if (req.memo !== undefined) input.memo = req.memo;
    const op = descriptionHash === undefined ? 'lnInvoiceCreate' : 'lnInvoiceCreateOnBehalfOfRecipient';
    if (descriptionHash === undefined) input.walletId = walletId;
    else {
      input.recipientWalletId = walletId;
      input.descriptionHash = descriptionHash;
    }
    const r = await this.#gql(op, { input }, opts);
    const invoice = r.invoice;
    if (!isObject(invoice)) throw requestError(op, errorsOf(r.errors));
    if (typeof invoice.paymentRequest !== 'string') throw bad(`${op}: no "paymentRequest"`);
    const paymentHash = hash32(invoice.paymentHash, 'paymentHash');
    const decoded = ownInvoice(invoice.paymentRequest, {
      paymentHash,
      where: `${op}: "paymentRequest"`,
      hashField: 'paymentHash',
    });
    return {
      paymentRequest: invoice.paymentRequest,
      paymentHash,
      amountMsat: req.amountMsat,
      expiresAt: decoded.expiresAt,
    };
  }

  /** `lnInvoicePaymentStatusByHash`: PENDING → open, PAID → settled (with preimage), EXPIRED → expired. */
  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    const r = await this.#gql('lnInvoicePaymentStatusByHash', { input: { paymentHash: hash } }, opts);
    const state =
      r.status === 'PAID'
        ? 'settled'
        : r.status === 'EXPIRED'
          ? 'expired'
          : r.status === 'PENDING'
            ? 'open'
            : undefined;
    if (!state) throw bad('lnInvoicePaymentStatusByHash: unknown "status"', { field: 'status' });
    const s: InvoiceStatus = { paymentHash: hash, state };
    if (typeof r.paymentRequest === 'string') {
      s.paymentRequest = r.paymentRequest;
      try {
        const amount = decodeInvoice(r.paymentRequest).amountMsat;
        if (amount !== undefined) s.amountMsat = amount;
      } catch {
        // The amount is a convenience; the status stands without it.
      }
    }
    if (state === 'settled') s.preimage = hash32(r.paymentPreimage, 'paymentPreimage');
    return s;
  }

  /** Polls {@link Blink.lookupInvoice} (every `pollIntervalMs`, default 500 ms) until the invoice leaves `open`. */
  waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = checkHash(paymentHash);
    return pollInvoice(BACKEND, (signal) => this.lookupInvoice(hash, { signal }), opts);
  }

  /**
   * `lnInvoicePaymentSend` (`lnNoAmountInvoicePaymentSend` for a zero-amount invoice). Blink
   * takes no fee limit, so when `maxFeeMsat` is given the fee is probed first
   * (`lnInvoiceFeeProbe`) and a higher fee refused with LN_NO_ROUTE.
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const inv = decodeInvoice(paymentRequest);
    const amountMsat = inv.amountMsat ?? opts.amountMsat;
    if (amountMsat === undefined) invalidArgument('amountMsat', 'set for a zero-amount invoice');
    const call: CallOptions = { timeoutMs: opts.timeoutMs ?? Math.max(this.#timeoutMs, 60_000) };
    if (opts.signal) call.signal = opts.signal;
    const walletId = await this.#wallet(call);
    const input: Record<string, unknown> = { walletId, paymentRequest };
    if (inv.amountMsat === undefined) input.amount = wholeSats(amountMsat, 'amountMsat');
    if (opts.maxFeeMsat !== undefined) {
      const probe = await this.#gql(
        inv.amountMsat === undefined ? 'lnNoAmountInvoiceFeeProbe' : 'lnInvoiceFeeProbe',
        { input },
        call,
      );
      const errors = errorsOf(probe.errors);
      if (errors.length > 0) throw paymentError(errors);
      const feeMsat = sats(probe.amount, 'amount') * 1000n;
      if (feeMsat > opts.maxFeeMsat) {
        throw lnError(ErrorCodes.LN_NO_ROUTE, BACKEND, 'no route within maxFeeMsat', {
          reason: 'fee limit',
          feeMsat: feeMsat.toString(),
          maxFeeMsat: opts.maxFeeMsat.toString(),
        });
      }
    }
    const op = inv.amountMsat === undefined ? 'lnNoAmountInvoicePaymentSend' : 'lnInvoicePaymentSend';
    const r = await this.#gql(op, { input }, call);
    const errors = errorsOf(r.errors);
    if (r.status === 'ALREADY_PAID') {
      throw lnError(ErrorCodes.LN_ALREADY_PAID, BACKEND, 'invoice already paid', { reason: 'ALREADY_PAID' });
    }
    if (r.status === 'PENDING') {
      throw lnError(ErrorCodes.LN_TIMEOUT, BACKEND, 'payment still pending', {
        reason: 'pending',
        paymentHash: inv.paymentHash,
      });
    }
    if (r.status !== 'SUCCESS') throw paymentError(errors);
    const tx = isObject(r.transaction) ? r.transaction : {};
    const via = isObject(tx.settlementVia) ? tx.settlementVia : {};
    let preimage = typeof via.preImage === 'string' ? via.preImage : undefined;
    if (preimage === undefined)
      preimage = (await this.lookupInvoice(inv.paymentHash, call).catch(() => undefined))?.preimage;
    const pre = matchingPreimage(preimage, { field: 'preImage', paymentHash: inv.paymentHash });
    // `settlementFee` is a SignedAmount; its sign depends on the ledger's direction.
    const fee = typeof tx.settlementFee === 'number' ? Math.abs(tx.settlementFee) : 0;
    const feeMsat = sats(fee, 'settlementFee') * 1000n;
    return { preimage: pre, paymentHash: inv.paymentHash, amountMsat, feeMsat };
  }

  /**
   * Where this wallet's payment of `paymentHash` stands, so a client that crashed while paying
   * can recover the preimage instead of paying twice:
   * `me.defaultAccount.walletById(walletId).transactionsByPaymentHash(paymentHash)`, the
   * wallet's ledger transactions of the hash (several for a payment: retries, reimbursements).
   * Only `SEND` transactions count: a `SUCCESS` one is `succeeded` with the `preImage` of its
   * `settlementVia` (looked up with `lnInvoicePaymentStatusByHash` when absent, as for intraledger
   * payments; left out if Blink has none), else a `PENDING` one is `pending`; `FAILURE` ones,
   * or none (an unknown hash, an invoice of this wallet), are `failed`.
   */
  async lookupPayment(paymentHash: string, opts?: CallOptions): Promise<PaymentLookup> {
    const hash = checkHash(paymentHash);
    const d = deadline(opts, this.#timeoutMs);
    const call: CallOptions = { signal: d.signal, timeoutMs: d.ms };
    try {
      const walletId = await this.#wallet(call);
      let me: Record<string, unknown>;
      try {
        me = await this.#gql('transactionsByPaymentHash', { walletId, paymentHash: hash }, call);
      } catch (e) {
        // walletById of a wallet that is not the account's (error-map.ts: UNEXPECTED_CLIENT_ERROR).
        if (/CouldNotFindWalletFromIdError/.test(String((e as FareboxError).data?.detail ?? ''))) {
          throw lnError(ErrorCodes.LN_BAD_CONFIG, BACKEND, 'no wallet with this id on the account', {}, e);
        }
        throw e;
      }
      const account = isObject(me.defaultAccount) ? me.defaultAccount : undefined;
      const wallet = account && isObject(account.walletById) ? account.walletById : undefined;
      const txs = wallet?.transactionsByPaymentHash;
      if (!Array.isArray(txs))
        throw bad('me: no "defaultAccount.walletById.transactionsByPaymentHash"', {
          field: 'transactionsByPaymentHash',
        });
      const sent = txs.filter((t): t is Record<string, unknown> => isObject(t) && t.direction === 'SEND');
      const success = sent.find((t) => t.status === 'SUCCESS');
      if (success) {
        const via = isObject(success.settlementVia) ? success.settlementVia : {};
        let preimage = typeof via.preImage === 'string' ? via.preImage : undefined;
        if (preimage === undefined)
          preimage = (await this.lookupInvoice(hash, call).catch(() => undefined))?.preimage;
        if (preimage === undefined) return { state: 'succeeded' };
        return {
          state: 'succeeded',
          preimage: matchingPreimage(preimage, { field: 'preImage', paymentHash: hash }),
        };
      }
      if (sent.some((t) => t.status === 'PENDING')) return { state: 'pending' };
      return { state: 'failed' };
    } catch (e) {
      if (d.timedOut)
        throw lnError(ErrorCodes.LN_TIMEOUT, BACKEND, `payment lookup timed out after ${d.ms} ms`, {}, e);
      throw e;
    } finally {
      d.done();
    }
  }

  /** The wallet's `balance` (sats) from `me.defaultAccount.wallets`. */
  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const wallets = await this.#wallets(opts);
    const id = this.#walletId;
    const w = id ? wallets.find((x) => x.id === id) : wallets.find((x) => x.walletCurrency === 'BTC');
    if (!w)
      throw lnError(
        ErrorCodes.LN_BAD_CONFIG,
        BACKEND,
        id ? 'no wallet with this id on the account' : 'the account has no BTC wallet',
      );
    if (typeof w.id === 'string') this.#walletId ??= w.id;
    return { balanceMsat: sats(w.balance, 'balance') * 1000n };
  }
}
