/**
 * lnd over gRPC (`@grpc/grpc-js`): `lnrpc.Lightning`, `routerrpc.Router` and
 * `invoicesrpc.Invoices` on one TLS channel, the macaroon as per-call metadata. lnd's
 * `.proto` files come from the `lightning` npm package and are loaded on first use, so
 * importing this module (or the REST adapter) loads no gRPC code.
 *
 * @module
 */
import { ErrorCodes, FareboxError, fromHex, toBase64, toHex } from '@farebox/core';
import type * as GrpcJs from '@grpc/grpc-js';
import { DEFAULT_TIMEOUT_MS, deadline, lnError, pollInvoice } from '../http.js';
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
  GrpcStatus,
  invoiceRequest,
  invoiceStatus,
  LND,
  type LndConnection,
  type LndInvoice,
  type LndOptions,
  type LndPayment,
  lndError,
  lndOptionsFromConnection,
  macaroonHex,
  nodeInfo,
  parseHost,
  paymentOutcome,
  preparePayment,
  timeoutError,
} from './lnd-common.js';

type Grpc = (typeof GrpcJs)['default'];
type Msg = Record<string, unknown>;
type Callback = (err: GrpcJs.ServiceError | null, res?: Msg) => void;
type UnaryFn = (
  req: Msg,
  md: GrpcJs.Metadata,
  opts: GrpcJs.CallOptions,
  cb: Callback,
) => GrpcJs.ClientUnaryCall;
type StreamFn = (req: Msg, md: GrpcJs.Metadata, opts: GrpcJs.CallOptions) => GrpcJs.ClientReadableStream<Msg>;
type Service = 'lightning' | 'router' | 'invoices';

interface Protos {
  grpc: Grpc;
  Lightning: GrpcJs.ServiceClientConstructor;
  Router: GrpcJs.ServiceClientConstructor;
  Invoices: GrpcJs.ServiceClientConstructor;
}

let protos: Promise<Protos> | undefined;

/** Loads grpc-js and lnd's protos once per process (keepCase, int64 as strings, enums as names). */
function loadProtos(): Promise<Protos> {
  if (protos) return protos;
  const p = (async (): Promise<Protos> => {
    const [grpcMod, loaderMod, { createRequire }, { dirname }] = await Promise.all([
      import('@grpc/grpc-js'),
      import('@grpc/proto-loader'),
      import('node:module'),
      import('node:path'),
    ]);
    // CommonJS packages: their `module.exports` is the default export under ESM.
    const grpc = grpcMod.default;
    const loader = loaderMod.default;
    const dir = dirname(createRequire(import.meta.url).resolve('lightning/grpc/protos/lightning.proto'));
    const def = await loader.load(['lightning.proto', 'router.proto', 'invoices.proto'], {
      includeDirs: [dir],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      lnrpc: { Lightning: GrpcJs.ServiceClientConstructor };
      routerrpc: { Router: GrpcJs.ServiceClientConstructor };
      invoicesrpc: { Invoices: GrpcJs.ServiceClientConstructor };
    };
    return {
      grpc,
      Lightning: pkg.lnrpc.Lightning,
      Router: pkg.routerrpc.Router,
      Invoices: pkg.invoicesrpc.Invoices,
    };
  })();
  protos = p;
  p.catch(() => {
    protos = undefined;
  });
  return p;
}

const PENDING = Symbol('pending');

/** grpc-js's words for "that was not a gRPC server speaking" (HTML, a 500, garbage). */
const NOT_GRPC =
  /Received HTTP status code|larger than max|content-type|Protocol error|RST_STREAM|parsing error|Failed to parse|Unexpected|malformed/i;

function bytes(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array && v.length > 0 ? v : undefined;
}

function grpcInvoice(m: Msg): LndInvoice {
  return {
    state: typeof m.state === 'string' ? m.state : undefined,
    value_msat: m.value_msat,
    amt_paid_msat: m.amt_paid_msat,
    r_preimage: bytes(m.r_preimage),
    creation_date: m.creation_date,
    settle_date: m.settle_date,
    expiry: m.expiry,
    payment_request: typeof m.payment_request === 'string' ? m.payment_request : undefined,
    htlcs: Array.isArray(m.htlcs) ? m.htlcs.length : 0,
  };
}

/**
 * lnd through gRPC: seller (invoices, hold invoices) and payer.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sats } from '@farebox/lightning';
 * import { LndGrpc } from '@farebox/lightning/node';
 * const lnd = new LndGrpc({
 *   host: '127.0.0.1:10009',
 *   macaroon: readFileSync('/lnd/data/chain/bitcoin/regtest/admin.macaroon'),
 *   cert: readFileSync('/lnd/tls.cert', 'utf8'),
 * });
 * const paid = await lnd.payInvoice('lnbcrt10u1…', { maxFeeMsat: sats(5) });
 * await lnd.close();
 * ```
 */
export class LndGrpc implements InvoiceIssuer, HoldInvoiceIssuer, Payer {
  readonly backend = 'lnd';
  readonly #target: string;
  readonly #macaroon: string;
  readonly #cert: string | undefined;
  readonly #timeoutMs: number;
  readonly #payTimeoutMs: number;
  #clients: Promise<Record<Service, GrpcJs.Client> & { grpc: Grpc }> | undefined;
  #closed = false;

  constructor(opts: LndOptions) {
    if (!opts || typeof opts !== 'object')
      throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'lnd: options required');
    const { hostname, port, tls } = parseHost(opts.host, 10009);
    if (!tls) throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'lnd: gRPC needs TLS (no http:// host)');
    this.#target = `${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}:${port}`;
    this.#macaroon = macaroonHex(opts.macaroon);
    this.#cert = certPem(opts.cert);
    const t = checkTimeout(opts.timeoutMs);
    this.#timeoutMs = t ?? DEFAULT_TIMEOUT_MS;
    this.#payTimeoutMs = t ?? DEFAULT_PAY_TIMEOUT_MS;
  }

  /**
   * Opens a parsed `lnd+grpc://` connection, reading the macaroon and cert files it names.
   *
   * @example
   * ```ts
   * import { parseConnection } from '@farebox/lightning';
   * import { LndGrpc } from '@farebox/lightning/node';
   * const cfg = parseConnection('lnd+grpc://127.0.0.1:10009?macaroon=/lnd/admin.macaroon&cert=/lnd/tls.cert');
   * if (cfg.type === 'lnd') console.log((await LndGrpc.fromConnection(cfg)).backend);
   * ```
   */
  static async fromConnection(cfg: LndConnection, extra: { timeoutMs?: number } = {}): Promise<LndGrpc> {
    if (cfg?.type === 'lnd' && cfg.transport !== 'grpc') {
      throw new FareboxError(
        ErrorCodes.LN_BAD_CONFIG,
        'lnd: this connection is REST (lnd+rest://); use LndRest',
      );
    }
    return new LndGrpc(await lndOptionsFromConnection(cfg, extra));
  }

  /** The three service clients on one channel, made on first use. */
  #connect(): Promise<Record<Service, GrpcJs.Client> & { grpc: Grpc }> {
    if (this.#closed) return Promise.reject(lnError(ErrorCodes.LN_UNREACHABLE, LND, 'client closed'));
    this.#clients ??= loadProtos().then(
      (p) => {
        const { grpc } = p;
        const macaroon = this.#macaroon;
        const ssl = grpc.credentials.createSsl(this.#cert ? Buffer.from(this.#cert) : undefined);
        const perCall = grpc.credentials.createFromMetadataGenerator((_params, cb) => {
          const md = new grpc.Metadata();
          md.add('macaroon', macaroon);
          cb(null, md);
        });
        const creds = grpc.credentials.combineChannelCredentials(ssl, perCall);
        const lightning = new p.Lightning(this.#target, creds);
        const shared = { channelOverride: lightning.getChannel() };
        return {
          grpc,
          lightning,
          router: new p.Router(this.#target, creds, shared),
          invoices: new p.Invoices(this.#target, creds, shared),
        };
      },
      (e) => {
        this.#clients = undefined;
        throw lnError(
          ErrorCodes.LN_BAD_CONFIG,
          LND,
          'cannot load lnd protos (is the "lightning" package installed?)',
          {},
          e,
        );
      },
    );
    return this.#clients;
  }

  /** A gRPC failure as a typed error. */
  #error(e: unknown, what: string, fallback: Fallback, d: ReturnType<typeof deadline>, secrets: string[]) {
    if (e instanceof FareboxError) return e;
    if (d.timedOut || d.signal.aborted) return timeoutError(what, d.timedOut, d.ms);
    const se = e as Partial<GrpcJs.ServiceError>;
    const message = se.details || se.message || 'gRPC error';
    if (typeof se.code === 'number' && se.code !== GrpcStatus.UNAVAILABLE && NOT_GRPC.test(message)) {
      return lnError(
        ErrorCodes.LN_BAD_RESPONSE,
        LND,
        `${what}: not an lnd gRPC answer`,
        { grpcStatus: se.code },
        e,
      );
    }
    const err: { status?: number; message: string } = { message };
    if (typeof se.code === 'number') err.status = se.code;
    return lndError(what, err, fallback, [this.#macaroon, ...secrets], e);
  }

  async #unary(
    service: Service,
    method: string,
    req: Msg,
    opts: CallOptions | undefined,
    what: string,
    fallback: Fallback,
    secrets: string[] = [],
  ): Promise<Msg> {
    const d = deadline(opts, this.#timeoutMs);
    try {
      const c = await this.#connect();
      return await new Promise<Msg>((resolve, reject) => {
        if (d.signal.aborted) return reject(timeoutError(what, d.timedOut, d.ms));
        const fn = (c[service] as unknown as Record<string, UnaryFn>)[method];
        if (typeof fn !== 'function')
          return reject(lnError(ErrorCodes.LN_UNSUPPORTED, LND, `${what}: no method ${method}`));
        const call = fn.call(
          c[service],
          req,
          new c.grpc.Metadata(),
          { deadline: Date.now() + d.ms },
          (err, res) => {
            d.signal.removeEventListener('abort', onAbort);
            if (err) reject(this.#error(err, what, fallback, d, secrets));
            else resolve(res ?? {});
          },
        );
        const onAbort = () => call.cancel();
        d.signal.addEventListener('abort', onAbort, { once: true });
      });
    } catch (e) {
      throw this.#error(e, what, fallback, d, secrets);
    } finally {
      d.done();
    }
  }

  /** A server stream: `onMessage` returns a value to finish or PENDING to read on. */
  async #serverStream<T>(
    service: Service,
    method: string,
    req: Msg,
    d: ReturnType<typeof deadline>,
    what: string,
    fallback: Fallback,
    onMessage: (m: Msg) => T | typeof PENDING,
  ): Promise<T> {
    const c = await this.#connect().catch((e) => {
      throw this.#error(e, what, fallback, d, []);
    });
    return new Promise<T>((resolve, reject) => {
      if (d.signal.aborted) return reject(timeoutError(what, d.timedOut, d.ms));
      const fn = (c[service] as unknown as Record<string, StreamFn>)[method];
      if (typeof fn !== 'function')
        return reject(lnError(ErrorCodes.LN_UNSUPPORTED, LND, `${what}: no method ${method}`));
      const call = fn.call(c[service], req, new c.grpc.Metadata(), { deadline: Date.now() + d.ms });
      let done = false;
      const finish = (err: unknown, value?: T) => {
        if (done) return;
        done = true;
        d.signal.removeEventListener('abort', onAbort);
        call.cancel();
        if (err) reject(this.#error(err, what, fallback, d, []));
        else resolve(value as T);
      };
      const onAbort = () => finish(timeoutError(what, d.timedOut, d.ms));
      d.signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (m: Msg) => {
        try {
          const r = onMessage(m);
          if (r !== PENDING) finish(undefined, r);
        } catch (e) {
          finish(e);
        }
      });
      call.on('error', (e) => finish(e));
      call.on('end', () =>
        finish(lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: stream ended without a final answer`)),
      );
    });
  }

  /**
   * Node information (`GetInfo`): network, pubkey, alias, block height.
   *
   * @example
   * ```ts
   * const info = await lnd.getInfo(); // { backend: 'lnd', network: 'regtest', pubkey: '02…', … }
   * ```
   */
  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    const m = await this.#unary('lightning', 'GetInfo', {}, opts, 'getinfo', ErrorCodes.LN_BAD_RESPONSE);
    return nodeInfo(m as Parameters<typeof nodeInfo>[0]);
  }

  /** Spendable channel balance (`ChannelBalance.local_balance.msat`). */
  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const m = await this.#unary(
      'lightning',
      'ChannelBalance',
      {},
      opts,
      'channel balance',
      ErrorCodes.LN_BAD_RESPONSE,
    );
    const local = m.local_balance as Msg | null | undefined;
    if (local && local.msat !== undefined) return { balanceMsat: big(local.msat) };
    return { balanceMsat: big(m.balance) * 1000n };
  }

  /** Creates an invoice (`AddInvoice`). */
  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const r = invoiceRequest(req);
    const msg: Msg = { value_msat: r.valueMsat.toString(), memo: r.memo, expiry: String(r.expiry) };
    if (r.descriptionHash) msg.description_hash = Buffer.from(r.descriptionHash);
    const m = await this.#unary(
      'lightning',
      'AddInvoice',
      msg,
      opts,
      'add invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
    );
    const hash = bytes(m.r_hash);
    if (hash?.length !== 32)
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, LND, 'add invoice: no r_hash in the answer');
    return createdInvoice(m.payment_request, toHex(hash), r);
  }

  /** Looks an invoice up (`LookupInvoice`); LN_NOT_FOUND for an unknown hash. */
  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    const hash = check32(paymentHash, 'paymentHash');
    const m = await this.#unary(
      'lightning',
      'LookupInvoice',
      { r_hash: Buffer.from(fromHex(hash)) },
      opts,
      'lookup invoice',
      ErrorCodes.LN_BAD_RESPONSE,
    );
    return invoiceStatus(hash, grpcInvoice(m));
  }

  /**
   * Resolves once the invoice leaves `open`, from `SubscribeSingleInvoice`; if the stream
   * breaks, polls for the time left.
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
        return await this.#serverStream(
          'invoices',
          'SubscribeSingleInvoice',
          { r_hash: Buffer.from(fromHex(hash)) },
          d,
          'invoice stream',
          ErrorCodes.LN_BAD_RESPONSE,
          (m) => {
            const s = invoiceStatus(hash, grpcInvoice(m));
            return s.state === 'open' ? PENDING : s;
          },
        );
      } catch (e) {
        if (d.timedOut || d.signal.aborted) throw timeoutError('wait for invoice', d.timedOut, d.ms);
        const code = (e as FareboxError).code;
        if (
          code === ErrorCodes.LN_UNAUTHORIZED ||
          code === ErrorCodes.LN_NOT_FOUND ||
          code === ErrorCodes.LN_UNSUPPORTED
        ) {
          throw e;
        }
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

  /** Creates a hold invoice for a hash whose preimage the caller keeps (`AddHoldInvoice`). */
  async createHoldInvoice(
    req: CreateInvoiceRequest & { paymentHash: string },
    opts?: CallOptions,
  ): Promise<CreatedInvoice> {
    const r = invoiceRequest(req);
    const hash = check32(req.paymentHash, 'paymentHash');
    const msg: Msg = {
      hash: Buffer.from(fromHex(hash)),
      value_msat: r.valueMsat.toString(),
      memo: r.memo,
      expiry: String(r.expiry),
    };
    if (r.descriptionHash) msg.description_hash = Buffer.from(r.descriptionHash);
    const m = await this.#unary(
      'invoices',
      'AddHoldInvoice',
      msg,
      opts,
      'add hold invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
    );
    return createdInvoice(m.payment_request, hash, r);
  }

  /** Settles an accepted hold invoice with its preimage (`SettleInvoice`). */
  async settleHoldInvoice(preimage: string, opts?: CallOptions): Promise<void> {
    const pre = check32(preimage, 'preimage');
    await this.#unary(
      'invoices',
      'SettleInvoice',
      { preimage: Buffer.from(fromHex(pre)) },
      opts,
      'settle invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
      [pre, toBase64(fromHex(pre))],
    );
  }

  /** Cancels a hold invoice (`CancelInvoice`); the payer's HTLC fails back. */
  async cancelHoldInvoice(paymentHash: string, opts?: CallOptions): Promise<void> {
    const hash = check32(paymentHash, 'paymentHash');
    await this.#unary(
      'invoices',
      'CancelInvoice',
      { payment_hash: Buffer.from(fromHex(hash)) },
      opts,
      'cancel invoice',
      ErrorCodes.LN_PAYMENT_FAILED,
    );
  }

  /**
   * Pays a BOLT11 invoice (`Router.SendPaymentV2`, final update only). On LN_TIMEOUT the
   * payment may still be in flight (a hold invoice not yet settled): look it up by hash.
   */
  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const prep = preparePayment(paymentRequest, opts, this.#payTimeoutMs);
    const msg: Msg = {
      payment_request: paymentRequest.trim(),
      fee_limit_msat: prep.feeLimitMsat.toString(),
      timeout_seconds: prep.timeoutSeconds,
      no_inflight_updates: true,
    };
    if (prep.amtMsat !== undefined) msg.amt_msat = prep.amtMsat.toString();
    const d = deadline({ ...opts, timeoutMs: prep.timeoutMs }, prep.timeoutMs);
    try {
      return await this.#serverStream(
        'router',
        'SendPaymentV2',
        msg,
        d,
        'pay',
        ErrorCodes.LN_PAYMENT_FAILED,
        (m) => {
          return paymentOutcome(m as LndPayment, prep) ?? PENDING;
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

  /** Closes the gRPC channel. */
  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#clients;
    this.#clients = undefined;
    if (!c) return;
    try {
      const clients = await c;
      clients.lightning.close();
    } catch {
      // never connected
    }
  }
}
