import type { Payer } from '@farebox/lightning';

/** A wallet that counts what it is asked to pay, paying through `inner`. */
export function counting(inner: Payer): Payer & { count: number } {
  const w = {
    backend: inner.backend,
    count: 0,
    payInvoice: async (pr: string, o?: Parameters<Payer['payInvoice']>[1]) => {
      w.count++;
      return inner.payInvoice(pr, o);
    },
    getBalance: () => inner.getBalance(),
  };
  return w;
}
