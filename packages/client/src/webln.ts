/**
 * Paying from a browser wallet through WebLN (`window.webln`, e.g. Alby): the payer for
 * clients running in a page. The wallet asks its user to confirm; the preimage it returns
 * is checked against the invoice before it is used.
 *
 * @module
 */
import { decodeInvoice, ErrorCodes, FareboxError, fromHex, sha256, toHex } from '@farebox/core';
import type { Payer, PaymentResult } from '@farebox/lightning';

/** The part of the WebLN provider API used here. */
export interface WebLnProvider {
  enable(): Promise<void>;
  sendPayment(paymentRequest: string): Promise<{ preimage: string }>;
  getBalance?(): Promise<{ balance: number; currency?: string }>;
}

/**
 * A payer backed by a WebLN provider (default: `globalThis.webln`).
 *
 * @example
 * ```ts
 * import { WebLnWallet, wrapFetch } from '@farebox/client';
 * const pay = wrapFetch(fetch, { wallet: new WebLnWallet(), budget: { perRequestSats: 100 } });
 * ```
 */
export class WebLnWallet implements Payer {
  readonly backend = 'webln';
  #provider: WebLnProvider | undefined;
  #enabled: Promise<void> | undefined;

  constructor(provider?: WebLnProvider) {
    this.#provider = provider;
  }

  #get(): WebLnProvider {
    const p = this.#provider ?? (globalThis as { webln?: WebLnProvider }).webln;
    if (!p) throw new FareboxError(ErrorCodes.LN_UNREACHABLE, 'webln: no WebLN wallet in this browser');
    return p;
  }

  async payInvoice(paymentRequest: string): Promise<PaymentResult> {
    const p = this.#get();
    this.#enabled ??= p.enable();
    try {
      await this.#enabled;
    } catch (e) {
      this.#enabled = undefined;
      throw new FareboxError(ErrorCodes.LN_UNAUTHORIZED, 'webln: the wallet was not enabled', { cause: e });
    }
    const inv = decodeInvoice(paymentRequest);
    let res: { preimage: string };
    try {
      res = await p.sendPayment(paymentRequest);
    } catch (e) {
      throw new FareboxError(
        ErrorCodes.LN_PAYMENT_FAILED,
        `webln: ${(e as Error)?.message ?? 'payment failed'}`,
        {
          data: { reason: 'webln' },
          cause: e,
        },
      );
    }
    const preimage = typeof res?.preimage === 'string' ? res.preimage.toLowerCase() : '';
    if (!/^[0-9a-f]{64}$/.test(preimage) || toHex(sha256(fromHex(preimage))) !== inv.paymentHash) {
      throw new FareboxError(ErrorCodes.LN_PAYMENT_FAILED, 'webln: the wallet returned no valid preimage', {
        data: { reason: 'bad preimage' },
      });
    }
    return { preimage, paymentHash: inv.paymentHash, amountMsat: inv.amountMsat ?? 0n, feeMsat: 0n };
  }

  async getBalance(): Promise<{ balanceMsat: bigint }> {
    const p = this.#get();
    if (!p.getBalance)
      throw new FareboxError(ErrorCodes.LN_UNSUPPORTED, 'webln: the wallet does not share its balance');
    const b = await p.getBalance();
    return { balanceMsat: BigInt(Math.round(b.balance)) * 1000n };
  }
}
