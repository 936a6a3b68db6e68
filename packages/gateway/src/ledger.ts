/**
 * What the gateway earned: served paid requests, kept for the admin API and dashboard
 * (recent payments, earnings over time per service, active tokens). In memory, bounded.
 *
 * @module
 */
import type { Receipt } from '@farebox/server';

/** A served paid request. */
export interface LedgerEntry {
  time: number;
  service: string;
  tokenId: string;
  paymentHash: string;
  amountMsat: string;
  use: number;
}

/** Recent receipts and per-token state, bounded in memory. */
export class Ledger {
  readonly entries: LedgerEntry[] = [];
  readonly tokens = new Map<
    string,
    {
      tokenId: string;
      service: string;
      firstSeen: number;
      lastSeen: number;
      uses: number;
      amountMsat: string;
    }
  >();

  constructor(readonly max = 10_000) {}

  record(r: Receipt): void {
    const e: LedgerEntry = {
      time: r.time,
      service: r.service,
      tokenId: r.tokenId,
      paymentHash: r.paymentHash,
      amountMsat: r.amountMsat.toString(),
      use: r.use ?? 1,
    };
    this.entries.push(e);
    // One over the bound (the usual case): shift, which V8 does in place, not a copy.
    if (this.entries.length === this.max + 1) this.entries.shift();
    else if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    const t = this.tokens.get(r.tokenId);
    if (t) {
      t.lastSeen = r.time;
      t.uses = e.use;
    } else {
      this.tokens.set(r.tokenId, {
        tokenId: r.tokenId,
        service: r.service,
        firstSeen: r.time,
        lastSeen: r.time,
        uses: e.use,
        amountMsat: e.amountMsat,
      });
      if (this.tokens.size > this.max) this.tokens.delete(this.tokens.keys().next().value as string);
    }
  }

  /** Sats earned per service per time bucket (`bucketSeconds`), newest last. */
  earnings(
    bucketSeconds = 3600,
    since = 0,
  ): { bucket: number; service: string; sats: number; count: number }[] {
    const map = new Map<string, { bucket: number; service: string; sats: number; count: number }>();
    for (const e of this.entries) {
      if (e.time < since || e.use !== 1) continue; // count each payment once (its first use)
      const bucket = Math.floor(e.time / bucketSeconds) * bucketSeconds;
      const k = `${bucket}|${e.service}`;
      const v = map.get(k) ?? { bucket, service: e.service, sats: 0, count: 0 };
      v.sats += Number(e.amountMsat) / 1000;
      v.count++;
      map.set(k, v);
    }
    return [...map.values()].sort((a, b) => a.bucket - b.bucket || a.service.localeCompare(b.service));
  }
}
