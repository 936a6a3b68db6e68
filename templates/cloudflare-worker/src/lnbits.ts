/**
 * LNbits for the Worker, with the invoice/read key only. A Worker holding the admin key
 * could empty the wallet if its secrets ever leaked; with the invoice key the worst is
 * someone issuing invoices that pay you. So before the first invoice of each isolate, the
 * key is checked: LNbits answers `GET /api/v1/wallet` with the wallet `id` only to the
 * admin key (LNbits 0.x and 1.x), and the Worker refuses to use such a key.
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';
import { type InvoiceIssuer, LnbitsBackend, lnError, requestJson } from '@farebox/lightning';

/**
 * The LNbits backend behind a one-time admin-key check (retried after a network failure).
 *
 * @example
 * ```ts
 * const lightning = invoiceKeyLnbits({ url: env.LNBITS_URL, key: env.LNBITS_KEY });
 * ```
 */
export function invoiceKeyLnbits(opts: { url: string; key: string }): InvoiceIssuer {
  const backend = new LnbitsBackend({ url: opts.url, key: opts.key });
  let checked: Promise<void> | undefined;
  const check = () => {
    checked ??= refuseAdminKey(opts.url, opts.key).catch((e: unknown) => {
      // A refused admin key stays refused (and is logged for the seller, whose clients only
      // see 503); a network failure is tried again next time.
      if (e instanceof FareboxError && e.code === ErrorCodes.LN_BAD_CONFIG)
        console.error(`farebox: ${e.message}`);
      else checked = undefined;
      throw e;
    });
    return checked;
  };
  return {
    backend: backend.backend,
    createInvoice: async (req, o) => {
      await check();
      return backend.createInvoice(req, o);
    },
    lookupInvoice: async (hash, o) => {
      await check();
      return backend.lookupInvoice(hash, o);
    },
    waitForInvoice: (hash, o) => backend.waitForInvoice(hash, o),
    getInfo: (o) => backend.getInfo(o),
  };
}

async function refuseAdminKey(url: string, key: string): Promise<void> {
  const { body } = await requestJson<Record<string, unknown>>(`${url}/api/v1/wallet`, {
    backend: 'lnbits',
    headers: { 'x-api-key': key },
    timeoutMs: 10_000,
  });
  if (body && (typeof body.id === 'string' || typeof body.adminkey === 'string')) {
    throw lnError(
      ErrorCodes.LN_BAD_CONFIG,
      'lnbits',
      'LNBITS_KEY is the wallet admin key; use its Invoice/read key',
    );
  }
}
