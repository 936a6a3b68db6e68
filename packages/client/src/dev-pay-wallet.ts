/**
 * A wallet that asks a farebox server's dev node to pay its own invoice (the
 * `x-farebox-dev-wallet` endpoint a server advertises when it runs the dev node). For demos
 * and development only: **no real money**.
 *
 * @module
 */
import { decodeInvoice, ErrorCodes, FareboxError } from '@farebox/core';
import type { Payer, PaymentResult } from '@farebox/lightning';

/**
 * @example
 * ```ts
 * import { DevPayWallet } from '@farebox/client';
 * const wallet = new DevPayWallet('http://127.0.0.1:8402/.well-known/l402/dev-pay');
 * ```
 */
export class DevPayWallet implements Payer {
  readonly backend = 'dev';
  readonly network = 'regtest' as const;
  readonly notice = 'dev wallet: no real money';

  constructor(
    readonly url: string,
    readonly fetchFn: typeof fetch = (i, init) => fetch(i, init),
  ) {}

  async payInvoice(paymentRequest: string): Promise<PaymentResult> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invoice: paymentRequest }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new FareboxError(ErrorCodes.LN_UNREACHABLE, 'dev wallet endpoint unreachable', { cause: e });
    }
    const j = (await res.json().catch(() => ({}))) as {
      preimage?: string;
      error?: { code?: string; message?: string };
    };
    if (!res.ok || typeof j.preimage !== 'string') {
      throw new FareboxError(
        ErrorCodes.LN_PAYMENT_FAILED,
        `dev wallet refused: ${j.error?.message ?? res.status}`,
        {
          data: { reason: j.error?.code ?? String(res.status) },
        },
      );
    }
    const inv = decodeInvoice(paymentRequest);
    return {
      preimage: j.preimage,
      paymentHash: inv.paymentHash,
      amountMsat: inv.amountMsat ?? 0n,
      feeMsat: 0n,
    };
  }

  async getBalance(): Promise<{ balanceMsat: bigint }> {
    throw new FareboxError(ErrorCodes.LN_UNSUPPORTED, 'the dev wallet endpoint has no balance');
  }
}
