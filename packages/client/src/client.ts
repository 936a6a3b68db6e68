/**
 * The paying client: calls an API, and on a 402 checks the invoice against the budget,
 * pays through the wallet, and retries the identical request with the credential. Tokens
 * are cached and reused; a payment is recorded before it is made, so a crash between
 * paying and retrying never pays twice (the next call resumes with the paid token).
 *
 * @module
 */
import {
  buildCredential,
  decodeIdentifier,
  decodeInvoice,
  ErrorCodes,
  FareboxError,
  fromHex,
  parseMacaroon,
  sha256,
  toHex,
} from '@farebox/core';
import type { Network, Payer } from '@farebox/lightning';
import { Budget, type BudgetLimits, type BudgetRemaining, checkHost } from './budget.js';
import { type PaymentChallenge, readChallenge } from './challenge.js';
import {
  type ClientData,
  type ClientStore,
  MemoryClientStore,
  type PaymentReceipt,
  type PendingPayment,
  type StoredToken,
} from './store.js';

/** A `fetch`-compatible function. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A payment about to be made, for approval callbacks and dry runs. */
export interface Quote {
  url: string;
  method: string;
  host: string;
  amountMsat: bigint;
  amountSats: number;
  invoice: string;
  paymentHash: string;
  description?: string;
  network: Network;
  kind: PaymentChallenge['kind'];
}

/** Client options. */
export interface L402ClientOptions {
  /** The wallet that pays (any `@farebox/lightning` payer, a WebLN payer, …). */
  wallet: Payer;
  /** Spending limits and host lists. */
  budget?: BudgetLimits | Budget;
  /** Where tokens, payments in flight and receipts are kept (default: memory). */
  store?: ClientStore;
  /** The fetch to wrap (default: globalThis.fetch). */
  fetch?: FetchFn;
  /** Payments above this many sats need `approve` to say yes. */
  approveAboveSats?: number;
  approve?: (q: Quote) => boolean | Promise<boolean>;
  /** Only pay invoices of this network (default: the wallet's network when it says). */
  network?: Network;
  /** Most fee to pay per payment, sats (default: 1% + 10 sats). */
  maxFeeSats?: number;
  /** Called after each payment. */
  onPayment?: (r: PaymentReceipt) => void;
  /** Clock (ms). */
  now?: () => number;
}

/** The outcome of a dry run. */
export type DryRun = { paymentRequired: false; status: number } | { paymentRequired: true; quote: Quote };

const REQUEST_BOUND = ['farebox_request=', 'farebox_uses=1'];
/**
 * How long after its invoice expired a payment that was never seen to end is given up on,
 * for a wallet that cannot look payments up (an HTLC in flight at expiry may still settle).
 */
export const PENDING_GRACE_SECONDS = 3600;

/**
 * A client that pays L402 APIs by itself.
 *
 * @example
 * ```ts
 * import { L402Client } from '@farebox/client';
 * import { DevNode } from '@farebox/lightning';
 * const client = new L402Client({ wallet: new DevNode(), budget: { perRequestSats: 100, perDaySats: 1000 } });
 * const res = await client.fetch('http://127.0.0.1:8402/joke');
 * ```
 */
export class L402Client {
  readonly wallet: Payer;
  readonly budget: Budget;
  readonly #store: ClientStore;
  readonly #fetch: FetchFn;
  readonly #o: L402ClientOptions;
  #data: ClientData | undefined;
  #loading: Promise<ClientData> | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Payments this process is making right now, by payment hash. */
  readonly #paying = new Set<string>();
  /** Reusable-token payments in flight, by origin and service: parallel calls share one payment. */
  readonly #flights = new Map<string, Promise<StoredToken>>();
  /** `<origin> <path>` → the services its last challenge or served token named. */
  readonly #pathServices = new Map<string, string>();

  constructor(opts: L402ClientOptions) {
    if (!opts?.wallet || typeof opts.wallet.payInvoice !== 'function') {
      throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"wallet" must be a payer', {
        data: { parameter: 'wallet' },
      });
    }
    this.#o = opts;
    this.wallet = opts.wallet;
    this.budget = opts.budget instanceof Budget ? opts.budget : new Budget(opts.budget ?? {});
    this.#store = opts.store ?? new MemoryClientStore();
    this.#fetch = opts.fetch ?? ((i, init) => globalThis.fetch(i, init));
  }

  #nowS(): number {
    return Math.floor((this.#o.now?.() ?? Date.now()) / 1000);
  }

  async #load(): Promise<ClientData> {
    if (this.#data) return this.#data;
    this.#loading ??= this.#store.load().then((d) => {
      this.#data = d;
      return d;
    });
    return this.#loading;
  }

  /** Runs `fn` on the data and saves it, one mutation at a time. */
  async #mutate<T>(fn: (d: ClientData) => T): Promise<T> {
    const run = this.#chain.then(async () => {
      const d = await this.#load();
      const out = fn(d);
      await this.#store.save(d);
      return out;
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Payments made so far, and their totals. */
  async receipts(): Promise<{
    receipts: PaymentReceipt[];
    totalSats: number;
    feesSats: number;
    count: number;
  }> {
    const d = await this.#load();
    let total = 0n;
    let fees = 0n;
    for (const r of d.receipts) {
      total += BigInt(r.amountMsat);
      fees += BigInt(r.feeMsat);
    }
    return {
      receipts: [...d.receipts],
      totalSats: Number(total) / 1000,
      feesSats: Number(fees) / 1000,
      count: d.receipts.length,
    };
  }

  /** What is left of the budget. */
  async remaining(): Promise<BudgetRemaining> {
    return this.budget.remaining(this.#spentSoFar(await this.#load()), this.#nowS());
  }

  /** `fetch`, paying when asked to. Throws FareboxError (BUDGET_EXCEEDED, PAYMENT_FAILED, …). */
  fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const base = new Request(input, init);
    const body = base.body ? new Uint8Array(await base.arrayBuffer()) : undefined;
    const make = (auth?: string, bodyOverride?: Uint8Array) => {
      const headers = new Headers(base.headers);
      if (auth) headers.set('authorization', auth);
      const b = bodyOverride ?? body;
      return new Request(base.url, {
        method: base.method,
        headers,
        ...(b ? { body: b as Uint8Array<ArrayBuffer> } : {}),
        redirect: base.redirect,
        signal: base.signal,
      });
    };
    const url = new URL(base.url);
    const reqScope = `req:${base.method} ${url.href} ${toHex(sha256(body ?? new Uint8Array(0)))}`;
    const originScope = `origin:${url.origin}`;

    await this.#resume(reqScope, originScope);
    const pathKey = `${url.origin} ${url.pathname}`;
    const cached = await this.#cachedToken(reqScope, originScope, this.#pathServices.get(pathKey));
    let res = await this.#fetch(
      make(cached ? credentialOf(cached) : undefined, cached ? bodyWithHash(body, cached) : undefined),
    );
    if (res.status !== 402 && res.status !== 401) {
      if (cached && res.ok) this.#pathServices.set(pathKey, cached.services ?? '');
      return res;
    }
    const refusal = cached ? await errorCode(res.clone()) : undefined;
    const challenge = await readChallenge(res);
    if (!challenge) return res;
    const services = challenge.kind === 'token' ? servicesOf(challenge.macaroon) : '';
    this.#pathServices.set(pathKey, services);
    // A reusable token refused because it belongs to another service of this origin is kept
    // for that service; any other refusal (expired, used up, revoked, forged) drops it.
    if (cached && !(cached.scope === originScope && refusal && OTHER_SERVICE.has(refusal)))
      await this.#mutate((d) => {
        d.tokens = d.tokens.filter((t) => t !== cached && t.paymentHash !== cached.paymentHash);
      });
    // A token of this service may be at hand (paid earlier for another path of it, or by a
    // parallel call meanwhile): use it rather than pay.
    const reusable = challenge.kind === 'token' && !macaroonIsBound(challenge.macaroon);
    const fresh = reusable ? await this.#cachedToken(originScope, originScope, services) : undefined;
    const token =
      fresh && fresh !== cached
        ? fresh
        : await this.#pay(challenge, base.method, url, reqScope, originScope, services);
    res = await this.#fetch(make(credentialOf(token), bodyWithHash(body, token)));
    for (let i = 0; i < 3 && res.status === 409 && res.headers.get('retry-after'); i++) {
      await new Promise((r) =>
        setTimeout(r, Math.min(5, Number(res.headers.get('retry-after')) || 1) * 1000),
      );
      res = await this.#fetch(make(credentialOf(token), bodyWithHash(body, token)));
    }
    if (res.status === 401 || res.status === 402) {
      const detail = await errorCode(res);
      await this.#mutate((d) => {
        d.tokens = d.tokens.filter((t) => t.paymentHash !== token.paymentHash);
        const r = d.receipts.find((x) => x.paymentHash === token.paymentHash);
        if (r) r.status = 'rejected';
      });
      throw new FareboxError(
        ErrorCodes.PAID_BUT_REJECTED,
        `paid ${url.host} but the server refused the token (${res.status}${detail ? ` ${detail}` : ''}); the receipt is kept`,
        { data: { status: res.status, code: detail, paymentHash: token.paymentHash, host: url.host } },
      );
    }
    if (token.scope.startsWith('req:') && res.ok) {
      // A request-bound token is spent once served.
      await this.#mutate((d) => {
        d.tokens = d.tokens.filter((t) => t.paymentHash !== token.paymentHash);
      });
    }
    return res;
  };

  /** What a call would cost, without paying. */
  async quote(input: string | URL | Request, init?: RequestInit): Promise<DryRun> {
    const req = new Request(input, init);
    const res = await this.#fetch(req);
    if (res.status !== 402 && res.status !== 401) return { paymentRequired: false, status: res.status };
    const ch = await readChallenge(res);
    if (!ch) return { paymentRequired: false, status: res.status };
    return { paymentRequired: true, quote: this.#check(ch, req.method, new URL(req.url)) };
  }

  #check(ch: PaymentChallenge, method: string, url: URL): Quote {
    let inv: ReturnType<typeof decodeInvoice>;
    try {
      inv = decodeInvoice(ch.invoice);
    } catch (e) {
      throw new FareboxError(ErrorCodes.INVALID_CHALLENGE, 'the invoice in the challenge is invalid', {
        cause: e,
      });
    }
    if (inv.amountMsat === undefined)
      throw new FareboxError(ErrorCodes.INVALID_CHALLENGE, 'the invoice has no amount');
    if (inv.expiresAt <= this.#nowS())
      throw new FareboxError(ErrorCodes.INVALID_CHALLENGE, 'the invoice has expired');
    const network = this.#o.network ?? this.wallet.network;
    if (network && inv.network !== network) {
      throw new FareboxError(
        ErrorCodes.INVALID_CHALLENGE,
        `the invoice is for ${inv.network}, the wallet pays on ${network}`,
        {
          data: { invoiceNetwork: inv.network, walletNetwork: network },
        },
      );
    }
    if (ch.advertisedMsat !== undefined && ch.advertisedMsat !== inv.amountMsat) {
      throw new FareboxError(
        ErrorCodes.INVALID_CHALLENGE,
        'the invoice amount differs from the advertised price',
        {
          data: { advertisedMsat: ch.advertisedMsat.toString(), invoiceMsat: inv.amountMsat.toString() },
        },
      );
    }
    if (ch.kind === 'payment-hash' && ch.paymentHash !== inv.paymentHash) {
      throw new FareboxError(ErrorCodes.INVALID_CHALLENGE, 'the payment hash differs from the invoice');
    }
    if (ch.kind === 'token') {
      let id: ReturnType<typeof decodeIdentifier> | undefined;
      try {
        id = decodeIdentifier(parseMacaroon(ch.macaroon).identifier);
      } catch {
        id = undefined; // not an L402 identifier: cannot cross-check, the server decides
      }
      if (id && toHex(id.paymentHash) !== inv.paymentHash) {
        throw new FareboxError(
          ErrorCodes.INVALID_CHALLENGE,
          'the macaroon is for another invoice than the one to pay',
        );
      }
    }
    const q: Quote = {
      url: url.href,
      method,
      host: url.host,
      amountMsat: inv.amountMsat,
      amountSats: Number(inv.amountMsat) / 1000,
      invoice: ch.invoice,
      paymentHash: inv.paymentHash,
      network: inv.network,
      kind: ch.kind,
    };
    if (inv.description) q.description = inv.description;
    return q;
  }

  /**
   * The token to send: one paid for this exact request, else a reusable one of this origin —
   * of `services` when the path's service is known (the newest one otherwise).
   */
  async #cachedToken(
    reqScope: string,
    originScope: string,
    services?: string,
  ): Promise<StoredToken | undefined> {
    const d = await this.#load();
    const now = this.#nowS();
    const live = (t: StoredToken) => (t.expiresAt ?? Infinity) > now;
    const own = d.tokens.find((t) => t.scope === reqScope && live(t));
    if (own) return own;
    const reusable = d.tokens.filter((t) => t.scope === originScope && live(t));
    const fit = services === undefined ? reusable : reusable.filter((t) => (t.services ?? '') === services);
    return fit[fit.length - 1];
  }

  /**
   * Receipts, plus the payments recorded as started that this process is not making right
   * now (a process died or timed out while paying them): they may have gone through, so the
   * budget counts them until the wallet says they failed.
   */
  #spentSoFar(d: ClientData): PaymentReceipt[] {
    const unresolved = d.pending.filter(
      (p) => !this.#paying.has(p.paymentHash) && !d.receipts.some((r) => r.paymentHash === p.paymentHash),
    );
    if (unresolved.length === 0) return d.receipts;
    return [...d.receipts, ...unresolved.map(unknownReceipt)];
  }

  /**
   * Payments of this call's scopes recorded as started by a process that died (or one whose
   * wallet timed out): recover the preimage, never pay twice. The wallet is asked how each
   * ended (`lookupPayment`): succeeded → its token is used (succeeded with no preimage kept
   * by the wallet: an `unknown` receipt, counted as spent); failed → forgotten. Anything
   * else stops the call with PAYMENT_PENDING rather than pay again — except, for a wallet
   * that cannot look payments up, once the invoice has expired (plus a grace period): then
   * it is kept as an `unknown` receipt, counted as spent, and the call may pay anew.
   */
  async #resume(reqScope: string, originScope: string): Promise<void> {
    const d = await this.#load();
    const pending = d.pending.filter(
      (p) => (p.scope === reqScope || p.scope === originScope) && !this.#paying.has(p.paymentHash),
    );
    for (const p of pending) {
      let preimage: string | undefined;
      let state: 'pending' | 'succeeded' | 'failed' | 'unknown' = 'unknown';
      // A wallet without lookupPayment, or one that says it cannot (LN_UNSUPPORTED).
      let canLookUp = Boolean(this.wallet.lookupPayment);
      // Paid, but the wallet keeps no preimage: the token is lost; count it spent, move on.
      let spentWithoutPreimage = false;
      if (this.wallet.lookupPayment) {
        try {
          const st = await this.wallet.lookupPayment(p.paymentHash);
          state = st.state;
          if (
            st.state === 'succeeded' &&
            st.preimage &&
            /^[0-9a-f]{64}$/i.test(st.preimage) &&
            toHex(sha256(fromHex(st.preimage, 'preimage'))) === p.paymentHash
          )
            preimage = st.preimage.toLowerCase();
          else if (st.state === 'succeeded') spentWithoutPreimage = true;
        } catch (e) {
          state = 'unknown';
          if (e instanceof FareboxError && e.code === ErrorCodes.LN_UNSUPPORTED) canLookUp = false;
        }
      }
      if (preimage) {
        await this.#store_token(p, preimage, '0', 'GET', new URL(p.origin));
        continue;
      }
      if (state === 'failed') {
        await this.#mutate((x) => {
          x.pending = x.pending.filter((q) => q.paymentHash !== p.paymentHash);
        });
        continue;
      }
      if (spentWithoutPreimage || (!canLookUp && this.#expiredLongAgo(p.invoice))) {
        await this.#mutate((x) => {
          x.pending = x.pending.filter((q) => q.paymentHash !== p.paymentHash);
          if (!x.receipts.some((r) => r.paymentHash === p.paymentHash)) x.receipts.push(unknownReceipt(p));
        });
        continue;
      }
      const host = new URL(p.origin).host;
      throw new FareboxError(
        ErrorCodes.PAYMENT_PENDING,
        `a payment of ${Number(BigInt(p.amountMsat)) / 1000} sats to ${host} started earlier has not ` +
          (canLookUp
            ? 'finished (the wallet says it is in flight or cannot tell)'
            : 'been seen to finish, and this wallet cannot look payments up') +
          '; not paying again until it resolves',
        {
          data: {
            paymentHash: p.paymentHash,
            host,
            amountSats: Number(BigInt(p.amountMsat)) / 1000,
            walletCanLookUp: canLookUp,
          },
        },
      );
    }
  }

  /** True once an invoice's expiry is more than {@link PENDING_GRACE_SECONDS} past. */
  #expiredLongAgo(invoice: string): boolean {
    try {
      return decodeInvoice(invoice).expiresAt + PENDING_GRACE_SECONDS <= this.#nowS();
    } catch {
      return true; // not an invoice we could have paid
    }
  }

  async #store_token(
    p: PendingPayment,
    preimage: string,
    feeMsat: string,
    method: string,
    url: URL,
  ): Promise<StoredToken> {
    const token: StoredToken = {
      scope: p.scope,
      origin: p.origin,
      scheme: p.scheme,
      macaroon: p.kind === 'token' ? p.macaroon : '',
      preimage: p.kind === 'token' ? preimage : '',
      paymentHash: p.paymentHash,
      createdAt: this.#nowS(),
    };
    if (p.kind === 'token') {
      const services = servicesOf(p.macaroon);
      if (services) token.services = services;
    }
    let tokenId: string | undefined;
    if (p.kind === 'token') {
      try {
        const m = parseMacaroon(p.macaroon);
        tokenId = toHex(decodeIdentifier(m.identifier).tokenId);
        const until = m.caveats
          .map((c) => new TextDecoder().decode(c.id))
          .filter((c) => /_valid_until=\d+$/.test(c))
          .map((c) => Number(c.split('=')[1]));
        if (until.length) token.expiresAt = Math.min(...until);
      } catch {
        // keep the token without expiry
      }
    }
    const receipt: PaymentReceipt = {
      time: this.#nowS(),
      host: url.host,
      method,
      path: url.pathname,
      amountMsat: p.amountMsat,
      feeMsat,
      paymentHash: p.paymentHash,
      preimage,
      status: 'paid',
    };
    if (tokenId) receipt.tokenId = tokenId;
    await this.#mutate((d) => {
      d.pending = d.pending.filter((q) => q.paymentHash !== p.paymentHash);
      d.tokens = d.tokens.filter(
        (t) => !(t.scope === token.scope && (t.services ?? '') === (token.services ?? '')),
      );
      d.tokens.push(token);
      if (!d.receipts.some((r) => r.paymentHash === p.paymentHash)) d.receipts.push(receipt);
    });
    this.#o.onPayment?.(receipt);
    return token;
  }

  async #pay(
    ch: PaymentChallenge,
    method: string,
    url: URL,
    reqScope: string,
    originScope: string,
    services = '',
  ): Promise<StoredToken> {
    checkHost(this.budget.limits, url.host);
    const q = this.#check(ch, method, url);
    const bound = ch.kind === 'payment-hash' || macaroonIsBound(ch.macaroon);
    if (!bound) {
      // A reusable token: parallel calls to one origin share one payment.
      const key = `${originScope} ${services}`;
      const flying = this.#flights.get(key);
      if (flying) {
        const shared = await flying.catch(() => undefined);
        if (shared) return shared;
      }
      const flight = this.#payOnce(ch, q, method, url, originScope);
      this.#flights.set(key, flight);
      try {
        return await flight;
      } finally {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      }
    }
    return this.#payOnce(ch, q, method, url, reqScope);
  }

  async #payOnce(
    ch: PaymentChallenge,
    q: Quote,
    method: string,
    url: URL,
    scope: string,
  ): Promise<StoredToken> {
    const d = await this.#load();
    const release = this.budget.reserve(
      { host: url.host, amountMsat: q.amountMsat },
      this.#spentSoFar(d),
      this.#nowS(),
    );
    try {
      if (this.#o.approveAboveSats !== undefined && q.amountSats > this.#o.approveAboveSats) {
        const ok = this.#o.approve ? await this.#o.approve(q) : false;
        if (!ok) {
          throw new FareboxError(
            ErrorCodes.APPROVAL_DENIED,
            `payment of ${q.amountSats} sats to ${q.host} was not approved`,
            {
              data: { amountSats: q.amountSats, host: q.host },
            },
          );
        }
      }
      const pending: PendingPayment = {
        scope,
        origin: url.origin,
        scheme: ch.scheme,
        macaroon: ch.kind === 'token' ? ch.macaroon : '',
        invoice: ch.invoice,
        paymentHash: q.paymentHash,
        amountMsat: q.amountMsat.toString(),
        kind: ch.kind,
        startedAt: this.#nowS(),
      };
      // Recorded before paying: a crash from here on resumes instead of paying again.
      this.#paying.add(q.paymentHash);
      await this.#mutate((x) => {
        x.pending.push(pending);
      });
      const maxFee =
        this.#o.maxFeeSats !== undefined
          ? BigInt(Math.floor(this.#o.maxFeeSats * 1000))
          : q.amountMsat / 100n + 10_000n;
      let paid: Awaited<ReturnType<Payer['payInvoice']>>;
      try {
        paid = await this.wallet.payInvoice(ch.invoice, { maxFeeMsat: maxFee });
      } catch (e) {
        const reason = e instanceof FareboxError ? e.code : 'unknown';
        if (reason !== ErrorCodes.LN_ALREADY_PAID && reason !== ErrorCodes.LN_TIMEOUT) {
          await this.#mutate((x) => {
            x.pending = x.pending.filter((p) => p.paymentHash !== q.paymentHash);
          });
        }
        throw new FareboxError(
          ErrorCodes.PAYMENT_FAILED,
          `the wallet could not pay: ${e instanceof Error ? e.message : String(e)}`,
          {
            data: { reason },
            cause: e,
          },
        );
      }
      if (toHex(sha256(fromHex(paid.preimage, 'preimage'))) !== q.paymentHash) {
        throw new FareboxError(
          ErrorCodes.PAYMENT_FAILED,
          'the wallet returned a preimage that does not match the invoice',
          {
            data: { reason: 'bad preimage' },
          },
        );
      }
      return await this.#store_token(pending, paid.preimage, paid.feeMsat.toString(), method, url);
    } finally {
      this.#paying.delete(q.paymentHash);
      release();
    }
  }
}

/** A payment started and never seen to end, as a receipt: counted as spent, no preimage. */
function unknownReceipt(p: PendingPayment): PaymentReceipt {
  return {
    time: p.startedAt,
    host: new URL(p.origin).host,
    method: '',
    path: '',
    amountMsat: p.amountMsat,
    feeMsat: '0',
    paymentHash: p.paymentHash,
    preimage: '',
    status: 'unknown',
  };
}

/** Refusals that say a token is for another service of the server, not that it is spent. */
const OTHER_SERVICE = new Set<string>([ErrorCodes.WRONG_SERVICE, ErrorCodes.REQUEST_MISMATCH]);

/** The services a macaroon's `services=` caveats name (`a:0,b:1`), sorted; '' when none. */
function servicesOf(macaroon: string): string {
  try {
    const names: string[] = [];
    for (const c of parseMacaroon(macaroon).caveats) {
      const t = new TextDecoder().decode(c.id);
      if (t.startsWith('services='))
        for (const part of t.slice('services='.length).split(',')) names.push(part.trim().split(':')[0]!);
    }
    return [...new Set(names)].sort().join(',');
  } catch {
    return '';
  }
}

function macaroonIsBound(macaroon: string): boolean {
  try {
    return parseMacaroon(macaroon).caveats.some((c) => {
      const t = new TextDecoder().decode(c.id);
      return REQUEST_BOUND.some((p) => t.startsWith(p));
    });
  } catch {
    return false;
  }
}

function credentialOf(t: StoredToken): string {
  if (!t.macaroon) return `L402 ${t.paymentHash}`;
  return buildCredential({
    macaroon: t.macaroon,
    preimage: t.preimage,
    scheme: /^lsat$/i.test(t.scheme) ? 'LSAT' : 'L402',
  });
}

/** The seed's simple servers read `payment_hash` from a JSON body: add it for payment-hash tokens. */
function bodyWithHash(body: Uint8Array | undefined, t: StoredToken): Uint8Array | undefined {
  if (t.macaroon || !body) return undefined;
  try {
    const v = JSON.parse(new TextDecoder().decode(body)) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return new TextEncoder().encode(JSON.stringify({ ...(v as object), payment_hash: t.paymentHash }));
    }
  } catch {
    // not JSON: the header carries the hash
  }
  return undefined;
}

async function errorCode(res: Response): Promise<string | undefined> {
  try {
    const j = (await res.clone().json()) as { error?: { code?: unknown } };
    return typeof j.error?.code === 'string' ? j.error.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wraps a `fetch` so it pays L402 challenges, as the ecosystem's `wrapFetch` helpers do.
 *
 * @example
 * ```ts
 * import { wrapFetch } from '@farebox/client';
 * const pay = wrapFetch(fetch, { wallet, budget: { perRequestSats: 50 } });
 * const res = await pay('https://api.example.com/joke');
 * ```
 */
export function wrapFetch(
  fetch: FetchFn,
  opts: Omit<L402ClientOptions, 'fetch'>,
): FetchFn & { client: L402Client } {
  const client = new L402Client({ ...opts, fetch });
  return Object.assign(client.fetch, { client });
}
