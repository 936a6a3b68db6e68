/**
 * lnd over its REST gateway (`node:https`, lnd's self-signed certificate as the only CA, the
 * macaroon hex in `Grpc-Metadata-macaroon`). The gateway's quirks (see lnd's REST docs):
 * bytes are standard base64 in bodies but hashes in URL paths are base64url; int64 travel
 * as strings; streaming endpoints answer newline-delimited JSON, one `{"result":…}` or
 * `{"error":…}` per line.
 *
 * @module
 */
import { type ErrorCode, ErrorCodes, FareboxError, fromBase64, toBase64, toHex } from '@farebox/core';
import {
  DEFAULT_TIMEOUT_MS,
  type JsonRequest,
  lnError,
  MAX_RESPONSE_BYTES,
  readCapped,
  requestJson,
} from '../http.js';
import {
  LndAdapter,
  type LndMessage,
  type LndStreamRpc,
  type LndUnaryRpc,
  PENDING,
  type StreamCall,
  type UnaryCall,
} from './lnd-adapter.js';
import {
  certPem,
  checkTimeout,
  DEFAULT_PAY_TIMEOUT_MS,
  type Fallback,
  LND,
  type LndConnection,
  type LndOptions,
  lndError,
  lndOptionsFromConnection,
  macaroonHex,
  parseHost,
  timeoutError,
} from './lnd-common.js';
import { createTlsFetch, type TlsFetch } from './tls.js';

type Json = Record<string, unknown>;

/**
 * Statuses whose lnd JSON error body this adapter reads itself; 401/403 (lnd sends neither,
 * a proxy may) stay LN_UNAUTHORIZED through requestJson.
 */
const ERROR_STATUSES = [400, 404, 405, 409, 412, 429, 500, 501, 502, 503, 504];

/** A hash for a URL path: base64url, padded, the `=` escaped (lnd's gateway wants the padding). */
function pathHash(hash: Uint8Array): string {
  const b = toBase64(hash, true);
  return `${b}${'='.repeat((4 - (b.length % 4)) % 4)}`.replace(/=/g, '%3D');
}

function errorOf(body: unknown): { code?: unknown; message?: unknown } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const e = (body as Json).error;
  const o = (e && typeof e === 'object' ? e : body) as { code?: unknown; message?: unknown };
  return typeof o.message === 'string' ? o : undefined;
}

/**
 * lnd's REST gateway route of each RPC (the `google.api.http` rules of lnd's `*.yaml`): GET
 * routes take their parameters in the path, POST routes the message as a JSON body.
 */
const ROUTES: Record<
  LndUnaryRpc | LndStreamRpc,
  { method: 'GET' | 'POST'; path: (m: LndMessage) => string }
> = {
  GetInfo: { method: 'GET', path: () => '/v1/getinfo' },
  ChannelBalance: { method: 'GET', path: () => '/v1/balance/channels' },
  AddInvoice: { method: 'POST', path: () => '/v1/invoices' },
  LookupInvoice: { method: 'GET', path: (m) => `/v1/invoice/${toHex(m.r_hash as Uint8Array)}` },
  AddHoldInvoice: { method: 'POST', path: () => '/v2/invoices/hodl' },
  SettleInvoice: { method: 'POST', path: () => '/v2/invoices/settle' },
  CancelInvoice: { method: 'POST', path: () => '/v2/invoices/cancel' },
  SubscribeSingleInvoice: {
    method: 'GET',
    path: (m) => `/v2/invoices/subscribe/${pathHash(m.r_hash as Uint8Array)}`,
  },
  SendPaymentV2: { method: 'POST', path: () => '/v2/router/send' },
  TrackPaymentV2: {
    method: 'GET',
    path: (m) =>
      `/v2/router/track/${pathHash(m.payment_hash as Uint8Array)}?no_inflight_updates=${m.no_inflight_updates === true}`,
  },
};

/** A request message as a JSON body: bytes fields in standard base64. */
function restBody(m: LndMessage): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(m)) out[k] = v instanceof Uint8Array ? toBase64(v) : v;
  return out;
}

/** A failed call's answer as a typed error: lnd's JSON error body, or its HTTP status. */
function httpError(
  res: { status: number; body: unknown },
  c: { what: string; fallback: Fallback; secrets: string[] },
): FareboxError {
  const err = errorOf(res.body);
  if (!err)
    return lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${c.what}: HTTP ${res.status}`, { status: res.status });
  const e: { status?: number; message: string; httpStatus: number } = {
    message: String(err.message),
    httpStatus: res.status,
  };
  if (typeof err.code === 'number') e.status = err.code;
  return lndError(c.what, e, c.fallback, c.secrets);
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
export class LndRest extends LndAdapter {
  protected readonly payTimeoutMs: number;
  protected readonly callTimeoutMs: number;
  // lnd without invoicesrpc has no invoice stream (404, LN_UNSUPPORTED): waiting polls then.
  protected readonly streamFatal: readonly ErrorCode[] = [
    ErrorCodes.LN_UNAUTHORIZED,
    ErrorCodes.LN_NOT_FOUND,
  ];
  readonly #base: string;
  readonly #macaroon: string;
  readonly #timeoutMs: number;
  readonly #http: TlsFetch;

  constructor(opts: LndOptions) {
    super();
    if (!opts || typeof opts !== 'object')
      throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'lnd: options required');
    const { hostname, port, tls } = parseHost(opts.host, 8080);
    const h = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
    this.#base = `${tls ? 'https' : 'http'}://${h}:${port}`;
    this.#macaroon = macaroonHex(opts.macaroon);
    const t = checkTimeout(opts.timeoutMs);
    this.#timeoutMs = t ?? DEFAULT_TIMEOUT_MS;
    this.callTimeoutMs = this.#timeoutMs;
    this.payTimeoutMs = t ?? DEFAULT_PAY_TIMEOUT_MS;
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
  protected async unary(rpc: LndUnaryRpc, call: UnaryCall): Promise<Json> {
    const route = ROUTES[rpc];
    const req: JsonRequest = {
      backend: LND,
      method: route.method,
      headers: this.#headers,
      fetch: this.#http.fetch,
      timeoutMs: call.opts?.timeoutMs ?? this.#timeoutMs,
      allowStatus: ERROR_STATUSES,
    };
    if (call.opts?.signal) req.signal = call.opts.signal;
    if (route.method === 'POST') req.body = restBody(call.req);
    const res = await requestJson<unknown>(this.#base + route.path(call.req), req);
    if (res.status >= 200 && res.status < 300) {
      if (!res.body || typeof res.body !== 'object') {
        throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${call.what}: answer is not an object`, {
          status: res.status,
        });
      }
      return res.body as Json;
    }
    throw httpError(res, {
      what: call.what,
      fallback: call.fallback,
      secrets: [this.#macaroon, ...(call.secrets ?? [])],
    });
  }

  /**
   * A streaming call (NDJSON): `onMessage` sees each `result` and returns a value to finish,
   * or PENDING to read on. Ends with a typed error if the stream ends or breaks first.
   */
  protected async subscribe<T>(rpc: LndStreamRpc, call: StreamCall<T>): Promise<T> {
    const { d, what, fallback } = call;
    const route = ROUTES[rpc];
    const secrets = [this.#macaroon];
    const init: RequestInit = {
      method: route.method,
      headers: { ...this.#headers, accept: 'application/json' },
      signal: d.signal,
    };
    if (route.method === 'POST') {
      init.body = JSON.stringify(restBody(call.req));
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
      res = await this.#http.fetch(this.#base + route.path(call.req), init);
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
        if (res.status === 401 || res.status === 403) {
          throw lnError(ErrorCodes.LN_UNAUTHORIZED, LND, `${what}: ${res.status} unauthorized`, {
            status: res.status,
          });
        }
        throw httpError({ status: res.status, body: parsed }, { what, fallback, secrets });
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
          return call.onMessage(m.result as Json);
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

  /** A bytes field of a JSON answer: standard base64. */
  protected bytes(v: unknown): Uint8Array | undefined {
    if (typeof v !== 'string' || v === '') return undefined;
    try {
      return fromBase64(v, 'bytes');
    } catch {
      return undefined;
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    this.#http.close();
  }
}
