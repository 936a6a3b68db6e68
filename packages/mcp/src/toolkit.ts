/**
 * The functions behind every tool (MCP, Vercel AI SDK, LangChain): fetch that pays, quote,
 * discover, budget, receipts, balance. Each returns a plain, JSON-ready, secret-free result;
 * refusals are results with `outcome` and a clear `message`, not exceptions, so an agent can
 * read why and what to do.
 *
 * Per-call state (the call's `max_sats`, its approval channel, what it paid, the dev wallet
 * of its target) travels in an `AsyncLocalStorage` context, so concurrent calls from several
 * agents or sessions share one budget and one token store without mixing their answers.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BudgetLimits,
  type ClientStore,
  checkHost,
  L402Client,
  MemoryClientStore,
  type PaymentReceipt,
  type Quote,
} from '@farebox/client';
import { ErrorCodes, FareboxError } from '@farebox/core';
import type { LightningBackend, Payer } from '@farebox/lightning';
import { readCapped, summarizeBody } from './body.js';
import { budgetReport, lowerLimits } from './budget-report.js';
import { DEFAULT_MAX_SATS_PER_CALL, DEFAULT_MAX_SATS_PER_DAY } from './config.js';
import { discover, type ResolveTxt } from './discovery.js';
import { Redactor } from './redact.js';
import { approvalOf, buildRequest, errorOf, paymentOf, REFUSALS, sats } from './results.js';
import type {
  BalanceOutput,
  BudgetInput,
  BudgetOutput,
  DiscoverInput,
  DiscoverOutput,
  FetchInput,
  FetchOutput,
  QuoteInput,
  QuoteOutput,
  ReceiptsOutput,
} from './schemas.js';
import { createGuardedFetch, type FetchFn, type GuardedFetch, type ResolveHost } from './ssrf.js';
import { AgentWallet, DEV_WALLET_NOTICE } from './wallet.js';

/** A human's answer to "pay this?": `unavailable` when nobody can be asked. */
export type ApprovalAnswer = 'accept' | 'decline' | 'unavailable';

/** Per-call options. */
export interface CallOptions {
  /** Asks a human to approve a payment above the threshold (MCP elicitation). */
  approve?: (q: Quote) => Promise<ApprovalAnswer>;
}

/** Toolkit options. */
export interface FareboxToolkitOptions {
  /** An open wallet. */
  wallet?: Payer;
  /** Opens the wallet on first use (e.g. from a connection string). */
  openWallet?: () => Promise<LightningBackend>;
  /**
   * Spending limits (`perRequestSats` is the per-call limit). Default: 100 sats per call,
   * 1000 per day; `{}` for none.
   */
  budget?: BudgetLimits;
  /** Payments above this many sats need a human's yes. */
  approveAboveSats?: number;
  /** The agent may lower limits through `l402_budget` (never raise them). Default false. */
  allowAgentLowerBudget?: boolean;
  /** Tokens, payments in flight and receipts (default: memory). */
  store?: ClientStore;
  /** Reach loopback and private addresses (demos on one machine). Default false. */
  allowPrivateNetworks?: boolean;
  /** Private addresses allowed one by one (e.g. `['127.0.0.1']`). */
  allowAddresses?: string[];
  /** Most of a response body read, bytes (default 1 MiB). */
  maxResponseBytes?: number;
  /** Longest HTTP call, redirects included, ms (default 30 000). */
  timeoutMs?: number;
  /** Largest text returned inline, bytes (default 64 KiB); larger bodies are saved to a file. */
  maxInlineBytes?: number;
  /** Where binary and large bodies are saved (default: a `farebox-mcp` directory in the temp dir). */
  downloadDir?: string;
  /** Strings never to show (the wallet's connection string is added by `fromConfig`). */
  secrets?: string[];
  /** A wallet connection string whose parts must never be shown. */
  walletConnection?: string;
  /** Name resolution for the SSRF guard (tests). */
  resolve?: ResolveHost;
  /** TXT lookups for discovery (tests). */
  resolveTxt?: ResolveTxt;
  /** A fetch to use instead of the guarded one (tests; disables the SSRF guard). */
  fetch?: FetchFn;
  /** Clock (ms). */
  now?: () => number;
}

interface CallContext {
  origin: string;
  maxSats?: number;
  approve?: CallOptions['approve'];
  paid: PaymentReceipt[];
  sentCredential: boolean;
  needsApproval?: Quote;
  declined?: Quote;
  dev: boolean;
}

/**
 * The tools' shared implementation.
 *
 * @example
 * ```ts
 * import { FareboxToolkit } from '@farebox/mcp';
 * import { DevNode } from '@farebox/lightning';
 * const tools = new FareboxToolkit({ wallet: new DevNode(), budget: { perRequestSats: 50, perDaySats: 500 } });
 * const r = await tools.fetch({ url: 'https://api.example.com/joke' });
 * console.log(r.status, r.body, r.paid);
 * ```
 */
export class FareboxToolkit {
  readonly client: L402Client;
  readonly wallet: AgentWallet;
  readonly redactor = new Redactor();
  readonly #o: FareboxToolkitOptions;
  readonly #als = new AsyncLocalStorage<CallContext>();
  readonly #guarded: GuardedFetch | undefined;
  readonly #fetch: FetchFn;
  readonly #devWallets = new Map<string, string>();
  readonly #store: ClientStore;
  #approveAbove: number | undefined;
  #seeded: Promise<void> | undefined;

  constructor(o: FareboxToolkitOptions = {}) {
    this.#o = o;
    this.#approveAbove = o.approveAboveSats;
    for (const s of o.secrets ?? []) this.redactor.add(s);
    this.redactor.addConnection(o.walletConnection);
    this.#guarded = o.fetch
      ? undefined
      : createGuardedFetch({
          allowPrivateNetworks: o.allowPrivateNetworks === true,
          ...(o.allowAddresses ? { allowAddresses: o.allowAddresses } : {}),
          ...(o.resolve ? { resolve: o.resolve } : {}),
          ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
          // Every hop, redirects included, stays on the allowed hosts.
          checkHost: (host) => checkHost(this.client.budget.limits, host),
        });
    const base = o.fetch ?? this.#guarded!;
    this.#fetch = async (input, init) => {
      const req = new Request(input, init);
      // The host lists bound where the agent goes, not only whom it pays: a host off the
      // allow-list (or on the deny-list) is not called at all.
      checkHost(this.client.budget.limits, new URL(req.url).host);
      const auth = req.headers.get('authorization');
      const ctx = this.#als.getStore();
      if (auth && /^(l402|lsat)\s/i.test(auth)) {
        this.redactor.addCredential(auth);
        if (ctx) ctx.sentCredential = true;
      }
      const res = await base(req);
      const hint = res.headers.get('x-farebox-dev-wallet');
      // Only a same-origin path: a server may offer its own dev node, never send us elsewhere.
      if (hint?.startsWith('/') && !hint.startsWith('//')) {
        const origin = new URL(req.url).origin;
        this.#devWallets.set(origin, new URL(hint, origin).href);
      }
      return res;
    };
    this.#store = o.store ?? new MemoryClientStore();
    const walletOpts = {
      devWalletUrl: () => {
        const ctx = this.#als.getStore();
        return ctx ? this.#devWallets.get(ctx.origin) : undefined;
      },
      fetch: this.#fetch,
      ...(o.wallet ? { payer: o.wallet } : {}),
      ...(o.openWallet ? { open: o.openWallet } : {}),
    };
    this.wallet = new AgentWallet(walletOpts);
    this.client = new L402Client({
      wallet: this.wallet,
      // A copy: lowering limits from the agent side must not change the caller's object.
      budget: o.budget
        ? { ...o.budget }
        : { perRequestSats: DEFAULT_MAX_SATS_PER_CALL, perDaySats: DEFAULT_MAX_SATS_PER_DAY },
      store: this.#store,
      fetch: this.#fetch,
      // Every paid call passes through `#approve`: the per-call max_sats and the human's yes.
      approveAboveSats: 0,
      approve: (q) => this.#approve(q),
      onPayment: (r) => {
        this.redactor.add(r.preimage);
        const ctx = this.#als.getStore();
        if (ctx) ctx.paid.push(r);
      },
      ...(o.now ? { now: o.now } : {}),
    });
  }

  /** Payments and tokens of earlier sessions are secrets too. */
  async #seed(): Promise<void> {
    this.#seeded ??= this.#store.load().then(
      (d) => {
        for (const r of d.receipts) this.redactor.add(r.preimage);
        for (const t of d.tokens) {
          this.redactor.add(t.macaroon);
          this.redactor.add(t.preimage);
        }
        for (const p of d.pending) this.redactor.add(p.macaroon);
      },
      () => {},
    );
    return this.#seeded;
  }

  async #approve(q: Quote): Promise<boolean> {
    const ctx = this.#als.getStore();
    if (ctx?.maxSats !== undefined && q.amountSats > ctx.maxSats) {
      throw new FareboxError(
        ErrorCodes.BUDGET_EXCEEDED,
        `paying ${q.amountSats} sats would exceed max_sats of this call (${ctx.maxSats} sats)`,
        { data: { limit: 'max_sats', capSats: ctx.maxSats, amountSats: q.amountSats } },
      );
    }
    if (ctx) ctx.dev = !this.wallet.configured;
    if (this.#approveAbove === undefined || q.amountSats <= this.#approveAbove) return true;
    const answer = ctx?.approve ? await ctx.approve(q) : 'unavailable';
    if (answer === 'accept') return true;
    if (ctx) {
      if (answer === 'decline') ctx.declined = q;
      else ctx.needsApproval = q;
    }
    return false;
  }

  /** The threshold above which payments need a human's yes. */
  get approveAboveSats(): number | undefined {
    return this.#approveAbove;
  }

  #ctx(url: URL, extra: Partial<CallContext> = {}): CallContext {
    return { origin: url.origin, paid: [], sentCredential: false, dev: false, ...extra };
  }

  /** Calls a URL, paying within the budget. */
  async fetch(input: FetchInput, call: CallOptions = {}): Promise<FetchOutput> {
    await this.#seed();
    const method = input.method ?? (input.body !== undefined ? 'POST' : 'GET');
    const out: FetchOutput = {
      outcome: 'ok',
      message: '',
      url: input.url,
      method,
      paid: [],
      reused_token: false,
    };
    let req: { url: URL; init: RequestInit };
    try {
      req = buildRequest(input);
    } catch (e) {
      return this.redactor.redact({
        ...out,
        outcome: 'error',
        message: errorOf(e).message,
        error: errorOf(e),
      });
    }
    const extra: Partial<CallContext> = {};
    if (input.max_sats !== undefined) extra.maxSats = input.max_sats;
    if (call.approve) extra.approve = call.approve;
    const ctx = this.#ctx(req.url, extra);
    return this.#als.run(ctx, async () => {
      try {
        const res = await this.client.fetch(req.url.href, req.init);
        const { bytes, truncated } = await readCapped(res, this.#o.maxResponseBytes ?? 1024 * 1024);
        out.status = res.status;
        const h: NonNullable<FetchOutput['headers']> = {
          payment_challenge: res.headers.has('www-authenticate'),
        };
        const ct = res.headers.get('content-type');
        if (ct) h.content_type = ct;
        const cl = res.headers.get('content-length');
        if (cl) h.content_length = cl;
        const loc = res.headers.get('location');
        if (loc) h.location = loc;
        out.headers = h;
        out.body = await summarizeBody(bytes, truncated, ct, {
          maxInlineBytes: this.#o.maxInlineBytes ?? 64 * 1024,
          downloadDir: this.#o.downloadDir ?? join(tmpdir(), 'farebox-mcp'),
          name: `${Date.now()}-${randomUUID().slice(0, 8)}`,
        });
        out.paid = ctx.paid.map(paymentOf);
        out.reused_token = ctx.paid.length === 0 && ctx.sentCredential;
        if (ctx.paid.length && ctx.dev) out.dev_wallet = DEV_WALLET_NOTICE;
        const paidText = ctx.paid
          .map(
            (r) =>
              `paid ${sats(r.amountMsat)} sats (fee ${sats(r.feeMsat)}) to ${r.host} for ${r.method} ${r.path}`,
          )
          .join('; ');
        out.message = [
          `HTTP ${res.status}`,
          paidText ||
            (out.reused_token
              ? 'used a token paid earlier (no new payment)'
              : res.status === 402
                ? 'payment required, but the answer carries no challenge farebox can pay'
                : 'nothing paid'),
          out.dev_wallet,
        ]
          .filter(Boolean)
          .join('; ');
      } catch (e) {
        const err = errorOf(e, req.url.host);
        out.paid = ctx.paid.map(paymentOf);
        if (ctx.needsApproval) {
          const q = ctx.needsApproval;
          out.outcome = 'approval_required';
          out.approval = approvalOf(q);
          out.message =
            `Not paid: ${q.amountSats} sats to ${q.host} for ${q.method} ${new URL(q.url).pathname} is above the ` +
            `approval threshold (${this.#approveAbove} sats), and this MCP client cannot ask the user ` +
            '(it does not support elicitation). Tell the user what needs approving; they can approve it from a ' +
            'client that supports elicitation, or the operator can raise FAREBOX_APPROVE_ABOVE_SATS.';
        } else if (ctx.declined) {
          const q = ctx.declined;
          out.outcome = 'declined';
          out.approval = approvalOf(q);
          out.message = `Not paid: the user declined paying ${q.amountSats} sats to ${q.host}. Do not retry without asking.`;
        } else {
          out.outcome = REFUSALS.has(err.code) ? 'refused' : 'error';
          const nothing =
            ctx.paid.length === 0 && err.code !== ErrorCodes.PAID_BUT_REJECTED ? ' Nothing was paid.' : '';
          out.message =
            `${out.outcome === 'refused' ? 'Refused' : 'Failed'}: ${err.message}.${nothing}`.replace(
              '..',
              '.',
            );
        }
        out.error = err;
      }
      return this.redactor.redact(out);
    });
  }

  /** What a call would cost, without paying. */
  async quote(input: QuoteInput): Promise<QuoteOutput> {
    await this.#seed();
    const method = input.method ?? (input.body !== undefined ? 'POST' : 'GET');
    const out: QuoteOutput = { outcome: 'ok', message: '', url: input.url, method, payment_required: false };
    let req: { url: URL; init: RequestInit };
    try {
      req = buildRequest(input);
    } catch (e) {
      return this.redactor.redact({
        ...out,
        outcome: 'error',
        message: errorOf(e).message,
        error: errorOf(e),
      });
    }
    return this.#als.run(this.#ctx(req.url), async () => {
      try {
        const dry = await this.client.quote(req.url.href, req.init);
        if (!dry.paymentRequired) {
          out.status = dry.status;
          out.message = `No payment needed (HTTP ${dry.status}).`;
          return this.redactor.redact(out);
        }
        const q = dry.quote;
        out.payment_required = true;
        out.status = 402;
        out.price_sats = q.amountSats;
        out.invoice = { amount_sats: q.amountSats, network: q.network, payment_hash: q.paymentHash };
        if (q.description) out.invoice.description = q.description;
        try {
          checkHost(this.client.budget.limits, q.host);
          const { receipts } = await this.client.receipts();
          const release = this.client.budget.reserve(
            { host: q.host, amountMsat: q.amountMsat },
            receipts,
            Math.floor((this.#o.now?.() ?? Date.now()) / 1000),
          );
          release();
          out.within_budget = true;
        } catch (e) {
          out.within_budget = false;
          out.budget_problem = errorOf(e).message;
        }
        out.needs_approval = this.#approveAbove !== undefined && q.amountSats > this.#approveAbove;
        out.wallet = this.wallet.configured
          ? 'configured'
          : this.#devWallets.has(req.url.origin)
            ? DEV_WALLET_NOTICE
            : 'none: set FAREBOX_WALLET to pay';
        out.message =
          `Costs ${q.amountSats} sats (${q.network})` +
          (out.within_budget ? ', within the budget' : `, over the budget: ${out.budget_problem}`) +
          (out.needs_approval ? '; needs the user’s approval' : '') +
          '. Nothing was paid.';
      } catch (e) {
        const err = errorOf(e, req.url.host);
        out.outcome = REFUSALS.has(err.code) ? 'refused' : 'error';
        out.message = `${out.outcome === 'refused' ? 'Refused' : 'Failed'}: ${err.message}`;
        out.error = err;
      }
      return this.redactor.redact(out);
    });
  }

  /** What a host sells. */
  async discover(input: DiscoverInput): Promise<DiscoverOutput> {
    await this.#seed();
    try {
      const found = await discover(input.url_or_domain, {
        fetch: this.#fetch,
        ...(this.#o.resolveTxt ? { resolveTxt: this.#o.resolveTxt } : {}),
      });
      const paid = found.services.filter((s) => s.pricing !== 'free').length;
      const message =
        found.source === 'none'
          ? `No L402 discovery documents found at ${found.base_url}.`
          : found.source === 'llms.txt'
            ? `No structured service list; llms.txt describes ${found.base_url}.`
            : `${found.services.length} service(s) at ${found.base_url}, ${paid} paid (from ${found.source}).`;
      return this.redactor.redact({ outcome: 'ok', message, ...found });
    } catch (e) {
      const err = errorOf(e);
      const outcome = REFUSALS.has(err.code) ? 'refused' : 'error';
      return this.redactor.redact({
        outcome,
        message: `${outcome === 'refused' ? 'Refused' : 'Failed'}: ${err.message}`,
        services: [],
        warnings: [],
        error: err,
      });
    }
  }

  /** What is left of the budget; lowers limits when allowed. */
  async budget(input: BudgetInput = {}): Promise<BudgetOutput> {
    const allowed = this.#o.allowAgentLowerBudget === true;
    const change = lowerLimits(this.client.budget.limits, this.#approveAbove, input.lower_to, { allowed });
    this.#approveAbove = change.approveAboveSats;
    const out = budgetReport(this.client.budget.limits, await this.client.remaining(), {
      approveAboveSats: this.#approveAbove,
      agentMayLower: allowed,
      change,
    });
    return this.redactor.redact(out);
  }

  /** Payments made, with totals. */
  async receipts(): Promise<ReceiptsOutput> {
    await this.#seed();
    const r = await this.client.receipts();
    return this.redactor.redact({
      count: r.count,
      total_sats: r.totalSats,
      fees_sats: r.feesSats,
      payments: r.receipts.map((x) => ({
        ...paymentOf(x),
        time: new Date(x.time * 1000).toISOString(),
        status: x.status,
      })),
    });
  }

  /** The configured wallet's balance. */
  async balance(): Promise<BalanceOutput> {
    if (!this.wallet.configured) {
      return {
        outcome: 'unsupported',
        message:
          'No wallet is configured (FAREBOX_WALLET). Calls to a farebox server that runs a dev node can use its dev wallet (no real money).',
        supported: false,
        backend: 'none',
      };
    }
    let backend = 'wallet';
    try {
      const payer = await this.wallet.configuredPayer();
      backend = payer.backend;
      const { balanceMsat } = await payer.getBalance();
      const s = sats(balanceMsat);
      return { outcome: 'ok', message: `${s} sats spendable.`, supported: true, backend, balance_sats: s };
    } catch (e) {
      const err = errorOf(e);
      if (err.code === ErrorCodes.LN_UNSUPPORTED) {
        return this.redactor.redact({
          outcome: 'unsupported',
          message: `Not supported: the ${backend} wallet does not report its balance.`,
          supported: false,
          backend,
        });
      }
      return this.redactor.redact({
        outcome: 'error',
        message: `Failed: ${err.message}`,
        supported: true,
        backend,
        error: err,
      });
    }
  }

  /** Releases connections (the wallet's, the guarded fetch's pool). */
  async close(): Promise<void> {
    this.#guarded?.close();
    await this.wallet.close();
  }
}
