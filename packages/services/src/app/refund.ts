/**
 * Refunds of refused generations: when the generator refuses an input for good, the client
 * may submit its own invoice for the amount it paid, with the token that paid, and the
 * server pays it once.
 *
 * "Once" holds under concurrent claims and across instances sharing a store: the claim
 * reserves a single use of `refund:<token id>` in the usage store before paying; a payment
 * that definitely failed releases it (try again, perhaps with a new invoice); a paid one
 * commits it and is recorded; a payment whose outcome is unknown (timeout, backend down)
 * commits it too and is recorded as uncertain: paying again could pay twice, so that case
 * is left to the operator.
 *
 * @module
 */
import { decodeInvoice, ErrorCodes, FareboxError } from '@farebox/core';
import type { Network, Payer } from '@farebox/lightning';
import { jsonResponse, refusal, type UsageStore } from '@farebox/server';
import { ServiceCodes } from './codes.js';
import type { JobRecord } from './jobs.js';

/** A refund as recorded. */
export interface RefundRecord {
  state: 'paid' | 'uncertain';
  invoice: string;
  paymentHash: string;
  amountMsat: string;
  feeMsat?: string;
  preimage?: string;
  /** Unix ms. */
  at: number;
  reason?: string;
}

const KEY = (id: string) => `services:refund:${id}`;
const RECORD_TTL = 90 * 86_400;

/** Payment failures after which nothing was paid for sure. */
const DEFINITE = new Set<string>([
  ErrorCodes.LN_NO_ROUTE,
  ErrorCodes.LN_INSUFFICIENT_BALANCE,
  ErrorCodes.LN_INVOICE_EXPIRED,
  ErrorCodes.LN_PAYMENT_FAILED,
  ErrorCodes.LN_ALREADY_PAID,
  ErrorCodes.LN_UNAUTHORIZED,
  ErrorCodes.LN_UNSUPPORTED,
  ErrorCodes.LN_BAD_CONFIG,
  ErrorCodes.INVALID_ARGUMENT,
  ErrorCodes.INVALID_INVOICE,
]);

function view(r: RefundRecord): Record<string, unknown> {
  return {
    status: r.state,
    amount_sats: Number(BigInt(r.amountMsat)) / 1000,
    ...(r.feeMsat !== undefined ? { fee_sats: Number(BigInt(r.feeMsat)) / 1000 } : {}),
    payment_hash: r.paymentHash,
    ...(r.preimage ? { preimage: r.preimage } : {}),
    paid_at: new Date(r.at).toISOString(),
  };
}

/** The recorded refund of a job, if any. */
export async function refundOf(store: UsageStore, jobId: string): Promise<RefundRecord | undefined> {
  const s = await store.get(KEY(jobId));
  return s ? (JSON.parse(s) as RefundRecord) : undefined;
}

function invalid(reason: string, message: string): Response {
  return refusal(400, ServiceCodes.REFUND_INVALID_INVOICE, message, { data: { reason } });
}

/**
 * Claims the refund of a refused job by paying `invoice` (already authenticated: the caller
 * verified the job's token). Answers 200 with the refund, or a refusal.
 */
export async function claimRefund(opts: {
  job: JobRecord;
  invoice: unknown;
  store: UsageStore;
  /** The backend's payer role, when it has one and refunds are on. */
  payer: Payer | undefined;
  /** The backend's network (invoices for another are refused). */
  network: Network | undefined;
  now: number;
}): Promise<Response> {
  const { job, store, payer } = opts;
  if (job.state !== 'refused') {
    return refusal(
      409,
      ServiceCodes.REFUND_NOT_ALLOWED,
      `this job is ${job.state}; only refused jobs are refunded`,
    );
  }
  if (!payer) {
    return refusal(501, ServiceCodes.REFUND_UNAVAILABLE, 'this server cannot pay refunds', {
      data: { reason: 'the Lightning backend only issues invoices' },
    });
  }
  const previous = await refundOf(store, job.id);
  if (typeof opts.invoice !== 'string' || opts.invoice.length === 0 || opts.invoice.length > 4000) {
    return refusal(400, ServiceCodes.REFUND_INVALID_INVOICE, 'expected {"invoice": "<BOLT11 invoice>"}', {
      data: { reason: 'missing' },
    });
  }
  let inv: ReturnType<typeof decodeInvoice>;
  try {
    inv = decodeInvoice(opts.invoice);
  } catch (e) {
    return invalid('undecodable', `the invoice could not be decoded: ${(e as Error).message}`);
  }
  if (previous) {
    if (previous.state === 'paid' && previous.paymentHash === inv.paymentHash)
      return jsonResponse(200, { refund: view(previous) });
    return refusal(
      409,
      previous.state === 'paid' ? ServiceCodes.REFUND_ALREADY_PAID : ServiceCodes.REFUND_UNCERTAIN,
      previous.state === 'paid'
        ? 'this payment was already refunded'
        : 'a refund payment of this token has an unknown outcome; contact the operator',
      { data: { refund: view(previous) } },
    );
  }
  const amount = BigInt(job.amountMsat);
  if (inv.amountMsat !== amount) {
    return invalid(
      'amount',
      `the invoice must be for exactly the paid amount, ${amount} msat (${Number(amount) / 1000} sats)`,
    );
  }
  if (opts.network && inv.network !== opts.network)
    return invalid('network', `the invoice is for ${inv.network}; this server pays on ${opts.network}`);
  if (inv.expiresAt <= Math.floor(opts.now / 1000)) return invalid('expired', 'the invoice has expired');
  if (inv.paymentHash === job.paymentHash) return invalid('own-invoice', 'that is the invoice you paid');

  const key = `refund:${job.id}`;
  const r = await store.reserve(key, { maxUses: 1, ttlSeconds: RECORD_TTL, reservationSeconds: 300 });
  if (!r.ok) {
    if (r.reason === 'in-use')
      return refusal(409, ServiceCodes.REFUND_IN_PROGRESS, 'a refund of this token is being paid', {
        headers: { 'retry-after': '2' },
      });
    const done = await refundOf(store, job.id);
    return refusal(409, ServiceCodes.REFUND_ALREADY_PAID, 'this payment was already refunded', {
      ...(done ? { data: { refund: view(done) } } : {}),
    });
  }
  let record: RefundRecord;
  try {
    const paid = await payer.payInvoice(inv.paymentRequest, { timeoutMs: 60_000 });
    record = {
      state: 'paid',
      invoice: inv.paymentRequest,
      paymentHash: inv.paymentHash,
      amountMsat: amount.toString(),
      feeMsat: paid.feeMsat.toString(),
      preimage: paid.preimage,
      at: opts.now,
    };
  } catch (e) {
    const code = e instanceof FareboxError ? e.code : 'UNKNOWN';
    if (DEFINITE.has(code)) {
      await store.release(key);
      return refusal(
        502,
        ServiceCodes.REFUND_FAILED,
        `the refund could not be paid: ${(e as Error).message}`,
        {
          data: { reason: code },
        },
      );
    }
    record = {
      state: 'uncertain',
      invoice: inv.paymentRequest,
      paymentHash: inv.paymentHash,
      amountMsat: amount.toString(),
      at: opts.now,
      reason: code,
    };
  }
  await store.put(KEY(job.id), JSON.stringify(record), RECORD_TTL);
  await store.commit(key);
  if (record.state === 'uncertain') {
    return refusal(
      502,
      ServiceCodes.REFUND_UNCERTAIN,
      'the refund payment has an unknown outcome; it is not retried',
      {
        data: { refund: view(record) },
      },
    );
  }
  return jsonResponse(200, { refund: view(record) });
}
