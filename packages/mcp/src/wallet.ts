/**
 * The agent's wallet: the operator's wallet from a connection string, opened on first use
 * (a dry run or a free call needs none); or, when none is configured, the dev wallet that
 * the target farebox server advertises (`x-farebox-dev-wallet`): its own dev node paying its
 * own invoice, **no real money**.
 *
 * @module
 */
import { DevPayWallet } from '@farebox/client';
import { ErrorCodes, FareboxError } from '@farebox/core';
import type { LightningBackend, Network, Payer, PaymentResult, PayOptions } from '@farebox/lightning';
import type { FetchFn } from './ssrf.js';

/** The notice every result paid by a dev wallet carries. */
export const DEV_WALLET_NOTICE = 'dev wallet: no real money';

/** Wallet options. */
export interface AgentWalletOptions {
  /** An open payer (tests, embedding). */
  payer?: Payer;
  /** Opens the configured wallet (e.g. `() => openBackend(connection)`). */
  open?: () => Promise<LightningBackend>;
  /** The dev wallet endpoint of the target of the current call, if it advertised one. */
  devWalletUrl: () => string | undefined;
  /** The fetch the dev wallet endpoint is called with (the guarded one). */
  fetch: FetchFn;
}

/**
 * @example
 * ```ts
 * import { AgentWallet } from '@farebox/mcp';
 * import { openBackend } from '@farebox/lightning/node';
 * const wallet = new AgentWallet({ open: () => openBackend(process.env.FAREBOX_WALLET!), devWalletUrl: () => undefined, fetch });
 * ```
 */
export class AgentWallet implements Payer {
  readonly backend = 'farebox-agent';
  readonly #o: AgentWalletOptions;
  #payer: Payer | undefined;
  #opening: Promise<Payer> | undefined;

  constructor(o: AgentWalletOptions) {
    this.#o = o;
    this.#payer = o.payer;
  }

  /** True when the operator configured a wallet. */
  get configured(): boolean {
    return this.#o.payer !== undefined || this.#o.open !== undefined;
  }

  get network(): Network | undefined {
    return this.#payer?.network;
  }

  /** The configured wallet, opened. */
  async configuredPayer(): Promise<Payer> {
    if (this.#payer) return this.#payer;
    const open = this.#o.open;
    if (!open) throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, 'no wallet is configured (FAREBOX_WALLET)');
    this.#opening ??= open().then((b) => {
      if (typeof b.payInvoice !== 'function' || typeof b.getBalance !== 'function') {
        throw new FareboxError(
          ErrorCodes.LN_BAD_CONFIG,
          `the ${b.backend} wallet cannot pay (check its permissions)`,
        );
      }
      this.#payer = b as Payer;
      return this.#payer;
    });
    try {
      return await this.#opening;
    } catch (e) {
      this.#opening = undefined;
      throw e;
    }
  }

  /** The payer for this call, and whether it is a dev wallet. */
  async resolve(): Promise<{ payer: Payer; dev: boolean }> {
    if (this.configured) return { payer: await this.configuredPayer(), dev: false };
    const url = this.#o.devWalletUrl();
    if (!url) {
      throw new FareboxError(
        ErrorCodes.LN_BAD_CONFIG,
        'no wallet is configured (set FAREBOX_WALLET), and the target runs no dev wallet to pay with',
      );
    }
    return { payer: new DevPayWallet(url, this.#o.fetch as typeof fetch), dev: true };
  }

  async payInvoice(paymentRequest: string, opts?: PayOptions): Promise<PaymentResult> {
    return (await this.resolve()).payer.payInvoice(paymentRequest, opts);
  }

  async getBalance(): Promise<{ balanceMsat: bigint }> {
    return (await this.configuredPayer()).getBalance();
  }

  /** Asks the configured wallet; LN_UNSUPPORTED when it (or the dev wallet) cannot look payments up. */
  async lookupPayment(paymentHash: string) {
    const p = this.configured ? await this.configuredPayer() : undefined;
    if (!p?.lookupPayment) {
      throw new FareboxError(ErrorCodes.LN_UNSUPPORTED, 'this wallet cannot look payments up');
    }
    return p.lookupPayment(paymentHash);
  }

  /** Closes the configured wallet's connections. */
  async close(): Promise<void> {
    await (this.#payer as LightningBackend | undefined)?.close?.();
  }
}
