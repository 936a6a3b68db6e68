/**
 * A tiny lnd REST caller for tests (node:https, the node's self-signed cert as CA, the
 * macaroon in `Grpc-Metadata-macaroon`), for the test wallet service and for paying from
 * the other side of the channel. Not the real lnd adapter (src/node/).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { RegtestEnv } from './regtest.js';

export class LndError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly grpcCode?: number,
  ) {
    super(message);
  }
}

export interface LndNode {
  rest: string;
  macaroonPath: string;
  certPath: string;
}

/** lnd's Payment (router), as much as tests read. */
export interface LndPayment {
  payment_hash: string;
  payment_preimage: string;
  status: 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED' | 'INITIATED';
  fee_msat?: string;
  value_msat?: string;
  failure_reason?: string;
}

/** lnd's Invoice, as much as tests read. Bytes are base64. */
export interface LndInvoice {
  r_hash: string;
  r_preimage?: string;
  payment_request: string;
  state: 'OPEN' | 'SETTLED' | 'CANCELED' | 'ACCEPTED';
  value_msat: string;
  amt_paid_msat?: string;
  creation_date: string;
  settle_date?: string;
  expiry: string;
  memo?: string;
  description_hash?: string;
}

const b64ToHex = (b: string | undefined) => Buffer.from(b ?? '', 'base64').toString('hex');
const hexToB64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
// lnd's REST gateway wants padded base64url in paths, the padding percent-encoded.
const hexToB64Url = (h: string) =>
  Buffer.from(h, 'hex').toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '%3D');

export { b64ToHex, hexToB64 };

export class LndRestMini {
  readonly #node: LndNode;
  readonly #ca: Buffer;
  readonly #macaroon: string;

  constructor(node: LndNode) {
    this.#node = node;
    this.#ca = readFileSync(node.certPath);
    this.#macaroon = readFileSync(node.macaroonPath).toString('hex');
  }

  #req(method: string, path: string, body: unknown, timeoutMs: number) {
    const url = new URL(this.#node.rest + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(url, {
      method,
      ca: this.#ca,
      agent: false,
      timeout: timeoutMs,
      headers: {
        'Grpc-Metadata-macaroon': this.#macaroon,
        ...(payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {}),
      },
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    if (payload) req.write(payload);
    req.end();
    return req;
  }

  /** One JSON call; throws LndError with lnd's message on a non-2xx answer. */
  call<T>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = this.#req(method, path, body, timeoutMs);
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: { message?: string; code?: number } & Record<string, unknown>;
          try {
            json = text ? JSON.parse(text) : {};
          } catch {
            return reject(
              new LndError(`${method} ${path}: not JSON (HTTP ${res.statusCode})`, res.statusCode ?? 0),
            );
          }
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            return reject(
              new LndError(json.message ?? `${method} ${path}: HTTP ${status}`, status, json.code),
            );
          }
          resolve(json as T);
        });
      });
    });
  }

  /**
   * A streaming call (NDJSON `{"result":…}` / `{"error":…}` lines). `onResult` returns true to
   * stop. Resolves when the stream ends or is stopped; `close()` ends it early.
   */
  stream(
    method: string,
    path: string,
    body: unknown,
    onResult: (r: Record<string, unknown>) => boolean | undefined,
    timeoutMs = 0,
  ): { done: Promise<void>; close(): void } {
    const req = this.#req(method, path, body, timeoutMs);
    let closed = false;
    const done = new Promise<void>((resolve, reject) => {
      req.on('error', (e) => (closed ? resolve() : reject(e)));
      req.on('response', (res) => {
        let buf = '';
        res.setEncoding('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          res.on('data', (chunk: string) => {
            buf += chunk;
          });
          res.on('end', () =>
            reject(new LndError(`${method} ${path}: HTTP ${status}: ${buf.slice(0, 300)}`, status)),
          );
          return;
        }
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            let msg: { result?: Record<string, unknown>; error?: { message?: string; code?: number } };
            try {
              msg = JSON.parse(line);
            } catch {
              continue;
            }
            if (msg.error) {
              closed = true;
              req.destroy();
              return reject(
                new LndError(msg.error.message ?? 'stream error', res.statusCode ?? 0, msg.error.code),
              );
            }
            if (msg.result && onResult(msg.result)) {
              closed = true;
              req.destroy();
              return resolve();
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (closed ? resolve() : reject(e)));
      });
    });
    return {
      done,
      close: () => {
        closed = true;
        req.destroy();
      },
    };
  }

  getInfo() {
    return this.call<{
      identity_pubkey: string;
      alias: string;
      block_height: number;
      block_hash: string;
      chains?: { network: string }[];
    }>('GET', '/v1/getinfo');
  }

  /** Spendable channel balance, msat. */
  async channelBalanceMsat(): Promise<bigint> {
    const r = await this.call<{ local_balance?: { msat?: string } }>('GET', '/v1/balance/channels');
    return BigInt(r.local_balance?.msat ?? '0');
  }

  async addInvoice(o: { valueMsat: bigint; memo?: string; descriptionHash?: string; expiry?: number }) {
    const body: Record<string, unknown> = {
      value_msat: o.valueMsat.toString(),
      expiry: String(o.expiry ?? 3600),
    };
    if (o.descriptionHash) body.description_hash = hexToB64(o.descriptionHash);
    else body.memo = o.memo ?? '';
    const r = await this.call<{ r_hash: string; payment_request: string }>('POST', '/v1/invoices', body);
    return { paymentHash: b64ToHex(r.r_hash), paymentRequest: r.payment_request };
  }

  async addHoldInvoice(o: {
    hash: string;
    valueMsat: bigint;
    memo?: string;
    descriptionHash?: string;
    expiry?: number;
  }) {
    const body: Record<string, unknown> = {
      hash: hexToB64(o.hash),
      value_msat: o.valueMsat.toString(),
      expiry: String(o.expiry ?? 3600),
    };
    if (o.descriptionHash) body.description_hash = hexToB64(o.descriptionHash);
    else body.memo = o.memo ?? '';
    const r = await this.call<{ payment_request: string }>('POST', '/v2/invoices/hodl', body);
    return { paymentHash: o.hash, paymentRequest: r.payment_request };
  }

  settleInvoice(preimageHex: string) {
    return this.call('POST', '/v2/invoices/settle', { preimage: hexToB64(preimageHex) });
  }

  cancelInvoice(hashHex: string) {
    return this.call('POST', '/v2/invoices/cancel', { payment_hash: hexToB64(hashHex) });
  }

  lookupInvoice(hashHex: string) {
    return this.call<LndInvoice>('GET', `/v1/invoice/${hashHex}`);
  }

  decodePayReq(bolt11: string) {
    return this.call<{
      payment_hash: string;
      num_msat: string;
      timestamp: string;
      expiry: string;
      description: string;
    }>('GET', `/v1/payreq/${bolt11}`);
  }

  /** Pays and resolves the final payment (SUCCEEDED or FAILED); rejects on lnd's refusals. */
  async payInvoice(
    bolt11: string,
    o: { timeoutSeconds?: number; feeLimitSat?: number; amountMsat?: bigint } = {},
  ) {
    const timeoutSeconds = o.timeoutSeconds ?? 30;
    let final: LndPayment | undefined;
    const body: Record<string, unknown> = {
      payment_request: bolt11,
      timeout_seconds: timeoutSeconds,
      fee_limit_sat: String(o.feeLimitSat ?? 100),
      no_inflight_updates: true,
    };
    if (o.amountMsat !== undefined) body.amt_msat = o.amountMsat.toString();
    await this.stream(
      'POST',
      '/v2/router/send',
      body,
      (r) => {
        const p = r as unknown as LndPayment;
        if (p.status === 'SUCCEEDED' || p.status === 'FAILED') {
          final = p;
          return true;
        }
        return false;
      },
      (timeoutSeconds + 30) * 1000,
    ).done;
    if (!final) throw new LndError('/v2/router/send: stream ended without a final status', 0);
    return final;
  }

  /** Every invoice update (adds and settlements) from now on. */
  subscribeInvoices(onInvoice: (inv: LndInvoice) => void) {
    return this.stream('GET', '/v1/invoices/subscribe', undefined, (r) => {
      onInvoice(r as unknown as LndInvoice);
      return false;
    });
  }

  /** Updates of one invoice (the only stream that reports ACCEPTED, for hold invoices). */
  subscribeInvoice(hashHex: string, onInvoice: (inv: LndInvoice) => boolean | undefined) {
    return this.stream('GET', `/v2/invoices/subscribe/${hexToB64Url(hashHex)}`, undefined, (r) =>
      onInvoice(r as unknown as LndInvoice),
    );
  }
}

/** The LNbits of the regtest network (on bob's lnd); throws when the network has none. */
export function lnbitsOf(env: RegtestEnv): { url: string; invoiceKey: string; adminKey: string } {
  const { LNBITS_URL: url, LNBITS_INVOICE_KEY: invoiceKey, LNBITS_ADMIN_KEY: adminKey } = env;
  if (!url || !invoiceKey || !adminKey)
    throw new Error('the regtest network has no LNbits (brought up with --no-lnbits?)');
  return { url, invoiceKey, adminKey };
}

/** An lnd REST caller for 'alice' or 'bob' of the regtest network. */
export function lndOf(env: RegtestEnv, who: 'alice' | 'bob'): LndRestMini {
  const P = who.toUpperCase();
  return new LndRestMini({
    rest: env[`${P}_REST`]!,
    macaroonPath: env[`${P}_MACAROON`]!,
    certPath: env[`${P}_CERT`]!,
  });
}
