/**
 * Usage stores: where the server counts uses of tokens, free calls and rate windows, and
 * keeps revocations. Counting must be atomic across server instances for the shared
 * stores (Redis, PostgreSQL): two instances serving one single-use token concurrently
 * serve it once.
 *
 * A use is *reserved* before the handler runs and *committed* when it answers with a
 * success, or *released* when it fails, so a failed paid call burns nothing.
 *
 * @module
 */

/** The result of trying to reserve a use. */
export type Reservation =
  | { ok: true; used: number; inFlight: number }
  | { ok: false; reason: 'used-up' | 'in-use'; used: number; inFlight: number };

/** Where uses are counted. Every method must be atomic for a given key. */
export interface UsageStore {
  /** A name for logs and metrics, e.g. `memory`, `sqlite`, `redis`, `postgres`. */
  readonly kind: string;
  /**
   * Reserves one use of `tokenId` when `used + inFlight < maxUses` (no limit when
   * `maxUses` is undefined). `ttlSeconds` bounds how long the record must be kept (the
   * token's remaining validity); a reservation not committed or released within
   * `reservationSeconds` lapses (a crashed instance must not lock a token forever).
   */
  reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation>;
  /** Turns one reservation into a use. */
  commit(tokenId: string): Promise<void>;
  /** Returns one reservation. */
  release(tokenId: string): Promise<void>;
  /** Uses committed so far. */
  uses(tokenId: string): Promise<number>;
  /** Adds `by` to a counter that expires `windowSeconds` after it was created; returns the new value. */
  increment(key: string, windowSeconds: number, by?: number): Promise<{ value: number; resetAt: number }>;
  /** Sets `key` once: true for the first caller, false afterwards (until `ttlSeconds` pass). */
  claim(key: string, ttlSeconds: number, value?: string): Promise<boolean>;
  /** Reads a value set by `claim` or `put`. */
  get(key: string): Promise<string | undefined>;
  /** Stores a value with a lifetime. */
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Marks a token revoked. */
  revoke(tokenId: string, ttlSeconds: number): Promise<void>;
  isRevoked(tokenId: string): Promise<boolean>;
  close?(): Promise<void>;
}
