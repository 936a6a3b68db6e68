/**
 * The in-memory usage store: one process, lost on restart. For tests, demos and single
 * instances that accept losing counts on restart.
 *
 * @module
 */
import type { Reservation, UsageStore } from './types.js';

interface Usage {
  used: number;
  /** Expiry times (ms) of the reservations in flight. */
  inFlight: number[];
  expiresAt: number;
}

/**
 * @example
 * ```ts
 * import { MemoryStore } from '@farebox/server';
 * const store = new MemoryStore();
 * ```
 */
export class MemoryStore implements UsageStore {
  readonly kind = 'memory';
  readonly #usage = new Map<string, Usage>();
  readonly #values = new Map<string, { value: string; expiresAt: number }>();
  readonly #counters = new Map<string, { value: number; resetAt: number }>();
  readonly #now: () => number;
  #ops = 0;

  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? (() => Date.now());
  }

  #sweep(): void {
    // Amortized cleanup: every 1024 operations drop expired entries.
    if (++this.#ops % 1024 !== 0) return;
    const now = this.#now();
    for (const [k, v] of this.#usage) if (v.expiresAt <= now) this.#usage.delete(k);
    for (const [k, v] of this.#values) if (v.expiresAt <= now) this.#values.delete(k);
    for (const [k, v] of this.#counters) if (v.resetAt <= now) this.#counters.delete(k);
  }

  #entry(tokenId: string, ttlSeconds: number): Usage {
    const now = this.#now();
    let u = this.#usage.get(tokenId);
    if (!u || u.expiresAt <= now) {
      u = { used: 0, inFlight: [], expiresAt: now + ttlSeconds * 1000 };
      this.#usage.set(tokenId, u);
    }
    u.inFlight = u.inFlight.filter((t) => t > now);
    u.expiresAt = Math.max(u.expiresAt, now + ttlSeconds * 1000);
    return u;
  }

  async reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation> {
    this.#sweep();
    const u = this.#entry(tokenId, opts.ttlSeconds);
    if (opts.maxUses !== undefined && u.used + u.inFlight.length >= opts.maxUses) {
      return {
        ok: false,
        reason: u.used >= opts.maxUses ? 'used-up' : 'in-use',
        used: u.used,
        inFlight: u.inFlight.length,
      };
    }
    u.inFlight.push(this.#now() + opts.reservationSeconds * 1000);
    return { ok: true, used: u.used, inFlight: u.inFlight.length };
  }

  async commit(tokenId: string): Promise<void> {
    const u = this.#usage.get(tokenId);
    if (!u) return;
    u.inFlight.shift();
    u.used++;
  }

  async release(tokenId: string): Promise<void> {
    this.#usage.get(tokenId)?.inFlight.shift();
  }

  async uses(tokenId: string): Promise<number> {
    return this.#usage.get(tokenId)?.used ?? 0;
  }

  async increment(key: string, windowSeconds: number, by = 1): Promise<{ value: number; resetAt: number }> {
    this.#sweep();
    const now = this.#now();
    let c = this.#counters.get(key);
    if (!c || c.resetAt <= now) {
      c = { value: 0, resetAt: now + windowSeconds * 1000 };
      this.#counters.set(key, c);
    }
    c.value += by;
    return { value: c.value, resetAt: c.resetAt };
  }

  async claim(key: string, ttlSeconds: number, value = '1'): Promise<boolean> {
    const now = this.#now();
    const v = this.#values.get(key);
    if (v && v.expiresAt > now) return false;
    this.#values.set(key, { value, expiresAt: now + ttlSeconds * 1000 });
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    const v = this.#values.get(key);
    return v && v.expiresAt > this.#now() ? v.value : undefined;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#values.set(key, { value, expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async revoke(tokenId: string, ttlSeconds: number): Promise<void> {
    await this.put(`revoked:${tokenId}`, '1', ttlSeconds);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    return (await this.get(`revoked:${tokenId}`)) !== undefined;
  }
}
