/**
 * lnd over its REST gateway (`node:https`, lnd's self-signed certificate as the only CA, the
 * macaroon hex in `Grpc-Metadata-macaroon`). The gateway's quirks (see lnd's REST docs):
 * bytes are standard base64 in bodies but hashes in URL paths are base64url; int64 travel
 * as strings; streaming endpoints answer newline-delimited JSON, one `{"result":…}` or
 * `{"error":…}` per line.
 *
 * @module
 */
import { ErrorCodes, FareboxError, fromBase64, fromHex, toBase64, toHex } from '@farebox/core';
import {
  DEFAULT_TIMEOUT_MS,
  deadline,
  type JsonRequest,
  lnError,
  MAX_RESPONSE_BYTES,
  pollInvoice,
  readCapped,
  requestJson,
} from '../http.js';
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
} from '../types.js';
import {
  big,
  certPem,
  check32,
  checkTimeout,
  createdInvoice,
  DEFAULT_PAY_TIMEOUT_MS,
  DEFAULT_WAIT_MS,
  type Fallback,
  invoiceRequest,
  invoiceStatus,
  LND,
  type LndConnection,
  type LndInvoice,
  type LndOptions,
  lndError,
  lndOptionsFromConnection,
  macaroonHex,
  nodeInfo,
  parseHost,
  paymentOutcome,
  preparePayment,
  timeoutError,
} from './lnd-common.js';
import { createTlsFetch, type TlsFetch } from './tls.js';

type Json = Record<string, unknown>;

/**
 * Statuses whose lnd JSON error body this adapter reads itself; 401/403 (lnd sends neither,
 * a proxy may) stay LN_UNAUTHORIZED through requestJson.
 */
const ERROR_STATUSES = [400, 404, 405, 409, 412, 429, 500, 501, 502, 503, 504];

const PENDING = Symbol('pending');

function b64bytes(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    return fromBase64(v, 'bytes');
  } catch {
    return undefined;
  }
}

/** A REST invoice with its base64 fields decoded. */
function restInvoice(j: Json): LndInvoice {
  return {
    state: typeof j.state === 'string' ? j.state : undefined,
    value_msat: j.value_msat,
    amt_paid_msat: j.amt_paid_msat,
    r_preimage: b64bytes(j.r_preimage),
    creation_date: j.creation_date,
    settle_date: j.settle_date,
    expiry: j.expiry,
    payment_request: typeof j.payment_request === 'string' ? j.payment_request : undefined,
    htlcs: Array.isArray(j.htlcs) ? j.htlcs.length : 0,
  };
}

/** A hash for a URL path: base64url, padded, the `=` escaped (lnd's gateway wants the padding). */
function pathHash(hex: string): string {
  const b = toBase64(fromHex(hex), true);
  return `${b}${'='.repeat((4 - (b.length % 4)) % 4)}`.replace(/=/g, '%3D');
}

function errorOf(body: unknown): { code?: unknown; message?: unknown } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const e = (body as Json).error;
  const o = (e && typeof e === 'object' ? e : body) as { code?: unknown; message?: unknown };
  return typeof o.message === 'string' ? o : undefined;
}

/**
 * lnd through its REST API: seller (invoices, hold invoices) and payer.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sats } from '@farebox/lightning';
 * import { LndRest } from '@farebox/lightning/node';
 * const lnd = new LndRest({
 *   host: '127.0.0.1:8080',
 *   macaroon: readFileSync('/lnd/data/chain/bitcoin/regtest/invoice.macaroon'),
 *   cert: readFileSync('/lnd/tls.cert', 'utf8'),
 * });
 * const inv = await lnd.createInvoice({ amountMsat: sats(21), memo: 'a joke' });
 * const done = await lnd.waitForInvoice(inv.paymentHash, { timeoutMs: 600_000 });
 * await lnd.close();
 * ```
 */
export class LndRest implements InvoiceIssuer, HoldInvoiceIssuer, Payer {
  readonly backend = 'lnd';
  readonly #base: string;
  readonly #macaroon: string;
  readonly #timeoutMs: number;
  readonly #payTimeoutMs: number;
  readonly #http: TlsFetch;

  constructor(opts: LndOptions) {
    if (!opts || typeof opts !== 'object')
      throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'lnd: options required');
    const { hostname, port, tls } = parseHost(opts.host, 8080);
    const h = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
    this.#base = `${tls ? 'https' : 'http'}://${h}:${port}`;
    this.#macaroon = macaroonHex(opts.macaroon);
    const t = checkTimeout(opts.timeoutMs);
    this.#timeoutMs = t ?? DEFAULT_TIMEOUT_MS;
    this.#payTimeoutMs = t ?? DEFAULT_PAY_TIMEOUT_MS;
    const ca = certPem(opts.cert);
    this.#http = createTlsFetch(ca ? { ca } : {});
  }

  /**
   * Opens a parsed `lnd+rest://` connection, reading the macaroon and cert files it names.
   *
   * @example
   * ```ts
   * import { parseConnection } from '@farebox/lightning';
   * import { LndRest } from '@farebox/lightning/node';
   * const cfg = parseConnection('lnd+rest://127.0.0.1:8080?macaroon=/lnd/admin.macaroon&cert=/lnd/tls.cert');
   * if (cfg.type === 'lnd') console.log((await LndRest.fromConnection(cfg)).backend);
   * ```
   */
  static async fromConnection(cfg: LndConnection, extra: { timeoutMs?: number } = {}): Promise<LndRest> {
    if (cfg?.type === 'lnd' && cfg.transport !== 'rest') {
      throw new FareboxError(
        ErrorCodes.LN_BAD_CONFIG,
        'lnd: this connection is gRPC (lnd+grpc://); use LndGrpc',
      );
    }
    return new LndRest(await lndOptionsFromConnection(cfg, extra));
  }

  get #headers(): Record<string, string> {
    return { 'grpc-metadata-macaroon': this.#macaroon };
  }

  /** One JSON call; lnd's error bodies become typed errors. */
  async #call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: Json | undefined,
    opts: CallOptions | undefined,
    what: string,
    fallback: Fallback,
    secrets: string[] = [],
  ): Promise<Json> {
    const req: JsonRequest = {
      backend: LND,
      method,
      headers: this.#headers,
      fetch: this.#http.fetch,
      timeoutMs: opts?.timeoutMs ?? this.#timeoutMs,
      allowStatus: ERROR_STATUSES,
    };
    if (opts?.signal) req.signal = opts.signal;
    if (body !== undefined) req.body = body;
    const res = await requestJson<unknown>(this.#base + path, req);
    if (res.status >= 200 && res.status < 300) {
      if (!res.body || typeof res.body !== 'object') {
        throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: answer is not an object`, {
          status: res.status,
        });
      }
      return res.body as Json;
    }
    const err = errorOf(res.body);
    if (!err)
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: HTTP ${res.status}`, { status: res.status });
    const status = typeof err.code === 'number' ? err.code : undefined;
    const e: { status?: number; message: string; httpStatus: number } = {
      message: String(err.message),
      httpStatus: res.status,
    };
    if (status !== undefined) e.status = status;
    throw lndError(what, e, fallback, [this.#macaroon, ...secrets]);
  }

  /**
   * A streaming call (NDJSON): `onResult` sees each `result` and returns a value to finish,
   * or PENDING to read on. Ends with a typed error if the stream ends or breaks first.
   */
  async #stream<T>(
    method: 'GET' | 'POST',
    path: string,
    body: Json | undefined,
    d: ReturnType<typeof deadline>,
    what: string,
    fallback: Fallback,
    onResult: (r: Json) => T | typeof PENDING,
  ): Promise<T> {
    const secrets = [this.#macaroon];
    const init: RequestInit = {
      method,
      headers: { ...this.#headers, accept: 'application/json' },
      signal: d.signal,
    };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const failed = (e: unknown, doing: string) => {
      if (e instanceof FareboxError) return e;
      if (d.timedOut || d.signal.aborted) return timeoutError(what, d.timedOut, d.ms);
      const c =
        (e as { cause?: { code?: string } })?.cause?.code ??
        (e as { code?: string })?.code ??
        'network error';
      return doing === 'connect'
        ? lnError(ErrorCodes.LN_UNREACHABLE, LND, `${what}: ${c}`, {}, e)
        : lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: stream broke (${c})`, {}, e);
    };
    let res: Response;
    try {
      res = await this.#http.fetch(this.#base + path, init);
    } catch (e) {
      throw failed(e, 'connect');
    }
    const reader = res.status === 200 ? res.body?.getReader() : undefined;
    try {
      if (!reader) {
        let text: string;
        try {
          text = await readCapped(res, LND);
        } catch (e) {
          throw failed(e, 'read');
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          // below
        }
        const err = errorOf(parsed);
        if (res.status === 401 || res.status === 403) {
          throw lnError(ErrorCodes.LN_UNAUTHORIZED, LND, `${what}: ${res.status} unauthorized`, {
            status: res.status,
          });
        }
        if (!err)
          throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: HTTP ${res.status}`, {
            status: res.status,
          });
        const e: { status?: number; message: string; httpStatus: number } = {
          message: String(err.message),
          httpStatus: res.status,
        };
        if (typeof err.code === 'number') e.status = err.code;
        throw lndError(what, e, fallback, secrets);
      }
      const decoder = new TextDecoder();
      let buf = '';
      const onLine = (line: string): T | typeof PENDING => {
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch (e) {
          throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: a stream line is not JSON`, {}, e);
        }
        const m = msg as Json;
        if (m && typeof m === 'object' && m.error !== undefined && m.error !== null) {
          const err = errorOf(m) ?? { message: 'stream error' };
          const e: { status?: number; message: string } = { message: String(err.message) };
          if (typeof err.code === 'number') e.status = err.code;
          throw lndError(what, e, fallback, secrets);
        }
        if (m && typeof m === 'object' && m.result && typeof m.result === 'object')
          return onResult(m.result as Json);
        return PENDING;
      };
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw failed(e, 'read');
        }
        if (chunk.done) break;
        buf += decoder.decode(chunk.value, { stream: true });
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          const r = onLine(line);
          if (r !== PENDING) return r;
        }
        if (buf.length > MAX_RESPONSE_BYTES)
          throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: stream line too long`);
      }
      if (buf.trim()) {
        const r = onLine(buf.trim());
        if (r !== PENDING) return r;
      }
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: stream ended without a final answer`);
    } finally {
      reader?.cancel().catch(() => {});
    }
  }

  /**
   * Node information: network (from `chains[0].network`), pubkey, alias, block height.
   *
   * @example
   * ```ts
   * const info = await lnd.getInfo(); // { backend: 'lnd', network: 'regtest', pubkey: '02…', … }
   * ```
   */
  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const j = await this.#call('GET', '/v1/getinfo', undefined, opts, 'getinfo', ErrorCodes.LN_BAD_RESPONSE);
    return nodeInfo(j as Parameters<typeof nodeInfo>[0]);
  }

  /** Spendable channel balance (`local_balance.msat` of `/v1/balance/channels`). */
  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const j = await this.#call(
      'GET',
      '/v1/balance/channels',
      undefined,
      opts,
      'channel balance',
      ErrorCodes.LN_BAD_RESPONSE,
    );
    const local = j.local_balance as Json | undefined;
    if (local && local.msat !== undefined) return { balanceMsat: big(local.msat) };
    return { balanceMsat: big(j.balance) * 1000n };
  }

  /** Creates an invoice (`POST /v1/invoices`). */
  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const r = invoiceRequest(req);
    const body: Json = { value_msat: r.valueMsat.toString(), memo: r.memo, expiry: String(r.expiry) };
    if (r.descriptionHash) body.description_hash = toBase64(r.descriptionHash);
    const j = await this.#call(
      'POST',
      '/v1/invoices',
      body,
      opts,
      'add invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
    );
    const hash = b64bytes(j.r_hash);
    if (hash?.length !== 32)
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, 'add invoice: no r_hash in the answer');
    return createdInvoice(j.payment_request, toHex(hash), r);
  }

  /** Looks an invoice up (`GET /v1/invoice/{hex}`); LN_NOT_FOUND for an unknown hash. */
  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = check32(paymentHash, 'paymentHash');
    const j = await this.#call(
      'GET',
      `/v1/invoice/${hash}`,
      undefined,
      opts,
      'lookup invoice',
      ErrorCodes.LN_BAD_RESPONSE,
    );
    return invoiceStatus(hash, restInvoice(j));
  }

  /**
   * Resolves once the invoice leaves `open`, from lnd's invoice stream
   * (`/v2/invoices/subscribe/{base64url}`); if the stream breaks, polls for the time left.
   */
  async waitForInvoice(
    paymentHash: string,
    opts: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<InvoiceStatus> {
    const hash = check32(paymentHash, 'paymentHash');
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
        return await this.#stream(
          'GET',
          `/v2/invoices/subscribe/${pathHash(hash)}`,
          undefined,
          d,
          'invoice stream',
          ErrorCodes.LN_BAD_RESPONSE,
          (r) => {
            const s = invoiceStatus(hash, restInvoice(r));
            return s.state === 'open' ? PENDING : s;
          },
        );
      } catch (e) {
        if (d.timedOut || d.signal.aborted) throw timeoutError('wait for invoice', d.timedOut, d.ms);
        const code = (e as FareboxError).code;
        if (code === ErrorCodes.LN_UNAUTHORIZED || code === ErrorCodes.LN_NOT_FOUND) throw e;
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

  /** Creates a hold invoice for a hash whose preimage the caller keeps (`POST /v2/invoices/hodl`). */
  async createHoldInvoice(
    req: CreateInvoiceRequest & { paymentHash: string },
    opts?: CallOptions,
  ): Promise<CreatedInvoice> {
    const r = invoiceRequest(req);
    const hash = check32(req.paymentHash, 'paymentHash');
    const body: Json = {
      hash: toBase64(fromHex(hash)),
      value_msat: r.valueMsat.toString(),
      memo: r.memo,
      expiry: String(r.expiry),
    };
    if (r.descriptionHash) body.description_hash = toBase64(r.descriptionHash);
    const j = await this.#call(
      'POST',
      '/v2/invoices/hodl',
      body,
      opts,
      'add hold invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
    );
    return createdInvoice(j.payment_request, hash, r);
  }

  /** Settles an accepted hold invoice with its preimage (`POST /v2/invoices/settle`). */
  async settleHoldInvoice(preimage: string, opts?: CallOptions): Promise<void> {
    const pre = check32(preimage, 'preimage');
    await this.#call(
      'POST',
      '/v2/invoices/settle',
      { preimage: toBase64(fromHex(pre)) },
      opts,
      'settle invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
      [pre, toBase64(fromHex(pre))],
    );
  }

  /** Cancels a hold invoice (`POST /v2/invoices/cancel`); the payer's HTLC fails back. */
  async cancelHoldInvoice(paymentHash: string, opts?: CallOptions): Promise<void> {
    const hash = check32(paymentHash, 'paymentHash');
    await this.#call(
      'POST',
      '/v2/invoices/cancel',
      { payment_hash: toBase64(fromHex(hash)) },
      opts,
      'cancel invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
    );
  }

  /**
   * Pays a BOLT11 invoice (`POST /v2/router/send`, final update only). On LN_TIMEOUT the
   * payment may still be in flight (a hold invoice not yet settled): look it up by hash.
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const prep = preparePayment(paymentRequest, opts, this.#payTimeoutMs);
    const body: Json = {
      payment_request: paymentRequest.trim(),
      fee_limit_msat: prep.feeLimitMsat.toString(),
      timeout_seconds: prep.timeoutSeconds,
      no_inflight_updates: true,
    };
    if (prep.amtMsat !== undefined) body.amt_msat = prep.amtMsat.toString();
    const d = deadline({ ...opts, timeoutMs: prep.timeoutMs }, prep.timeoutMs);
    try {
      return await this.#stream(
        'POST',
        '/v2/router/send',
        body,
        d,
        'pay',
        ErrorCodes.LN_PAYMENT_FAILED,
        (p) => {
          return paymentOutcome(p, prep) ?? PENDING;
        },
      );
    } catch (e) {
      if (e instanceof FareboxError && e.code === ErrorCodes.LN_TIMEOUT)
        e.data.paymentHash ??= prep.paymentHash;
      throw e;
    } finally {
      d.done();
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    this.#http.close();
  }
}
