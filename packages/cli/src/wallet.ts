/**
 * The wallet for paying commands: `--wallet`, else `FAREBOX_WALLET`, else the target's dev
 * wallet when it advertises one (dev node: no real money).
 *
 * @module
 */
import { DevPayWallet } from '@farebox/client';
import { ErrorCodes, FareboxError } from '@farebox/core';
import type { Payer } from '@farebox/lightning';
import { openBackend } from '@farebox/lightning/node';

/** A payer that is resolved on first use (so a dry run or a free call needs no wallet). */
export class LazyWallet implements Payer {
  readonly backend = 'lazy';
  #wallet: Payer | undefined;
  notice: string | undefined;

  constructor(
    private readonly connection: string | undefined,
    private readonly devWalletUrl: () => string | undefined,
  ) {}

  async resolve(): Promise<Payer> {
    if (this.#wallet) return this.#wallet;
    if (this.connection) {
      const b = await openBackend(this.connection);
      if (typeof b.payInvoice !== 'function') throw new Error(`the backend ${b.backend} cannot pay`);
      this.#wallet = b as Payer;
      return this.#wallet;
    }
    const dev = this.devWalletUrl();
    if (!dev) {
      throw new Error(
        'no wallet: pass --wallet <connection> or set FAREBOX_WALLET (the target runs no dev node to pay with)',
      );
    }
    const w = new DevPayWallet(dev);
    this.notice = w.notice;
    this.#wallet = w;
    return w;
  }

  async payInvoice(pr: string, o?: Parameters<Payer['payInvoice']>[1]) {
    return (await this.resolve()).payInvoice(pr, o);
  }

  async getBalance() {
    return (await this.resolve()).getBalance();
  }

  /**
   * Asks the configured wallet how an earlier payment ended (a run that died while paying);
   * LN_UNSUPPORTED for the dev wallet and for backends that cannot tell.
   */
  async lookupPayment(paymentHash: string, o?: Parameters<NonNullable<Payer['lookupPayment']>>[1]) {
    const w = this.connection ? await this.resolve() : undefined;
    if (!w?.lookupPayment)
      throw new FareboxError(ErrorCodes.LN_UNSUPPORTED, 'this wallet cannot look payments up');
    return w.lookupPayment(paymentHash, o);
  }

  async close(): Promise<void> {
    await (this.#wallet as { close?: () => Promise<void> } | undefined)?.close?.();
  }
}
