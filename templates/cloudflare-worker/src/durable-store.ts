/**
 * farebox's `UsageStore` on Durable Objects: every key gets its own {@link UsageCounter},
 * so counting is atomic per key across all isolates and locations, and keys never contend
 * with each other.
 *
 * Which object answers: everything about one token (uses, reservations, revocation) goes to
 * `token:<id>`; counters to `counter:<key>`; stored values (the invoice a bare payment hash
 * was issued for) to `value:<key>`. A request with a token costs two object calls
 * (revocation check, reserve) plus one when it is settled.
 *
 * @module
 */
import type { Reservation, UsageStore } from '@farebox/server';
import type { UsageCounter } from './usage-counter.js';

/**
 * @example
 * ```ts
 * const paywall = new Paywall({ …, store: new DurableObjectStore(env.USAGE) });
 * ```
 */
export class DurableObjectStore implements UsageStore {
  readonly kind = 'durable-object';

  constructor(readonly namespace: DurableObjectNamespace<UsageCounter>) {}

  #object(name: string): DurableObjectStub<UsageCounter> {
    return this.namespace.get(this.namespace.idFromName(name));
  }

  reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation> {
    return this.#object(`token:${tokenId}`).reserve(opts);
  }

  commit(tokenId: string): Promise<void> {
    return this.#object(`token:${tokenId}`).commit();
  }

  release(tokenId: string): Promise<void> {
    return this.#object(`token:${tokenId}`).release();
  }

  uses(tokenId: string): Promise<number> {
    return this.#object(`token:${tokenId}`).uses();
  }

  revoke(tokenId: string, ttlSeconds: number): Promise<void> {
    return this.#object(`token:${tokenId}`).revoke(ttlSeconds);
  }

  isRevoked(tokenId: string): Promise<boolean> {
    return this.#object(`token:${tokenId}`).isRevoked();
  }

  increment(key: string, windowSeconds: number, by = 1): Promise<{ value: number; resetAt: number }> {
    return this.#object(`counter:${key}`).increment(windowSeconds, by);
  }

  claim(key: string, ttlSeconds: number, value = '1'): Promise<boolean> {
    return this.#object(`value:${key}`).claim(ttlSeconds, value);
  }

  get(key: string): Promise<string | undefined> {
    return this.#object(`value:${key}`).get();
  }

  put(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.#object(`value:${key}`).put(value, ttlSeconds);
  }
}
