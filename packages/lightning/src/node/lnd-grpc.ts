/**
 * lnd over gRPC (`@grpc/grpc-js`): `lnrpc.Lightning`, `routerrpc.Router` and
 * `invoicesrpc.Invoices` on one TLS channel, the macaroon as per-call metadata. lnd's
 * `.proto` files come from the `lightning` npm package and are loaded on first use, so
 * importing this module (or the REST adapter) loads no gRPC code.
 *
 * @module
 */

import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { type ErrorCode, ErrorCodes, FareboxError } from '@farebox/core';
import type * as GrpcJs from '@grpc/grpc-js';
import { DEFAULT_TIMEOUT_MS, deadline, lnError } from '../http.js';

/** gRPC's own deadline is set a little after ours, so that ours decides (a typed LN_TIMEOUT). */
const GRACE_MS = 1000;

import {
  type Deadline,
  LndAdapter,
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
  GrpcStatus,
  LND,
  type LndConnection,
  type LndOptions,
  lndError,
  lndOptionsFromConnection,
  macaroonHex,
  parseHost,
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

/** grpc-js's words for "that was not a gRPC server speaking" (HTML, a 500, garbage). */
const NOT_GRPC =
  /Received HTTP status code|larger than max|content-type|Protocol error|RST_STREAM|parsing error|Failed to parse|Unexpected|malformed/i;

/** The service of each RPC the adapter calls. */
const SERVICES: Record<LndUnaryRpc | LndStreamRpc, Service> = {
  GetInfo: 'lightning',
  ChannelBalance: 'lightning',
  AddInvoice: 'lightning',
  LookupInvoice: 'lightning',
  AddHoldInvoice: 'invoices',
  SettleInvoice: 'invoices',
  CancelInvoice: 'invoices',
  SubscribeSingleInvoice: 'invoices',
  SendPaymentV2: 'router',
  TrackPaymentV2: 'router',
};

/** A request message for grpc-js: bytes fields as `Buffer`. */
function grpcMessage(m: Msg): Msg {
  const out: Msg = {};
  for (const [k, v] of Object.entries(m)) out[k] = v instanceof Uint8Array ? Buffer.from(v) : v;
  return out;
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
export class LndGrpc extends LndAdapter {
  protected readonly payTimeoutMs: number;
  protected readonly callTimeoutMs: number;
  protected readonly streamFatal: readonly ErrorCode[] = [
    ErrorCodes.LN_UNAUTHORIZED,
    ErrorCodes.LN_NOT_FOUND,
    ErrorCodes.LN_UNSUPPORTED,
  ];
  readonly #target: string;
  /** The host as given, without brackets: an IP literal gets its own identity check. */
  readonly #hostname: string;
  readonly #macaroon: string;
  readonly #cert: string | undefined;
  readonly #timeoutMs: number;
  #clients: Promise<Record<Service, GrpcJs.Client> & { grpc: Grpc }> | undefined;
  #closed = false;

  constructor(opts: LndOptions) {
    super();
    if (!opts || typeof opts !== 'object')
      throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'lnd: options required');
    const { hostname, port, tls } = parseHost(opts.host, 10009);
    if (!tls) throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'lnd: gRPC needs TLS (no http:// host)');
    this.#target = `${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}:${port}`;
    this.#hostname = hostname.replace(/^\[(.*)\]$/, '$1');
    this.#macaroon = macaroonHex(opts.macaroon);
    this.#cert = certPem(opts.cert);
    const t = checkTimeout(opts.timeoutMs);
    this.#timeoutMs = t ?? DEFAULT_TIMEOUT_MS;
    this.callTimeoutMs = this.#timeoutMs;
    this.payTimeoutMs = t ?? DEFAULT_PAY_TIMEOUT_MS;
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
        // grpc-js hands the target's host to TLS as the server name, and Node warns (DEP0123)
        // when that is an IP address. For an IP, send a neutral name and check the
        // certificate against the IP itself: the same check, exactly, without the warning.
        const ip = isIP(this.#hostname) !== 0;
        const host = this.#hostname;
        const ssl = grpc.credentials.createSsl(
          this.#cert ? Buffer.from(this.#cert) : undefined,
          null,
          null,
          ip ? { checkServerIdentity: (_name, peer) => checkServerIdentity(host, peer) } : {},
        );
        const channelOptions: GrpcJs.ChannelOptions = ip
          ? { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': this.#target }
          : {};
        const perCall = grpc.credentials.createFromMetadataGenerator((_params, cb) => {
          const md = new grpc.Metadata();
          md.add('macaroon', macaroon);
          cb(null, md);
        });
        const creds = grpc.credentials.combineChannelCredentials(ssl, perCall);
        const lightning = new p.Lightning(this.#target, creds, channelOptions);
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
  #error(e: unknown, what: string, fallback: Fallback, d: Deadline, secrets: string[]) {
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

  /** One unary call within the call's deadline; cancelled when the caller's signal fires. */
  protected async unary(rpc: LndUnaryRpc, call: UnaryCall): Promise<Msg> {
    const { opts, what, fallback, secrets = [] } = call;
    const service = SERVICES[rpc];
    const d = deadline(opts, this.#timeoutMs);
    try {
      const c = await this.#connect();
      return await new Promise<Msg>((resolve, reject) => {
        if (d.signal.aborted) return reject(timeoutError(what, d.timedOut, d.ms));
        const fn = (c[service] as unknown as Record<string, UnaryFn>)[rpc];
        if (typeof fn !== 'function')
          return reject(lnError(ErrorCodes.LN_UNSUPPORTED, LND, `${what}: no method ${rpc}`));
        const pending = fn.call(
          c[service],
          grpcMessage(call.req),
          new c.grpc.Metadata(),
          { deadline: Date.now() + d.ms + GRACE_MS },
          (err, res) => {
            d.signal.removeEventListener('abort', onAbort);
            if (err) reject(this.#error(err, what, fallback, d, secrets));
            else resolve(res ?? {});
          },
        );
        const onAbort = () => pending.cancel();
        d.signal.addEventListener('abort', onAbort, { once: true });
      });
    } catch (e) {
      throw this.#error(e, what, fallback, d, secrets);
    } finally {
      d.done();
    }
  }

  /** A server stream: `onMessage` returns a value to finish or PENDING to read on. */
  protected async subscribe<T>(rpc: LndStreamRpc, call: StreamCall<T>): Promise<T> {
    const { d, what, fallback } = call;
    const service = SERVICES[rpc];
    const c = await this.#connect().catch((e) => {
      throw this.#error(e, what, fallback, d, []);
    });
    return new Promise<T>((resolve, reject) => {
      if (d.signal.aborted) return reject(timeoutError(what, d.timedOut, d.ms));
      const fn = (c[service] as unknown as Record<string, StreamFn>)[rpc];
      if (typeof fn !== 'function')
        return reject(lnError(ErrorCodes.LN_UNSUPPORTED, LND, `${what}: no method ${rpc}`));
      const stream = fn.call(c[service], grpcMessage(call.req), new c.grpc.Metadata(), {
        deadline: Date.now() + d.ms + GRACE_MS,
      });
      let done = false;
      const finish = (err: unknown, value?: T) => {
        if (done) return;
        done = true;
        d.signal.removeEventListener('abort', onAbort);
        stream.cancel();
        // Once our deadline has passed, whatever the channel says (lnd or grpc-js may report
        // "Call cancelled" a moment earlier) is a timeout.
        if (err)
          reject(d.timedOut ? timeoutError(what, true, d.ms) : this.#error(err, what, fallback, d, []));
        else resolve(value as T);
      };
      const onAbort = () => finish(timeoutError(what, d.timedOut, d.ms));
      d.signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (m: Msg) => {
        try {
          const r = call.onMessage(m);
          if (r !== PENDING) finish(undefined, r);
        } catch (e) {
          finish(e);
        }
      });
      stream.on('error', (e) => finish(e));
      stream.on('end', () =>
        finish(lnError(ErrorCodes.LN_BAD_RESPONSE, LND, `${what}: stream ended without a final answer`)),
      );
    });
  }

  /** A bytes field of a protobuf answer: a `Buffer`. */
  protected bytes(v: unknown): Uint8Array | undefined {
    return v instanceof Uint8Array && v.length > 0 ? v : undefined;
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
