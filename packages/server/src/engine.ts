/**
 * The paywall engine: for each request, "serve it" or "402: pay this invoice". Web
 * Standards `Request`/`Response` only; adapters translate its {@link Decision}.
 *
 * Order of checks for a matched paid route: CORS preflight → IP rate limit → body read
 * (size cap) → validation (400, nothing charged) → credential: none → free tier or 402;
 * malformed or invalid → 401 + fresh challenge; valid → revocation → token rate limit →
 * reserve a use (409 while in use, 402 when used up) → handler → commit on success,
 * release on 5xx or throw.
 *
 * @module
 */
import {
  CAVEAT_REQUEST,
  canonicalJson,
  type ErrorCode,
  ErrorCodes,
  FareboxError,
  fromBase64,
  fromHex,
  fromUtf8,
  isHex,
  Keyring,
  macaroonToBase64,
  mintToken,
  parseCredential,
  requestBinding,
  sha256,
  type VerifiedToken,
  verifyToken,
} from '@farebox/core';
import type { CreatedInvoice, InvoiceIssuer } from '@farebox/lightning';
import { readLimited } from './body.js';
import { clientIp, ipBucket } from './client-ip.js';
import { corsHeaders, preflight } from './cors.js';
import { llmsTxt, openApiDocument, servicesDocument } from './discovery.js';
import { renderPaymentPage } from './page.js';
import { type Challenge, challengeResponse, jsonResponse, refusal, refusalCode } from './responses.js';
import { type CompiledRoute, compileRoute, findRoute } from './routes.js';
import { MemoryStore } from './store/memory.js';
import type { UsageStore } from './store/types.js';
import type { Decision, PaywallOptions, Receipt, RequestContext, RouteConfig } from './types.js';
import { sendWebhook } from './webhook.js';

const DEFAULT_VALID_SECONDS = 24 * 3600;
const CREDITS_VALID_SECONDS = 30 * 24 * 3600;
/** How long the uses of a payment proven by its bare hash are remembered. */
const HASH_USES_TTL_SECONDS = 30 * 86_400;
const RESERVATION_SECONDS = 900;
const CAVEAT_AMOUNT = 'farebox_amount_msat';
/** Verified credentials kept (see `Paywall.#verified`). */
const VERIFIED_CACHE_MAX = 1024;

const BACKEND_DOWN = new Set<string>([
  ErrorCodes.LN_UNREACHABLE,
  ErrorCodes.LN_TIMEOUT,
  ErrorCodes.LN_BAD_RESPONSE,
  ErrorCodes.LN_UNAUTHORIZED,
]);

function toKeyring(secret: PaywallOptions['secret']): Keyring {
  if (secret instanceof Keyring) return secret;
  if (secret instanceof Uint8Array) return Keyring.fromSecret(secret);
  if (typeof secret === 'string') {
    const bytes = isHex(secret) ? fromHex(secret, 'secret') : fromBase64(secret, 'secret');
    return Keyring.fromSecret(bytes);
  }
  return new Keyring(secret);
}

function msatOf(p: number | { msat: bigint | number }): bigint {
  if (typeof p === 'number') {
    if (!Number.isFinite(p) || p < 0)
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, 'price must be ≥ 0 sats');
    return BigInt(Math.round(p * 1000));
  }
  return BigInt(p.msat);
}

interface Prepared {
  request: Request;
  bodyBytes: Uint8Array<ArrayBuffer>;
  body: unknown;
}

/**
 * The paywall. Build one per app and hand it to an adapter, or call {@link Paywall.handle}.
 *
 * @example
 * ```ts
 * import { Paywall } from '@farebox/server';
 * import { DevNode } from '@farebox/lightning';
 * const paywall = new Paywall({
 *   secret: crypto.getRandomValues(new Uint8Array(32)),
 *   lightning: new DevNode(),
 *   routes: [{ method: 'GET', path: '/joke', price: 21 }],
 * });
 * const res = await paywall.handle(new Request('http://localhost/joke'), async () => new Response('ha'));
 * ```
 */
export class Paywall {
  readonly keyring: Keyring;
  readonly store: UsageStore;
  readonly lightning: InvoiceIssuer;
  readonly routes: readonly CompiledRoute[];
  readonly options: PaywallOptions;
  readonly #now: () => number;
  /**
   * Credentials that verified, by `service \n Authorization header`: a repeated pass token
   * skips the HMAC chain. Successes only, bounded (oldest out first), never for tokens bound
   * to a request; on a hit the expiry (`grant.validUntil`) is checked against now again
   * (expired: dropped and verified afresh, which refuses it) and revocation is checked by
   * the store as for any token. Valid for this paywall's keyring and options, which never
   * change (a reload builds a new paywall).
   */
  readonly #verified = new Map<string, VerifiedToken>();

  constructor(opts: PaywallOptions) {
    if (!opts || typeof opts !== 'object')
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, 'options are required');
    if (!opts.lightning || typeof opts.lightning.createInvoice !== 'function') {
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"lightning" must be an invoice issuer', {
        data: { parameter: 'lightning' },
      });
    }
    if (!Array.isArray(opts.routes))
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"routes" must be an array', {
        data: { parameter: 'routes' },
      });
    for (const [k, max] of [
      ['ipv4', 32],
      ['ipv6', 128],
    ] as const) {
      const v = opts.ipBuckets?.[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= max))
        throw new FareboxError(
          ErrorCodes.INVALID_ARGUMENT,
          `"ipBuckets.${k}" must be a whole number 0–${max}`,
          {
            data: { parameter: `ipBuckets.${k}` },
          },
        );
    }
    this.options = opts;
    this.keyring = toKeyring(opts.secret);
    this.store = opts.store ?? new MemoryStore();
    this.lightning = opts.lightning;
    this.routes = opts.routes.map(compileRoute);
    this.#now = opts.now ?? (() => Date.now());
    if (opts.paymentPage !== false) {
      this.pageRenderer = (p) =>
        renderPaymentPage({ ...p, devPay: opts.devWallet !== undefined, basePath: opts.wellKnownBase });
    }
  }

  /** Finds the route of a request (for adapters and discovery). */
  match(req: Request): { route: CompiledRoute; params: Record<string, string> } | undefined {
    const u = new URL(req.url);
    return findRoute(this.routes, req.method, u.pathname, u.host);
  }

  /**
   * Runs the paywall around `handler`: the one call most adapters need. A handler that
   * throws is answered with 500 and its reserved use is released.
   */
  async handle(
    req: Request,
    handler: (
      req: Request,
      info: { receipt?: Receipt; token?: VerifiedToken; free?: boolean },
    ) => Response | Promise<Response>,
    ctx: RequestContext = {},
  ): Promise<Response> {
    const d = await this.decide(req, ctx);
    if (d.type === 'respond') return d.response;
    let res: Response;
    try {
      res = await handler(
        d.request,
        d.type === 'paid' ? { receipt: d.receipt, token: d.token } : { free: d.free ?? false },
      );
    } catch (e) {
      await d.settle(500);
      throw e;
    }
    await d.settle(res.status);
    return this.#withCors(req, res);
  }

  #withCors(req: Request, res: Response): Response {
    const h = corsHeaders(this.options.cors, req);
    if (!h) return res;
    const out = new Response(res.body, res);
    for (const [k, v] of Object.entries(h)) out.headers.set(k, v);
    return out;
  }

  #respond(req: Request, response: Response): Decision {
    return { type: 'respond', response: this.#withCors(req, response) };
  }

  /** Decides about one request. Adapters switch on `type`; see {@link Decision}. */
  async decide(req: Request, ctx: RequestContext = {}): Promise<Decision> {
    const opts = this.options;
    if (req.method === 'OPTIONS' && req.headers.has('access-control-request-method')) {
      const res = preflight(opts.cors, req);
      if (res) return { type: 'respond', response: res };
    }
    const url = new URL(req.url);
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'POST') {
      const wk = await this.#wellKnown(req, url);
      if (wk) return this.#respond(req, wk);
    }
    const found = findRoute(this.routes, req.method, url.pathname, url.host);
    const noop = async () => {};
    if (!found) return { type: 'pass', request: req, settle: noop };
    const { route, params } = found;
    const cfg = route.config;
    if (cfg.free || cfg.price === 0) return this.#pass(req, route, false);

    const ip = clientIp(req, ctx.ip, opts.trustProxy ?? false);
    const perIp = cfg.rateLimit?.perIp ?? opts.rateLimit?.perIp;
    if (perIp) {
      const limited = await this.#rateLimit(`rl:ip:${route.service}:${ipBucket(ip, opts.ipBuckets)}`, perIp);
      if (limited) return this.#refuse(req, route, limited);
    }

    let prepared: Prepared;
    try {
      prepared = await this.#prepare(req, cfg.maxBodyBytes ?? opts.maxBodyBytes ?? 1024 * 1024, cfg);
    } catch (e) {
      if (e instanceof FareboxError && e.code === ErrorCodes.TOO_LARGE) {
        return this.#refuse(req, route, refusal(413, e.code, e.message));
      }
      return this.#refuse(
        req,
        route,
        refusal(400, ErrorCodes.INVALID_REQUEST, 'the request body could not be read'),
      );
    }

    if (cfg.validate) {
      const errors = await cfg.validate(prepared.body, prepared.request.clone());
      if (errors && Object.keys(errors).length > 0) {
        return this.#refuse(
          req,
          route,
          refusal(400, ErrorCodes.INVALID_REQUEST, 'the request is invalid; nothing was charged', {
            data: { fields: errors },
          }),
        );
      }
    }

    const auth = req.headers.get('authorization');
    let cred: ReturnType<typeof parseCredential>;
    try {
      cred = auth ? parseCredential(auth) : undefined;
    } catch (e) {
      return this.#challenge(req, route, params, prepared, 401, codeOf(e), messageOf(e));
    }

    const bodyHash = !cred && opts.acceptPaymentHash ? bodyPaymentHash(prepared.body) : undefined;
    if (cred?.kind === 'payment-hash' || bodyHash) {
      if (!opts.acceptPaymentHash) {
        return this.#challenge(
          req,
          route,
          params,
          prepared,
          401,
          ErrorCodes.PAYMENT_HASH_NOT_ACCEPTED,
          'send an L402 token (macaroon:preimage), not a bare payment hash',
        );
      }
      return this.#byPaymentHash(
        req,
        route,
        params,
        prepared,
        cred?.kind === 'payment-hash' ? cred.paymentHash : bodyHash!,
      );
    }

    if (!cred) {
      if (cfg.freePerDay && cfg.freePerDay > 0) {
        const day = Math.floor(this.#now() / 86_400_000);
        const bucket = ipBucket(ip, opts.ipBuckets);
        const { value } = await this.store.increment(`free:${route.key}:${bucket}:${day}`, 86_400);
        if (value <= cfg.freePerDay) return this.#pass(prepared.request, route, true);
      }
      return this.#challenge(
        req,
        route,
        params,
        prepared,
        402,
        ErrorCodes.PAYMENT_REQUIRED,
        'payment required',
      );
    }

    // A token: verify offline (no backend call), then count the use.
    let token: VerifiedToken;
    try {
      const mac = cred.macaroons[0]!;
      const needsBinding = mac.caveats.some((c) => startsWithAscii(c.id, `${CAVEAT_REQUEST}=`));
      const context: Parameters<typeof verifyToken>[0]['context'] = {
        service: route.service,
        now: Math.floor(this.#now() / 1000),
      };
      if (needsBinding) context.requestHash = this.#binding(route, prepared);
      if (opts.strictCaveats) context.strict = true;
      const cacheKey = needsBinding ? undefined : `${route.service}\n${auth}`;
      const hit = cacheKey === undefined ? undefined : this.#verified.get(cacheKey);
      const until = hit?.grant.validUntil;
      if (hit && (until === undefined || context.now < until)) {
        token = { ...hit, caveats: [...hit.caveats], grant: { ...hit.grant } };
      } else {
        if (hit) this.#verified.delete(cacheKey!);
        token = verifyToken({
          keyring: this.keyring,
          macaroon: mac,
          preimage: cred.preimage,
          context,
          satisfiers: [{ condition: CAVEAT_AMOUNT, final: (c) => /^\d{1,18}$/.test(c.value) }],
        });
        if (cacheKey !== undefined) {
          const cache = this.#verified;
          if (cache.size >= VERIFIED_CACHE_MAX) cache.delete(cache.keys().next().value as string);
          cache.set(cacheKey, { ...token, caveats: [...token.caveats], grant: { ...token.grant } });
        }
      }
      if (await this.store.isRevoked(token.tokenId))
        throw new FareboxError(ErrorCodes.REVOKED, 'token was revoked');
    } catch (e) {
      return this.#challenge(req, route, params, prepared, 401, codeOf(e), messageOf(e));
    }

    const perToken = cfg.rateLimit?.perToken ?? opts.rateLimit?.perToken;
    if (perToken) {
      const limited = await this.#rateLimit(`rl:tok:${token.tokenId}`, perToken);
      if (limited) return this.#refuse(req, route, limited);
    }

    const nowS = Math.floor(this.#now() / 1000);
    const ttl = Math.max(60, (token.grant.validUntil ?? nowS + CREDITS_VALID_SECONDS) - nowS + 3600);
    // Tokens with a use limit reserve a use before the handler runs. Unlimited ones (passes)
    // need no reservation: their uses are counted with one write once served.
    const limited = token.grant.maxUses !== undefined;
    // With bare payment hashes accepted, one payment has two proofs (the token and its
    // hash): both count their uses under the hash, so a payment never buys more than it paid for.
    const useKey = opts.acceptPaymentHash ? `hash:${token.paymentHash}` : token.tokenId;
    const r = limited
      ? await this.store.reserve(useKey, {
          maxUses: token.grant.maxUses!,
          ttlSeconds: opts.acceptPaymentHash ? Math.max(ttl, HASH_USES_TTL_SECONDS) : ttl,
          reservationSeconds: RESERVATION_SECONDS,
        })
      : ({ ok: true, used: 0, inFlight: 0 } as const);
    if (!r.ok) {
      if (r.reason === 'in-use') {
        return this.#refuse(
          req,
          route,
          refusal(
            409,
            ErrorCodes.TOKEN_IN_USE,
            'this token is being used by another request; retry shortly',
            {
              headers: { 'retry-after': '1' },
            },
          ),
        );
      }
      return this.#challenge(
        req,
        route,
        params,
        prepared,
        402,
        ErrorCodes.TOKEN_USED,
        'this token has been used up; pay again',
      );
    }

    const amount = token.caveats.find((c) => c.condition === CAVEAT_AMOUNT)?.value;
    const receipt: Receipt = {
      tokenId: token.tokenId,
      paymentHash: token.paymentHash,
      amountMsat: amount ? BigInt(amount) : 0n,
      route: route.key,
      service: route.service,
      time: nowS,
    };
    this.#emit('paid', { route: route.key, receipt });
    let settled = false;
    return {
      type: 'paid',
      request: prepared.request,
      route: route.key,
      service: route.service,
      token,
      receipt,
      settle: async (status: number) => {
        if (settled) return;
        settled = true;
        if (status >= 500) {
          if (limited) await this.store.release(useKey);
          return;
        }
        if (limited) {
          await this.store.commit(useKey);
          receipt.use = r.used + 1;
        } else {
          receipt.use = (await this.store.increment(`uses:${token.tokenId}`, ttl)).value;
        }
        this.#emit('served', { route: route.key, receipt, status });
      },
    };
  }

  #pass(req: Request, route: CompiledRoute, free: boolean): Decision {
    return {
      type: 'pass',
      request: req,
      route: route.key,
      service: route.service,
      free,
      settle: async (status: number) => {
        if (status < 500) this.#emit('served', { route: route.key, status, free: true });
      },
    };
  }

  #refuse(req: Request, route: CompiledRoute, res: Response): Decision {
    this.#emit('refused', {
      route: route.key,
      code: refusalCode(res) ?? String(res.status),
      status: res.status,
    });
    return this.#respond(req, res);
  }

  async #rateLimit(
    key: string,
    limit: { limit: number; windowSeconds: number },
  ): Promise<Response | undefined> {
    const { value, resetAt } = await this.store.increment(key, limit.windowSeconds);
    if (value <= limit.limit) return undefined;
    const retry = Math.max(1, Math.ceil((resetAt - this.#now()) / 1000));
    return refusal(429, ErrorCodes.RATE_LIMITED, 'too many requests', {
      headers: { 'retry-after': String(retry) },
    });
  }

  async #prepare(req: Request, max: number, route: RouteConfig): Promise<Prepared> {
    // Bodies are read only when something needs them (binding, validation, dynamic price,
    // payment-hash mode); otherwise they stream through untouched, in constant memory.
    const needsBody =
      (route.policy?.type ?? 'per-request') === 'per-request' ||
      route.validate !== undefined ||
      typeof route.price === 'function' ||
      this.options.acceptPaymentHash === true;
    if (req.method === 'GET' || req.method === 'HEAD' || !req.body || !needsBody) {
      return { request: req, bodyBytes: new Uint8Array(0), body: undefined };
    }
    const declared = Number(req.headers.get('content-length') ?? 0);
    if (declared > max) throw new FareboxError(ErrorCodes.TOO_LARGE, `request body larger than ${max} bytes`);
    const bytes = await readLimited(req.body, max);
    const request = new Request(req, { body: bytes });
    let body: unknown;
    const type = req.headers.get('content-type') ?? '';
    if (type.includes('json')) {
      try {
        body = JSON.parse(fromUtf8(bytes));
      } catch {
        body = undefined;
      }
    }
    return { request, bodyBytes: bytes, body };
  }

  #binding(route: CompiledRoute, p: Prepared): string {
    const url = new URL(p.request.url);
    const asJson = route.config.bindJson ?? (p.request.headers.get('content-type') ?? '').includes('json');
    let body = p.body;
    if (
      this.options.acceptPaymentHash &&
      body &&
      typeof body === 'object' &&
      !Array.isArray(body) &&
      'payment_hash' in body
    ) {
      // The seed's simple clients repeat the request with `payment_hash` added to the JSON body.
      const { payment_hash: _proof, ...rest } = body as Record<string, unknown>;
      body = rest;
    }
    const bodyHash =
      asJson && body !== undefined
        ? sha256(new TextEncoder().encode(canonicalJson(body)))
        : sha256(p.bodyBytes);
    return requestBinding({ method: p.request.method, path: url.pathname, query: url.search, bodyHash });
  }

  async #challenge(
    req: Request,
    route: CompiledRoute,
    params: Record<string, string>,
    p: Prepared,
    status: 401 | 402,
    code: string,
    message: string,
  ): Promise<Decision> {
    const cfg = route.config;
    let amountMsat: bigint;
    try {
      const price =
        typeof cfg.price === 'function'
          ? await cfg.price(p.request.clone(), { params, body: p.body })
          : (cfg.price ?? 0);
      amountMsat = msatOf(price);
    } catch (e) {
      return this.#refuse(
        req,
        route,
        refusal(400, ErrorCodes.INVALID_REQUEST, `no price for this request: ${messageOf(e)}`),
      );
    }
    if (amountMsat <= 0n) return this.#pass(p.request, route, true);
    const expiry = this.options.invoiceExpirySeconds ?? 600;
    const description = cfg.description ?? `${route.service}: ${route.key}`;
    let invoice: CreatedInvoice;
    try {
      invoice = await this.lightning.createInvoice({
        amountMsat,
        memo: description.slice(0, 200),
        expirySeconds: expiry,
      });
    } catch (e) {
      const c = codeOf(e);
      if (BACKEND_DOWN.has(c)) {
        return this.#refuse(
          req,
          route,
          refusal(
            503,
            ErrorCodes.BACKEND_UNAVAILABLE,
            'the Lightning backend is unavailable; try again shortly',
            {
              headers: { 'retry-after': '5' },
            },
          ),
        );
      }
      return this.#refuse(
        req,
        route,
        refusal(503, ErrorCodes.BACKEND_UNAVAILABLE, 'could not create an invoice', {
          headers: { 'retry-after': '5' },
        }),
      );
    }
    const nowS = Math.floor(this.#now() / 1000);
    const policy = cfg.policy ?? { type: 'per-request' };
    const validSeconds =
      policy.validSeconds ?? (policy.type === 'credits' ? CREDITS_VALID_SECONDS : DEFAULT_VALID_SECONDS);
    const caveats = [`services=${route.service}:0`];
    if (cfg.capabilities?.length) caveats.push(`${route.service}_capabilities=${cfg.capabilities.join(',')}`);
    caveats.push(`${route.service}_valid_until=${nowS + validSeconds}`);
    caveats.push(`${CAVEAT_AMOUNT}=${amountMsat}`);
    if (policy.type === 'per-request') {
      caveats.push('farebox_uses=1');
      caveats.push(`${CAVEAT_REQUEST}=${this.#binding(route, p)}`);
    } else if (policy.type === 'credits') {
      caveats.push(`farebox_uses=${policy.uses}`);
    }
    const minted = mintToken({
      keyring: this.keyring,
      paymentHash: invoice.paymentHash,
      caveats,
      location: this.options.location ?? 'farebox',
    });
    const macaroon = macaroonToBase64(minted.macaroon);
    const tokenId = [...minted.tokenId].map((b) => b.toString(16).padStart(2, '0')).join('');
    if (this.options.acceptPaymentHash) {
      await this.store.put(
        `invoice:${invoice.paymentHash}`,
        JSON.stringify({
          route: route.key,
          binding: this.#binding(route, p),
          amountMsat: amountMsat.toString(),
        }),
        validSeconds,
      );
    }
    this.#emit('challenge', { route: route.key, paymentHash: invoice.paymentHash, amountMsat, tokenId });
    const challenge: Challenge = {
      macaroon,
      invoice: invoice.paymentRequest,
      paymentHash: invoice.paymentHash,
      amountMsat,
      expiresAt: invoice.expiresAt,
      description,
    };
    // A refusal, with a fresh challenge: 401s, and 402s other than the first challenge
    // (a used-up or replayed token).
    if (status === 401 || code !== ErrorCodes.PAYMENT_REQUIRED)
      this.#emit('refused', { route: route.key, code, status });
    const wantsHtml =
      (req.headers.get('accept') ?? '').includes('text/html') && this.options.paymentPage !== false;
    if (wantsHtml && this.pageRenderer) {
      await this.store.put(`page:${invoice.paymentHash}`, '1', expiry + 3600);
      return this.#respond(
        req,
        await this.pageRenderer({ req, challenge, status, code, notice: this.options.notice }),
      );
    }
    const extra: Record<string, string> = this.options.devWallet
      ? { 'x-farebox-dev-wallet': `${this.options.wellKnownBase ?? '/.well-known/l402'}/dev-pay` }
      : {};
    return this.#respond(req, challengeResponse(status, code, message, challenge, extra));
  }

  /** Renders the browser payment page (set by the page module; see `paymentPage`). */
  pageRenderer?: (p: {
    req: Request;
    challenge: Challenge;
    status: number;
    code: string;
    notice?: string | undefined;
  }) => Response | Promise<Response>;

  async #byPaymentHash(
    req: Request,
    route: CompiledRoute,
    params: Record<string, string>,
    p: Prepared,
    hash: string,
  ): Promise<Decision> {
    const saved = await this.store.get(`invoice:${hash}`);
    if (!saved) {
      return this.#challenge(
        req,
        route,
        params,
        p,
        401,
        ErrorCodes.UNKNOWN_INVOICE,
        'this payment hash names no invoice of this server',
      );
    }
    const info = JSON.parse(saved) as { route: string; binding: string; amountMsat: string };
    if (info.route !== route.key || info.binding !== this.#binding(route, p)) {
      return this.#challenge(
        req,
        route,
        params,
        p,
        401,
        ErrorCodes.REQUEST_MISMATCH,
        'the invoice was issued for another request',
      );
    }
    let state: string;
    try {
      state = (await this.lightning.lookupInvoice(hash)).state;
    } catch (e) {
      if (BACKEND_DOWN.has(codeOf(e))) {
        return this.#refuse(
          req,
          route,
          refusal(503, ErrorCodes.BACKEND_UNAVAILABLE, 'the Lightning backend is unavailable', {
            headers: { 'retry-after': '5' },
          }),
        );
      }
      return this.#challenge(req, route, params, p, 401, ErrorCodes.UNKNOWN_INVOICE, 'invoice not found');
    }
    if (state !== 'settled') {
      return this.#respond(req, refusal(402, ErrorCodes.NOT_PAID, `the invoice is ${state}, not paid`));
    }
    // Each hash is served once: reserve like a single-use token keyed by the hash.
    const r = await this.store.reserve(`hash:${hash}`, {
      maxUses: 1,
      ttlSeconds: HASH_USES_TTL_SECONDS,
      reservationSeconds: RESERVATION_SECONDS,
    });
    if (!r.ok) {
      if (r.reason === 'in-use') {
        return this.#refuse(
          req,
          route,
          refusal(409, ErrorCodes.TOKEN_IN_USE, 'this payment is being used by another request', {
            headers: { 'retry-after': '1' },
          }),
        );
      }
      return this.#challenge(
        req,
        route,
        params,
        p,
        402,
        ErrorCodes.TOKEN_USED,
        'this payment was already used; pay again',
      );
    }
    const receipt: Receipt = {
      tokenId: `hash:${hash}`,
      paymentHash: hash,
      amountMsat: BigInt(info.amountMsat),
      route: route.key,
      service: route.service,
      time: Math.floor(this.#now() / 1000),
    };
    this.#emit('paid', { route: route.key, receipt });
    let settled = false;
    const token: VerifiedToken = {
      tokenId: `hash:${hash}`,
      paymentHash: hash,
      caveats: [],
      grant: { maxUses: 1 },
    };
    return {
      type: 'paid',
      request: p.request,
      route: route.key,
      token,
      receipt,
      settle: async (status) => {
        if (settled) return;
        settled = true;
        if (status >= 500) await this.store.release(`hash:${hash}`);
        else {
          await this.store.commit(`hash:${hash}`);
          receipt.use = 1;
          this.#emit('served', { route: route.key, receipt, status });
        }
      },
    };
  }

  #emit<K extends keyof NonNullable<PaywallOptions['events']>>(
    name: K,
    e: Parameters<NonNullable<NonNullable<PaywallOptions['events']>[K]>>[0],
  ): void {
    try {
      (this.options.events?.[name] as ((x: typeof e) => void) | undefined)?.(e);
    } catch {
      // An observer's failure never changes the answer.
    }
    const wh = this.options.webhook;
    if (wh && (!wh.events || wh.events.includes(name))) {
      void sendWebhook(wh, name, e, this.#now()).catch(() => {});
    }
  }

  /** farebox's own endpoints: discovery, invoice status for the payment page, the dev wallet. */
  async #wellKnown(req: Request, url: URL): Promise<Response | undefined> {
    const path = url.pathname;
    const o = this.options;
    const wkBase = o.wellKnownBase ?? '/.well-known/l402';
    if (o.discovery !== false && req.method !== 'POST') {
      const d = { ...(o.discovery || {}) };
      if (o.network && !d.network) d.network = o.network;
      if (o.notice && !d.notice) d.notice = o.notice;
      const base = url.origin;
      if (path === '/.well-known/l402-services')
        return jsonResponse(200, servicesDocument(this.routes, d, base), {
          'cache-control': 'public, max-age=60',
        });
      if (path === '/llms.txt') {
        return new Response(llmsTxt(this.routes, d, base), {
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
      }
      if (path === '/openapi.json')
        return jsonResponse(200, openApiDocument(this.routes, d, base), {
          'cache-control': 'public, max-age=60',
        });
    }
    if (req.method === 'GET' && path.startsWith(`${wkBase}/invoices/`)) {
      const hash = path.slice(wkBase.length + '/invoices/'.length);
      if (!isHex(hash, 32)) return refusal(400, ErrorCodes.INVALID_REQUEST, 'expected a payment hash');
      // The payment page polls this to learn the preimage once paid. The preimage alone grants
      // nothing: the macaroon, given only to the requester, is needed too.
      if (!(await this.store.get(`page:${hash}`)))
        return refusal(404, ErrorCodes.UNKNOWN_INVOICE, 'unknown invoice');
      try {
        const st = await this.lightning.lookupInvoice(hash);
        return jsonResponse(200, {
          state: st.state,
          preimage: st.state === 'settled' ? (st.preimage ?? null) : null,
        });
      } catch {
        return refusal(503, ErrorCodes.BACKEND_UNAVAILABLE, 'the Lightning backend is unavailable', {
          headers: { 'retry-after': '5' },
        });
      }
    }
    if (req.method === 'POST' && path === `${wkBase}/dev-pay` && o.devWallet) {
      const body = (await req.json().catch(() => ({}))) as { invoice?: unknown };
      if (typeof body.invoice !== 'string')
        return refusal(400, ErrorCodes.INVALID_REQUEST, 'expected {"invoice": "…"}');
      try {
        const paid = await o.devWallet.payInvoice(body.invoice);
        return jsonResponse(200, { preimage: paid.preimage, notice: 'dev node: no real money' });
      } catch (e) {
        return refusal(402, codeOf(e), messageOf(e));
      }
    }
    return undefined;
  }

  /** Revokes a token (by hex token id) until its validity would end anyway. */
  async revoke(tokenId: string, ttlSeconds = CREDITS_VALID_SECONDS): Promise<void> {
    await this.store.revoke(tokenId, ttlSeconds);
  }

  /** The route table as written (for discovery). */
  get routeConfigs(): readonly RouteConfig[] {
    return this.routes.map((r) => r.config);
  }
}

function bodyPaymentHash(body: unknown): string | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const h = (body as Record<string, unknown>).payment_hash;
    if (typeof h === 'string' && isHex(h, 32)) return h.toLowerCase();
  }
  return undefined;
}

function startsWithAscii(b: Uint8Array, prefix: string): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function codeOf(e: unknown): ErrorCode {
  return e instanceof FareboxError ? e.code : ErrorCodes.MALFORMED_HEADER;
}

function messageOf(e: unknown): string {
  return e instanceof FareboxError ? e.message : 'malformed credential';
}

export { jsonResponse };
