/**
 * The spending budget: caps per request, per host, per rolling hour and day, and in total;
 * host allow/deny lists; an approval threshold. Checked before paying, and held across
 * concurrent requests: amounts being paid are reserved synchronously, so no race pays
 * past a cap.
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';
import type { PaymentReceipt } from './store.js';

/** Budget limits, in sats. Omitted limits do not apply. */
export interface BudgetLimits {
  perRequestSats?: number;
  perHostSats?: number;
  perHourSats?: number;
  perDaySats?: number;
  totalSats?: number;
  /** Only these hosts may be paid (exact host or `*.example.com`). */
  allowHosts?: string[];
  /** These hosts are never paid. */
  denyHosts?: string[];
}

/** What a budget check is about. */
export interface SpendRequest {
  host: string;
  amountMsat: bigint;
}

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  // `host` may carry a port; a pattern without one matches any port.
  const h = (p.includes(':') ? host : host.replace(/:\d+$/, '')).toLowerCase();
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) || h === p.slice(2);
  return h === p;
}

/** Throws HOST_NOT_ALLOWED unless the host may be paid. */
export function checkHost(limits: BudgetLimits, host: string): void {
  if (limits.denyHosts?.some((p) => hostMatches(host, p))) {
    throw new FareboxError(ErrorCodes.HOST_NOT_ALLOWED, `host ${host} is on the deny-list`, {
      data: { host },
    });
  }
  if (limits.allowHosts && !limits.allowHosts.some((p) => hostMatches(host, p))) {
    throw new FareboxError(ErrorCodes.HOST_NOT_ALLOWED, `host ${host} is not on the allow-list`, {
      data: { host },
    });
  }
}

/** What is left of each limit, in sats (undefined: no limit). */
export interface BudgetRemaining {
  perRequestSats?: number;
  hourSats?: number;
  daySats?: number;
  totalSats?: number;
  hostSats?: Record<string, number>;
  spentHourSats: number;
  spentDaySats: number;
  spentTotalSats: number;
}

const sats = (msat: bigint) => Number(msat) / 1000;

/**
 * Tracks spending against limits. `reserve` is synchronous (no await between check and
 * record), so concurrent payments in one process cannot overshoot a cap.
 *
 * @example
 * ```ts
 * import { Budget } from '@farebox/client';
 * const budget = new Budget({ perRequestSats: 100, perDaySats: 1000 });
 * ```
 */
export class Budget {
  readonly limits: BudgetLimits;
  #reserved: { host: string; msat: bigint; at: number }[] = [];

  constructor(limits: BudgetLimits = {}) {
    for (const k of ['perRequestSats', 'perHostSats', 'perHourSats', 'perDaySats', 'totalSats'] as const) {
      const v = limits[k];
      if (v !== undefined && !(typeof v === 'number' && v >= 0)) {
        throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"${k}" must be a number ≥ 0`, {
          data: { parameter: k },
        });
      }
    }
    this.limits = limits;
  }

  #spent(receipts: readonly PaymentReceipt[], since: number, host?: string): bigint {
    let total = 0n;
    for (const r of receipts)
      if (r.time >= since && (!host || r.host === host)) total += BigInt(r.amountMsat) + BigInt(r.feeMsat);
    for (const r of this.#reserved) if (r.at >= since && (!host || r.host === host)) total += r.msat;
    return total;
  }

  /**
   * Checks every limit and reserves the amount; throws BUDGET_EXCEEDED naming the limit.
   * Returns a function that drops the reservation (call it once the receipt is recorded, or
   * when the payment failed).
   */
  reserve(req: SpendRequest, receipts: readonly PaymentReceipt[], nowSeconds: number): () => void {
    checkHost(this.limits, req.host);
    const l = this.limits;
    const over = (limit: string, capSats: number | undefined, spent: bigint) => {
      if (capSats !== undefined && spent + req.amountMsat > BigInt(Math.floor(capSats * 1000))) {
        throw new FareboxError(
          ErrorCodes.BUDGET_EXCEEDED,
          `paying ${sats(req.amountMsat)} sats would exceed the ${limit} budget of ${capSats} sats`,
          { data: { limit, capSats, amountSats: sats(req.amountMsat), spentSats: sats(spent) } },
        );
      }
    };
    over('per-request', l.perRequestSats, 0n);
    over('per-host', l.perHostSats, this.#spent(receipts, 0, req.host));
    over('per-hour', l.perHourSats, this.#spent(receipts, nowSeconds - 3600));
    over('per-day', l.perDaySats, this.#spent(receipts, nowSeconds - 86_400));
    over('total', l.totalSats, this.#spent(receipts, 0));
    const entry = { host: req.host, msat: req.amountMsat, at: nowSeconds };
    this.#reserved.push(entry);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#reserved = this.#reserved.filter((e) => e !== entry);
    };
  }

  /** What is left, given the receipts so far. */
  remaining(receipts: readonly PaymentReceipt[], nowSeconds: number): BudgetRemaining {
    const l = this.limits;
    const hour = this.#spent(receipts, nowSeconds - 3600);
    const day = this.#spent(receipts, nowSeconds - 86_400);
    const total = this.#spent(receipts, 0);
    const left = (cap: number | undefined, spent: bigint) =>
      cap === undefined ? undefined : Math.max(0, cap - sats(spent));
    const out: BudgetRemaining = {
      spentHourSats: sats(hour),
      spentDaySats: sats(day),
      spentTotalSats: sats(total),
    };
    if (l.perRequestSats !== undefined) out.perRequestSats = l.perRequestSats;
    const h = left(l.perHourSats, hour);
    if (h !== undefined) out.hourSats = h;
    const d = left(l.perDaySats, day);
    if (d !== undefined) out.daySats = d;
    const t = left(l.totalSats, total);
    if (t !== undefined) out.totalSats = t;
    if (l.perHostSats !== undefined) {
      out.hostSats = {};
      for (const host of new Set(receipts.map((r) => r.host))) {
        out.hostSats[host] = left(l.perHostSats, this.#spent(receipts, 0, host))!;
      }
    }
    return out;
  }
}
