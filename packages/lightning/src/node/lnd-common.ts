/**
 * What lnd's REST and gRPC adapters share: options and credentials, invoice states, and
 * one mapping of lnd's answers to typed errors. Both transports report the same errors
 * (REST carries lnd's gRPC status code and message in its JSON error body), so one table
 * decides, once, what each means.
 *
 * What lnd v0.21 really says (checked against regtest nodes, see `test/lnd.regtest.test.ts`):
 *
 * | lnd says | code |
 * |---|---|
 * | `invoice expired. Valid until …` (payer side, before any HTLC) | LN_INVOICE_EXPIRED |
 * | `invoice is already paid` (AlreadyExists) | LN_ALREADY_PAID |
 * | `payment is in transition` (AlreadyExists: a payment to this hash is in flight) | LN_ALREADY_PAID |
 * | `unable to locate invoice` (NotFound on lookup, Unknown on settle/cancel) | LN_NOT_FOUND |
 * | `payment isn't initiated` (NotFound from TrackPaymentV2: this node has no payment to the hash) | LN_NOT_FOUND |
 * | `verification failed: …`, `permission denied`, `expected 1 macaroon…`, `unmarshal v2: …` | LN_UNAUTHORIZED |
 * | failure_reason `FAILURE_REASON_INSUFFICIENT_BALANCE` (also for amounts above the channel) | LN_INSUFFICIENT_BALANCE |
 * | failure_reason `FAILURE_REASON_NO_ROUTE` | LN_NO_ROUTE |
 * | failure_reason `FAILURE_REASON_TIMEOUT` | LN_TIMEOUT |
 * | failure_reason `FAILURE_REASON_INCORRECT_PAYMENT_DETAILS` (e.g. a canceled hold invoice), others | LN_PAYMENT_FAILED |
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import {
  decodeInvoice,
  type ErrorCode,
  ErrorCodes,
  FareboxError,
  fromHex,
  invalidArgument,
  isHex,
  sha256,
  toBase64,
  toHex,
} from '@farebox/core';
import { checkHash } from '../checks.js';
import type { BackendConfig } from '../connection.js';
import { lnError } from '../http.js';
import type {
  CreatedInvoice,
  CreateInvoiceRequest,
  InvoiceState,
  InvoiceStatus,
  Network,
  NodeInfo,
  PaymentLookup,
  PaymentResult,
  PayOptions,
} from '../types.js';

/** The adapter name in errors and `NodeInfo.backend`. */
export const LND = 'lnd';

/** Default timeout of a payment (lnd's `timeout_seconds` and the client's deadline). */
export const DEFAULT_PAY_TIMEOUT_MS = 60_000;

/** Default wait of `waitForInvoice`. */
export const DEFAULT_WAIT_MS = 60_000;

/** Options of {@link LndRest} and {@link LndGrpc}. Pure values: nothing is read from disk. */
export interface LndOptions {
  /**
   * `host:port` of lnd's REST (default port 8080) or gRPC (10009) listener. For REST,
   * `http://host:port` talks plain HTTP (lnd with `--no-rest-tls`).
   */
  host: string;
  /** The macaroon: its bytes or their hex (admin, or invoice.macaroon for a seller). */
  macaroon: Uint8Array | string;
  /** lnd's `tls.cert`: PEM text or bytes (PEM or DER). Omit when lnd has a publicly trusted certificate. */
  cert?: string | Uint8Array;
  /** Default timeout of a call, ms (default 15 s; payments default to 60 s). */
  timeoutMs?: number;
}

/** An lnd connection as parsed by `parseConnection`. */
export type LndConnection = Extract<BackendConfig, { type: 'lnd' }>;

function badConfig(message: string): FareboxError {
  return new FareboxError(ErrorCodes.LN_BAD_CONFIG, `lnd: ${message}`);
}

/**
 * The macaroon as lowercase hex. Throws LN_BAD_CONFIG without echoing the value.
 *
 * @example
 * ```ts
 * macaroonHex(new Uint8Array([2, 1, 3])); // '020103'
 * ```
 */
export function macaroonHex(m: Uint8Array | string): string {
  if (m instanceof Uint8Array) {
    if (m.length === 0) throw badConfig('"macaroon" is empty');
    return toHex(m);
  }
  if (typeof m !== 'string' || m.length === 0 || !isHex(m.trim())) {
    throw badConfig('"macaroon" must be the macaroon bytes or their hex');
  }
  return m.trim().toLowerCase();
}

const PEM_BEGIN = '-----BEGIN';

function derToPem(der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * lnd's certificate as PEM text (from PEM text, hex, or PEM/DER bytes); undefined when absent.
 *
 * @example
 * ```ts
 * certPem(readFileSync('/lnd/tls.cert')); // '-----BEGIN CERTIFICATE-----\n…'
 * ```
 */
export function certPem(c: string | Uint8Array | undefined): string | undefined {
  if (c === undefined) return undefined;
  if (c instanceof Uint8Array) {
    const text = new TextDecoder().decode(c);
    return text.includes(PEM_BEGIN) ? text : derToPem(c);
  }
  if (typeof c !== 'string') throw badConfig('"cert" must be PEM text or bytes');
  if (c.includes(PEM_BEGIN)) return c;
  const t = c.trim();
  if (t.length > 0 && isHex(t)) return certPem(fromHex(t, 'cert'));
  throw badConfig('"cert" must be PEM text, its hex, or bytes');
}

/**
 * `host:port` split, with the default port; throws LN_BAD_CONFIG.
 *
 * @example
 * ```ts
 * parseHost('127.0.0.1:8080', 8080); // { hostname: '127.0.0.1', port: 8080, tls: true }
 * ```
 */
export function parseHost(
  host: string,
  defaultPort: number,
): { hostname: string; port: number; tls: boolean } {
  if (typeof host !== 'string' || host.trim() === '') throw badConfig('"host" must be host:port');
  let text = host.trim();
  let tls = true;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    const s = scheme[1]!.toLowerCase();
    if (s !== 'https' && s !== 'http') throw badConfig('"host" must be host:port');
    tls = s === 'https';
    text = text.slice(scheme[0].length);
  }
  let u: URL;
  try {
    u = new URL(`https://${text}`);
  } catch {
    throw badConfig('"host" must be host:port');
  }
  if (!u.hostname || (u.pathname !== '/' && u.pathname !== '') || u.search || u.username) {
    throw badConfig('"host" must be host:port');
  }
  return { hostname: u.hostname, port: u.port ? Number(u.port) : defaultPort, tls };
}

/**
 * Checks a positive timeout option.
 *
 * @example
 * ```ts
 * checkTimeout(5_000); // 5000 (throws INVALID_ARGUMENT for 0, NaN or negatives)
 * ```
 */
export function checkTimeout(ms: number | undefined, name = 'timeoutMs'): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"${name}" must be a positive number of ms`, {
      data: { parameter: name },
    });
  }
  return ms;
}

function isPathLike(v: string): boolean {
  return !isHex(v.trim());
}

async function readFileFor(what: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'read error';
    throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, `lnd: cannot read the ${what} file ${path} (${code})`, {
      data: { parameter: what },
      cause: e,
    });
  }
}

/**
 * Turns a parsed `lnd+rest://` / `lnd+grpc://` connection into adapter options, reading
 * the macaroon and the certificate from disk when they are paths.
 *
 * @example
 * ```ts
 * import { parseConnection } from '@farebox/lightning';
 * import { lndOptionsFromConnection } from '@farebox/lightning/node';
 * const cfg = parseConnection('lnd+rest://127.0.0.1:8080?macaroon=/lnd/admin.macaroon&cert=/lnd/tls.cert');
 * if (cfg.type === 'lnd') console.log((await lndOptionsFromConnection(cfg)).host);
 * ```
 */
export async function lndOptionsFromConnection(
  cfg: LndConnection,
  extra: { timeoutMs?: number } = {},
): Promise<LndOptions> {
  if (cfg?.type !== 'lnd') throw badConfig('not an lnd connection');
  const macaroon = isPathLike(cfg.macaroon) ? await readFileFor('macaroon', cfg.macaroon) : cfg.macaroon;
  const opts: LndOptions = { host: cfg.host, macaroon };
  if (cfg.cert !== undefined) {
    opts.cert =
      cfg.cert.includes(PEM_BEGIN) || !isPathLike(cfg.cert) ? cfg.cert : await readFileFor('cert', cfg.cert);
  }
  if (extra.timeoutMs !== undefined) opts.timeoutMs = extra.timeoutMs;
  return opts;
}

/**
 * What lnd calls a network, as farebox's {@link Network}.
 *
 * @example
 * ```ts
 * networkOf('testnet4'); // 'testnet'
 * ```
 */
export function networkOf(name: string | undefined): Network | undefined {
  switch (name) {
    case 'mainnet':
      return 'mainnet';
    case 'testnet':
    case 'testnet3':
    case 'testnet4':
      return 'testnet';
    case 'signet':
      return 'signet';
    case 'regtest':
      return 'regtest';
    default:
      return undefined;
  }
}

/**
 * Parses an lnd int64/uint64 (a string in JSON, a string from proto-loader with `longs: String`).
 *
 * @example
 * ```ts
 * big('21000'); // 21000n
 * ```
 */
export function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

/** An lnd invoice with the bytes fields decoded, whichever transport it came from. */
export interface LndInvoice {
  state: string | undefined;
  value_msat: unknown;
  amt_paid_msat: unknown;
  r_preimage: Uint8Array | undefined;
  creation_date: unknown;
  settle_date: unknown;
  expiry: unknown;
  payment_request: string | undefined;
  htlcs: number;
}

/**
 * lnd's invoice state as farebox's. lnd cancels an unpaid invoice itself about a second
 * after it expires, so an invoice canceled without ever receiving an HTLC, once past its
 * expiry, reads `expired`; an `OPEN` one past its expiry (before lnd's sweep) too.
 *
 * @example
 * ```ts
 * invoiceState({ state: 'OPEN', creation_date: '0', expiry: '600', value_msat: '1000', amt_paid_msat: '0', r_preimage: undefined, settle_date: '0', payment_request: undefined, htlcs: 0 }); // 'expired'
 * ```
 */
export function invoiceState(inv: LndInvoice, now = Math.floor(Date.now() / 1000)): InvoiceState {
  const expiresAt = Number(big(inv.creation_date) + big(inv.expiry));
  switch (inv.state) {
    case 'SETTLED':
      return 'settled';
    case 'ACCEPTED':
      return 'accepted';
    case 'CANCELED':
      return inv.htlcs === 0 && now >= expiresAt ? 'expired' : 'canceled';
    default:
      return now >= expiresAt ? 'expired' : 'open';
  }
}

/**
 * An lnd invoice as an {@link InvoiceStatus}; the preimage only once settled.
 *
 * @example
 * ```ts
 * const s = invoiceStatus(hash, lndInvoice); // { paymentHash, state: 'settled', preimage, … }
 * ```
 */
export function invoiceStatus(paymentHash: string, inv: LndInvoice): InvoiceStatus {
  const state = invoiceState(inv);
  const out: InvoiceStatus = { paymentHash, state, amountMsat: big(inv.value_msat) };
  const paid = big(inv.amt_paid_msat);
  if (paid > 0n) out.amountPaidMsat = paid;
  if (state === 'settled') {
    if (inv.r_preimage && inv.r_preimage.length === 32) out.preimage = toHex(inv.r_preimage);
    const at = Number(big(inv.settle_date));
    if (at > 0) out.settledAt = at;
  }
  if (inv.payment_request) out.paymentRequest = inv.payment_request;
  return out;
}

/**
 * The default fee limit: 1% of the amount plus 10 sat.
 *
 * @example
 * ```ts
 * defaultFeeLimitMsat(1_000_000n); // 20_000n (1% + 10 sat)
 * ```
 */
export function defaultFeeLimitMsat(amountMsat: bigint): bigint {
  return amountMsat / 100n + 10_000n;
}

/**
 * Removes secrets from text lnd (or a proxy) sent back: the given values and long hex/base64 runs.
 *
 * @example
 * ```ts
 * scrub('bad macaroon 0201036c6e64…', [macaroonHex]); // 'bad macaroon ***'
 * ```
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 8) out = out.split(s).join('***').split(s.toUpperCase()).join('***');
  }
  return out
    .replace(/[0-9a-fA-F]{64,}/g, '***')
    .replace(/[A-Za-z0-9+/_-]{80,}={0,2}/g, '***')
    .slice(0, 300);
}

/** lnd's answer to TrackPaymentV2 for a hash it has no outgoing payment to (NotFound). */
const PAYMENT_NOT_INITIATED = /payment isn't initiated/i;

const MESSAGE_CODES: Array<[RegExp, ErrorCode]> = [
  [/invoice expired/i, ErrorCodes.LN_INVOICE_EXPIRED],
  [/invoice is already paid|payment is in transition|already been paid/i, ErrorCodes.LN_ALREADY_PAID],
  [/unable to locate invoice|invoice not found|there are no existing invoices/i, ErrorCodes.LN_NOT_FOUND],
  [PAYMENT_NOT_INITIATED, ErrorCodes.LN_NOT_FOUND],
  [
    /verification failed|permission denied|macaroon|unmarshal v\d|cannot get macaroon|root key|invalid (?:caveat|signature)/i,
    ErrorCodes.LN_UNAUTHORIZED,
  ],
  [/insufficient (?:local )?balance/i, ErrorCodes.LN_INSUFFICIENT_BALANCE],
  [/unable to find a path|no route/i, ErrorCodes.LN_NO_ROUTE],
];

/**
 * The code of an lnd error message, when the message alone says it.
 *
 * @example
 * ```ts
 * codeOfMessage('invoice is already paid'); // 'LN_ALREADY_PAID'
 * ```
 */
export function codeOfMessage(message: string): ErrorCode | undefined {
  for (const [re, code] of MESSAGE_CODES) if (re.test(message)) return code;
  return undefined;
}

/** gRPC status codes (the same numbers travel in lnd's REST error bodies). */
export const GrpcStatus = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** How to read an lnd error that neither its message nor its status explains. */
export type Fallback = typeof ErrorCodes.LN_PAYMENT_FAILED | typeof ErrorCodes.LN_BAD_RESPONSE;

/**
 * One lnd error (gRPC status + message, from either transport) as a typed error. The
 * message is scrubbed of `secrets` (the macaroon, a preimage) and of long hex runs.
 *
 * @example
 * ```ts
 * throw lndError('pay', { status: 6, message: 'invoice is already paid' }, 'LN_PAYMENT_FAILED', [macaroonHex]);
 * ```
 */
export function lndError(
  what: string,
  err: { status?: number; message: string; httpStatus?: number },
  fallback: Fallback,
  secrets: readonly string[],
  cause?: unknown,
): FareboxError {
  const message = scrub(err.message || 'no message', secrets);
  const data: Record<string, unknown> = {};
  if (err.status !== undefined) data.grpcStatus = err.status;
  if (err.httpStatus !== undefined) data.status = err.httpStatus;
  let code = codeOfMessage(message);
  // The REST gateway's answer for a path it has no route for (e.g. /v2/invoices/* on an
  // lnd built without invoicesrpc), not lnd saying an invoice is unknown.
  if (!code && err.httpStatus === 404 && message === 'Not Found') code = ErrorCodes.LN_UNSUPPORTED;
  if (!code) {
    switch (err.status) {
      case GrpcStatus.DEADLINE_EXCEEDED:
        code = ErrorCodes.LN_TIMEOUT;
        break;
      case GrpcStatus.NOT_FOUND:
        code = ErrorCodes.LN_NOT_FOUND;
        break;
      case GrpcStatus.PERMISSION_DENIED:
      case GrpcStatus.UNAUTHENTICATED:
        code = ErrorCodes.LN_UNAUTHORIZED;
        break;
      case GrpcStatus.UNAVAILABLE:
        code = ErrorCodes.LN_UNREACHABLE;
        break;
      case GrpcStatus.UNIMPLEMENTED:
        code = ErrorCodes.LN_UNSUPPORTED;
        break;
      case GrpcStatus.INTERNAL:
      case GrpcStatus.DATA_LOSS:
        code = ErrorCodes.LN_BAD_RESPONSE;
        break;
      default:
        code = fallback;
    }
  }
  if (code === ErrorCodes.LN_PAYMENT_FAILED) data.reason = message;
  else data.detail = message;
  return lnError(code, LND, `${what}: ${message}`, data, cause);
}

/**
 * A failed lnd Payment (`status: FAILED`) as a typed error, by its `failure_reason`.
 *
 * @example
 * ```ts
 * paymentFailure('FAILURE_REASON_NO_ROUTE', hash).code; // 'LN_NO_ROUTE'
 * ```
 */
export function paymentFailure(reason: string | undefined, paymentHash: string): FareboxError {
  const r = reason || 'FAILURE_REASON_UNKNOWN';
  const data = { reason: r, paymentHash };
  switch (r) {
    case 'FAILURE_REASON_NO_ROUTE':
      return lnError(ErrorCodes.LN_NO_ROUTE, LND, 'payment failed: no route', data);
    case 'FAILURE_REASON_INSUFFICIENT_BALANCE':
      return lnError(ErrorCodes.LN_INSUFFICIENT_BALANCE, LND, 'payment failed: insufficient balance', data);
    case 'FAILURE_REASON_TIMEOUT':
      return lnError(ErrorCodes.LN_TIMEOUT, LND, 'payment failed: timed out finding a route', data);
    default:
      return lnError(ErrorCodes.LN_PAYMENT_FAILED, LND, `payment failed: ${r}`, data);
  }
}

/**
 * The error for a call whose deadline passed or whose signal fired.
 *
 * @example
 * ```ts
 * throw timeoutError('getinfo', true, 15_000); // LN_TIMEOUT 'lnd: getinfo timed out after 15000 ms'
 * ```
 */
export function timeoutError(
  what: string,
  timedOut: boolean,
  ms: number,
  extra: Record<string, unknown> = {},
) {
  return lnError(
    ErrorCodes.LN_TIMEOUT,
    LND,
    timedOut ? `${what} timed out after ${ms} ms` : `${what} aborted`,
    extra,
  );
}

/** A validated {@link CreateInvoiceRequest} in lnd's terms. */
export interface LndInvoiceRequest {
  valueMsat: bigint;
  memo: string;
  expiry: number;
  descriptionHash?: Uint8Array;
}

/**
 * Validates an invoice request (naming the bad parameter) and applies the defaults.
 *
 * @example
 * ```ts
 * invoiceRequest({ amountMsat: 21_000n }); // { valueMsat: 21000n, memo: '', expiry: 600 }
 * ```
 */
export function invoiceRequest(req: CreateInvoiceRequest): LndInvoiceRequest {
  if (!req || typeof req !== 'object') invalidArgument('req', 'an object');
  if (typeof req.amountMsat !== 'bigint' || req.amountMsat <= 0n)
    invalidArgument('amountMsat', 'a positive bigint');
  if (req.memo !== undefined && typeof req.memo !== 'string') invalidArgument('memo', 'a string');
  const expiry = req.expirySeconds ?? 600;
  if (!Number.isSafeInteger(expiry) || expiry <= 0) invalidArgument('expirySeconds', 'a positive integer');
  const out: LndInvoiceRequest = { valueMsat: req.amountMsat, memo: req.memo ?? '', expiry };
  if (req.descriptionHash !== undefined)
    out.descriptionHash = fromHex(checkHash(req.descriptionHash, 'descriptionHash'));
  return out;
}

/**
 * The {@link CreatedInvoice} for what lnd returned (expiry read from the invoice itself).
 *
 * @example
 * ```ts
 * createdInvoice(answer.payment_request, hash, invoiceRequest(req)); // { paymentRequest, paymentHash, amountMsat, expiresAt }
 * ```
 */
export function createdInvoice(
  paymentRequest: unknown,
  paymentHash: string,
  req: LndInvoiceRequest,
): CreatedInvoice {
  if (typeof paymentRequest !== 'string' || paymentRequest === '') {
    throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, 'the new invoice has no payment_request');
  }
  let expiresAt = Math.floor(Date.now() / 1000) + req.expiry;
  try {
    expiresAt = decodeInvoice(paymentRequest).expiresAt;
  } catch {
    // lnd's invoice is authoritative; keep the local estimate
  }
  return { paymentRequest, paymentHash, amountMsat: req.valueMsat, expiresAt };
}

/** A payment about to be sent: what the invoice says plus the options. */
export interface PreparedPayment {
  paymentHash: string;
  amountMsat: bigint;
  /** Set for a zero-amount invoice: the amount to send. */
  amtMsat?: bigint;
  feeLimitMsat: bigint;
  /** The client's deadline, ms. */
  timeoutMs: number;
  /** lnd's own `timeout_seconds`, shorter than the deadline so that lnd answers first. */
  timeoutSeconds: number;
}

/**
 * Decodes and checks an invoice before paying it.
 *
 * @example
 * ```ts
 * const prep = preparePayment('lnbcrt10n1…', { maxFeeMsat: 5_000n }, 60_000); // prep.paymentHash, prep.feeLimitMsat
 * ```
 */
export function preparePayment(
  paymentRequest: string,
  opts: PayOptions,
  defaultTimeoutMs: number,
): PreparedPayment {
  if (typeof paymentRequest !== 'string' || paymentRequest.trim() === '')
    invalidArgument('paymentRequest', 'a BOLT11 invoice');
  const inv = decodeInvoice(paymentRequest.trim());
  if (opts.amountMsat !== undefined && (typeof opts.amountMsat !== 'bigint' || opts.amountMsat <= 0n)) {
    invalidArgument('amountMsat', 'a positive bigint');
  }
  if (opts.maxFeeMsat !== undefined && (typeof opts.maxFeeMsat !== 'bigint' || opts.maxFeeMsat < 0n)) {
    invalidArgument('maxFeeMsat', 'a non-negative bigint');
  }
  const amountMsat = inv.amountMsat ?? opts.amountMsat;
  if (amountMsat === undefined) invalidArgument('amountMsat', 'set for a zero-amount invoice');
  const timeoutMs = checkTimeout(opts.timeoutMs) ?? defaultTimeoutMs;
  const out: PreparedPayment = {
    paymentHash: inv.paymentHash,
    amountMsat,
    feeLimitMsat: opts.maxFeeMsat ?? defaultFeeLimitMsat(amountMsat),
    timeoutMs,
    timeoutSeconds: Math.max(1, Math.floor((timeoutMs - 2000) / 1000)),
  };
  if (inv.amountMsat === undefined) out.amtMsat = amountMsat;
  return out;
}

/** An lnd `Payment` update, whichever transport it came from. */
export interface LndPayment {
  status?: string;
  payment_preimage?: string;
  value_msat?: unknown;
  fee_msat?: unknown;
  failure_reason?: string;
}

/**
 * The result of a final Payment update (`SUCCEEDED` or `FAILED`), or undefined while it is
 * in flight. Throws the typed failure; checks that the preimage matches the hash.
 *
 * @example
 * ```ts
 * const result = paymentOutcome(update, prep); // undefined while IN_FLIGHT; throws on FAILED
 * ```
 */
export function paymentOutcome(p: LndPayment, prep: PreparedPayment): PaymentResult | undefined {
  if (p.status === 'SUCCEEDED') {
    const pre = p.payment_preimage ?? '';
    if (!isHex(pre, 32) || toHex(sha256(fromHex(pre))) !== prep.paymentHash) {
      throw lnError(
        ErrorCodes.LN_BAD_RESPONSE,
        LND,
        'payment succeeded without a preimage matching the hash',
        {
          paymentHash: prep.paymentHash,
        },
      );
    }
    const value = big(p.value_msat);
    return {
      preimage: pre.toLowerCase(),
      paymentHash: prep.paymentHash,
      amountMsat: value > 0n ? value : prep.amountMsat,
      feeMsat: big(p.fee_msat),
    };
  }
  if (p.status === 'FAILED') throw paymentFailure(p.failure_reason, prep.paymentHash);
  return undefined;
}

/**
 * What {@link NodeInfo} lnd's GetInfo answer gives.
 *
 * @example
 * ```ts
 * nodeInfo({ identity_pubkey: '02…', alias: 'alice', block_height: 107, chains: [{ network: 'regtest' }] }); // { backend: 'lnd', network: 'regtest', … }
 * ```
 */
export function nodeInfo(info: {
  identity_pubkey?: unknown;
  alias?: unknown;
  block_height?: unknown;
  chains?: Array<{ network?: unknown }>;
}): NodeInfo {
  const out: NodeInfo = { backend: LND };
  const network = networkOf(
    typeof info.chains?.[0]?.network === 'string' ? info.chains[0].network : undefined,
  );
  if (network) out.network = network;
  if (typeof info.identity_pubkey === 'string' && info.identity_pubkey) out.pubkey = info.identity_pubkey;
  if (typeof info.alias === 'string') out.alias = info.alias;
  const h = Number(info.block_height);
  if (Number.isSafeInteger(h) && h > 0) out.blockHeight = h;
  return out;
}

/**
 * An lnd `Payment` (TrackPaymentV2's first message: the payment as lnd has it now) as a
 * {@link PaymentLookup}: `INITIATED`/`IN_FLIGHT` → pending (HTLCs may still settle),
 * `SUCCEEDED` → succeeded with the preimage (checked against the hash), `FAILED` → failed
 * (lnd reports FAILED only once no HTLC is left in flight). Any other status is
 * LN_BAD_RESPONSE: guessing could make a client pay twice.
 *
 * @example
 * ```ts
 * paymentLookup({ status: 'IN_FLIGHT' }, hash); // { state: 'pending' }
 * ```
 */
export function paymentLookup(p: LndPayment, paymentHash: string): PaymentLookup {
  switch (p.status) {
    case 'INITIATED':
    case 'IN_FLIGHT':
      return { state: 'pending' };
    case 'FAILED':
      return { state: 'failed' };
    case 'SUCCEEDED': {
      const pre = p.payment_preimage ?? '';
      if (!isHex(pre, 32) || toHex(sha256(fromHex(pre))) !== paymentHash) {
        throw lnError(
          ErrorCodes.LN_BAD_RESPONSE,
          LND,
          'payment succeeded without a preimage matching the hash',
          { paymentHash },
        );
      }
      return { state: 'succeeded', preimage: pre.toLowerCase() };
    }
    default:
      throw lnError(
        ErrorCodes.LN_BAD_RESPONSE,
        LND,
        `track payment: unknown payment status ${JSON.stringify(String(p.status ?? '')).slice(0, 40)}`,
        { paymentHash },
      );
  }
}

/**
 * Whether an error is lnd saying it has no payment to the hash (TrackPaymentV2: NotFound,
 * `payment isn't initiated`; lnd v0.21 over both transports). Only this exact answer: a
 * REST gateway's 404 for a missing route (LN_UNSUPPORTED), a permission error or a
 * timeout say nothing about the payment.
 *
 * @example
 * ```ts
 * isPaymentNotInitiated(lndError('track payment', { status: 5, message: "payment isn't initiated" }, 'LN_BAD_RESPONSE', [])); // true
 * ```
 */
export function isPaymentNotInitiated(e: unknown): boolean {
  if (!(e instanceof FareboxError) || e.code !== ErrorCodes.LN_NOT_FOUND) return false;
  const detail = e.data.detail;
  return typeof detail === 'string' && PAYMENT_NOT_INITIATED.test(detail);
}
