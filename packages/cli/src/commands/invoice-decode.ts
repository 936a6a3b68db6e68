import { decodeInvoice } from '@farebox/core';
import { Exit, type Io, printJson, readArg } from '../io.js';

export const invoiceDecodeHelp = `Usage: farebox invoice decode <bolt11|-> [--json]

Decodes a BOLT11 Lightning invoice, checks its signature and recovers the payee:
amount (msat), payment hash, expiry, network, payee, description.

Options:
  --json   machine-readable output
`;

export async function invoiceDecode(args: string[], flags: { json: boolean }, io: Io): Promise<number> {
  const [input] = args;
  if (input === undefined) {
    io.stderr(invoiceDecodeHelp);
    return Exit.USAGE;
  }
  const inv = decodeInvoice(await readArg(io, input));
  const now = Math.floor(Date.now() / 1000);
  const summary = {
    network: inv.network,
    amountMsat: inv.amountMsat === undefined ? null : inv.amountMsat.toString(),
    amountSat: inv.amountMsat === undefined ? null : Number(inv.amountMsat) / 1000,
    paymentHash: inv.paymentHash,
    paymentSecret: inv.paymentSecret ?? null,
    description: inv.description ?? null,
    descriptionHash: inv.descriptionHash ?? null,
    payee: inv.payee,
    timestamp: inv.timestamp,
    expirySeconds: inv.expirySeconds,
    expiresAt: inv.expiresAt,
    expired: now >= inv.expiresAt,
    minFinalCltvExpiry: inv.minFinalCltvExpiry,
  };
  if (flags.json) {
    printJson(io, summary);
    return Exit.OK;
  }
  const when = (s: number) => new Date(s * 1000).toISOString();
  io.stdout(
    `${[
      `network:       ${summary.network}`,
      `amount:        ${summary.amountMsat === null ? '(any amount)' : `${summary.amountMsat} msat (${summary.amountSat} sat)`}`,
      `payment hash:  ${summary.paymentHash}`,
      `description:   ${summary.description ?? (summary.descriptionHash ? `(hash) ${summary.descriptionHash}` : '(none)')}`,
      `payee:         ${summary.payee}`,
      `created:       ${when(summary.timestamp)}`,
      `expires:       ${when(summary.expiresAt)}${summary.expired ? ' (expired)' : ''}`,
    ].join('\n')}\n`,
  );
  return Exit.OK;
}
