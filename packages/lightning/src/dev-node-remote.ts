/**
 * The dev node across processes: a Web Standards request handler that exposes a
 * {@link DevNode} over HTTP, and {@link DevNodeClient}, a backend that talks to it. So a
 * paying client in one process can pay a server's dev node in another (the demo), with a
 * bearer token so other local programs cannot spend the dev wallet.
 *
 * @module
 */
import {
  constantTimeEqual,
  type ErrorCode,
  ErrorCodes,
  FareboxError,
  fromHex,
  sha256,
  toHex,
  utf8,
} from '@farebox/core';
import type { DevNode } from './dev-node.js';
import { bigintJson, type FetchLike, lnError, requestJson } from './http.js';
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
} from './types.js';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body, bigintJson), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

function errorResponse(e: unknown): Response {
  if (e instanceof FareboxError) {
    const status =
      e.code === ErrorCodes.LN_NOT_FOUND ? 404 : e.code === ErrorCodes.INVALID_ARGUMENT ? 400 : 422;
    return json(status, { error: { code: e.code, message: e.message, data: e.data } });
  }
  return json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
}

function big(v: unknown, name: string): bigint {
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"${name}" must be an integer`, {
      data: { parameter: name },
    });
  }
  try {
    return BigInt(v);
  } catch {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"${name}" must be an integer`, {
      data: { parameter: name },
    });
  }
}

/**
 * A `fetch`-style handler serving a dev node: `GET /v1/info`, `POST /v1/invoices`,
 * `GET /v1/invoices/{hash}`, `GET /v1/invoices/{hash}/wait`, `POST /v1/pay`,
 * `GET /v1/payments/{hash}` (an outgoing payment), `GET /v1/balance`,
 * hold invoices under `/v1/hold/*`. Every call needs `Authorization: Bearer <token>`.
 *
 * @example
 * ```ts
 * import { DevNode, devNodeHandler } from '@farebox/lightning';
 * const handler = devNodeHandler(new DevNode(), { token: 'secret' });
 * const res = await handler(new Request('http://x/v1/info', { headers: { authorization: 'Bearer secret' } }));
 * ```
 */
export function devNodeHandler(node: DevNode, opts: { token: string }): (req: Request) => Promise<Response> {
  const expected = utf8(`Bearer ${opts.token}`);
  return async (req) => {
    const auth = utf8(req.headers.get('authorization') ?? '');
    if (!constantTimeEqual(auth, expected)) {
      return json(401, {
        error: { code: ErrorCodes.LN_UNAUTHORIZED, message: 'bad or missing dev node token' },
      });
    }
    const url = new URL(req.url);
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      const body =
        req.method === 'POST' ? ((await req.json().catch(() => ({}))) as Record<string, unknown>) : {};
      const route = `${req.method} /${parts.slice(0, 2).join('/')}`;
      if (route === 'GET /v1/info') return json(200, await node.getInfo());
      if (route === 'GET /v1/balance') return json(200, await node.getBalance());
      if (route === 'POST /v1/invoices') return json(200, await node.createInvoice(invoiceRequest(body)));
      if (route === 'GET /v1/invoices' && parts[2] && parts[3] === 'wait') {
        const timeoutMs = Math.min(Number(url.searchParams.get('timeoutMs') ?? 30_000), 300_000);
        return json(200, await node.waitForInvoice(parts[2], { timeoutMs, signal: req.signal }));
      }
      if (route === 'GET /v1/invoices' && parts[2]) return json(200, await node.lookupInvoice(parts[2]));
      if (route === 'POST /v1/pay') {
        const o: PayOptions = {};
        if (body.amountMsat !== undefined) o.amountMsat = big(body.amountMsat, 'amountMsat');
        if (body.maxFeeMsat !== undefined) o.maxFeeMsat = big(body.maxFeeMsat, 'maxFeeMsat');
        return json(200, await node.payInvoice(String(body.paymentRequest ?? ''), o));
      }
      if (route === 'GET /v1/payments' && parts[2] && parts.length === 3)
        return json(200, await node.lookupPayment(parts[2]));
      if (route === 'POST /v1/hold' && parts[2] === 'create') {
        return json(
          200,
          await node.createHoldInvoice({
            ...invoiceRequest(body),
            paymentHash: String(body.paymentHash ?? ''),
          }),
        );
      }
      if (route === 'POST /v1/hold' && parts[2] === 'settle') {
        await node.settleHoldInvoice(String(body.preimage ?? ''));
        return json(200, {});
      }
      if (route === 'POST /v1/hold' && parts[2] === 'cancel') {
        await node.cancelHoldInvoice(String(body.paymentHash ?? ''));
        return json(200, {});
      }
      return json(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
    } catch (e) {
      return errorResponse(e);
    }
  };
}

function invoiceRequest(body: Record<string, unknown>): CreateInvoiceRequest {
  const r: CreateInvoiceRequest = { amountMsat: big(body.amountMsat, 'amountMsat') };
  if (typeof body.memo === 'string') r.memo = body.memo;
  if (typeof body.descriptionHash === 'string') r.descriptionHash = body.descriptionHash;
  if (typeof body.expirySeconds === 'number') r.expirySeconds = body.expirySeconds;
  return r;
}

/** Options for {@link DevNodeClient}. */
export interface DevNodeClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:9737`. */
  url: string;
  token: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

type Wire<T> = {
  [K in keyof T]: T[K] extends bigint ? string : T[K] extends bigint | undefined ? string | undefined : T[K];
};

/**
 * A backend talking to a dev node in another process (connection `dev+http://host:port?token=…`).
 *
 * @example
 * ```ts
 * import { DevNodeClient } from '@farebox/lightning';
 * const wallet = new DevNodeClient({ url: 'http://127.0.0.1:9737', token: 'secret' });
 * // await wallet.payInvoice('lnbcrt…')
 * ```
 */
export class DevNodeClient implements InvoiceIssuer, HoldInvoiceIssuer, Payer {
  readonly backend = 'dev';
  readonly #o: DevNodeClientOptions;

  constructor(opts: DevNodeClientOptions) {
    this.#o = { ...opts, url: opts.url.replace(/\/$/, '') };
  }

  async #call<T>(
    method: string,
    path: string,
    body: unknown,
    opts: CallOptions = {},
    timeoutMs?: number,
  ): Promise<T> {
    const req: Parameters<typeof requestJson>[1] = {
      backend: 'dev',
      method,
      headers: { authorization: `Bearer ${this.#o.token}` },
      timeoutMs: opts.timeoutMs ?? timeoutMs ?? this.#o.timeoutMs ?? 15_000,
    };
    if (body !== undefined) req.body = body;
    if (opts.signal) req.signal = opts.signal;
    if (this.#o.fetch) req.fetch = this.#o.fetch;
    req.allowStatus = [400, 404, 422];
    const res = await requestJson<T & { error?: { code?: string; message?: string } }>(
      `${this.#o.url}${path}`,
      req,
    );
    if (res.status !== 200) {
      // Re-raise the dev node's own typed error (only codes farebox knows).
      const err = res.body.error ?? {};
      const known = (Object.values(ErrorCodes) as string[]).includes(err.code ?? '');
      throw lnError(
        known ? (err.code as ErrorCode) : ErrorCodes.LN_BAD_RESPONSE,
        'dev',
        (err.message ?? `HTTP ${res.status}`).replace(/^dev: /, ''),
      );
    }
    return res.body;
  }

  async getInfo(opts?: CallOptions): Promise<NodeInfo> {
    return this.#call('GET', '/v1/info', undefined, opts);
  }

  async createInvoice(req: CreateInvoiceRequest, opts?: CallOptions): Promise<CreatedInvoice> {
    const r = await this.#call<Wire<CreatedInvoice>>('POST', '/v1/invoices', req, opts);
    return { ...r, amountMsat: BigInt(r.amountMsat) };
  }

  async createHoldInvoice(
    req: CreateInvoiceRequest & { paymentHash: string },
    opts?: CallOptions,
  ): Promise<CreatedInvoice> {
    const r = await this.#call<Wire<CreatedInvoice>>('POST', '/v1/hold/create', req, opts);
    return { ...r, amountMsat: BigInt(r.amountMsat) };
  }

  async settleHoldInvoice(preimage: string, opts?: CallOptions): Promise<void> {
    await this.#call('POST', '/v1/hold/settle', { preimage }, opts);
  }

  async cancelHoldInvoice(paymentHash: string, opts?: CallOptions): Promise<void> {
    await this.#call('POST', '/v1/hold/cancel', { paymentHash }, opts);
  }

  async lookupInvoice(paymentHash: string, opts?: CallOptions): Promise<InvoiceStatus> {
    return status(
      await this.#call<Wire<InvoiceStatus>>(
        'GET',
        `/v1/invoices/${encodeURIComponent(paymentHash)}`,
        undefined,
        opts,
      ),
    );
  }

  async waitForInvoice(paymentHash: string, opts: CallOptions = {}): Promise<InvoiceStatus> {
    const ms = opts.timeoutMs ?? 60_000;
    const r = await this.#call<Wire<InvoiceStatus>>(
      'GET',
      `/v1/invoices/${encodeURIComponent(paymentHash)}/wait?timeoutMs=${ms}`,
      undefined,
      { ...opts, timeoutMs: ms + 5_000 },
    );
    return status(r);
  }

  async payInvoice(paymentRequest: string, opts: PayOptions = {}): Promise<PaymentResult> {
    const body: Record<string, unknown> = { paymentRequest };
    if (opts.amountMsat !== undefined) body.amountMsat = opts.amountMsat;
    if (opts.maxFeeMsat !== undefined) body.maxFeeMsat = opts.maxFeeMsat;
    const r = await this.#call<Wire<PaymentResult>>('POST', '/v1/pay', body, opts, 120_000);
    return { ...r, amountMsat: BigInt(r.amountMsat), feeMsat: BigInt(r.feeMsat) };
  }

  /** Where an outgoing payment of the dev node stands (`GET /v1/payments/{hash}`). */
  async lookupPayment(
    paymentHash: string,
    opts?: CallOptions,
  ): Promise<{ state: 'pending' | 'succeeded' | 'failed'; preimage?: string }> {
    const r = await this.#call<{ state?: unknown; preimage?: unknown }>(
      'GET',
      `/v1/payments/${encodeURIComponent(paymentHash)}`,
      undefined,
      opts,
    );
    if (r.state !== 'pending' && r.state !== 'succeeded' && r.state !== 'failed')
      throw lnError(ErrorCodes.LN_BAD_RESPONSE, 'dev', 'lookup payment: no state in the answer');
    if (r.state !== 'succeeded') return { state: r.state };
    if (
      typeof r.preimage !== 'string' ||
      !/^[0-9a-f]{64}$/.test(r.preimage) ||
      toHex(sha256(fromHex(r.preimage))) !== paymentHash.toLowerCase()
    )
      throw lnError(
        ErrorCodes.LN_BAD_RESPONSE,
        'dev',
        'lookup payment: succeeded without a preimage matching the hash',
      );
    return { state: 'succeeded', preimage: r.preimage };
  }

  async getBalance(opts?: CallOptions): Promise<{ balanceMsat: bigint }> {
    const r = await this.#call<{ balanceMsat: string }>('GET', '/v1/balance', undefined, opts);
    return { balanceMsat: BigInt(r.balanceMsat) };
  }
}

function status(r: Wire<InvoiceStatus>): InvoiceStatus {
  const s: InvoiceStatus = { ...(r as unknown as InvoiceStatus) };
  if (r.amountMsat !== undefined) s.amountMsat = BigInt(r.amountMsat);
  if (r.amountPaidMsat !== undefined) s.amountPaidMsat = BigInt(r.amountPaidMsat);
  return s;
}
