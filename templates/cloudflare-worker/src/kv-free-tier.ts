/**
 * The free tier in Workers KV, as the seed tutorial keeps it, done carefully: the paywall
 * counts free calls under `free:<route>:<client network>:<day>`; this store keeps that count
 * in KV under a keyed hash of the whole key (HMAC-SHA256 with a key derived from the token
 * secret), with a one-day TTL. No IP address is stored, and the hash cannot be reversed by
 * trying all 2^24 IPv4 networks without the secret.
 *
 * KV is eventually consistent, so a client hitting two locations within a minute might get
 * a second free answer. That is acceptable for a free tier; paid uses are counted in a
 * Durable Object instead. Everything but free-tier counters goes to the inner store.
 *
 * @module
 */
import { HmacKey, toBase64, utf8 } from '@farebox/core';
import type { Reservation, UsageStore } from '@farebox/server';

const PREFIX = 'free:';

/**
 * @example
 * ```ts
 * const store = new KvFreeTier(new DurableObjectStore(env.USAGE), { kv: env.FREE_KV, secret });
 * ```
 */
export class KvFreeTier implements UsageStore {
  readonly kind: string;
  readonly #inner: UsageStore;
  readonly #kv: KVNamespace;
  readonly #key: HmacKey;

  constructor(inner: UsageStore, opts: { kv: KVNamespace; secret: Uint8Array }) {
    this.#inner = inner;
    this.#kv = opts.kv;
    this.kind = `${inner.kind}+kv-free-tier`;
    // A key of its own, so the token-signing key is never used for anything else.
    this.#key = new HmacKey(new HmacKey(opts.secret).mac(utf8('farebox free tier v1')));
  }

  /** The KV key of a free-tier counter: `free:` and a base64url HMAC. */
  kvKey(key: string): string {
    return `${PREFIX}${toBase64(this.#key.mac(utf8(key)), true)}`;
  }

  async increment(key: string, windowSeconds: number, by = 1): Promise<{ value: number; resetAt: number }> {
    if (!key.startsWith(PREFIX)) return this.#inner.increment(key, windowSeconds, by);
    const k = this.kvKey(key);
    const now = Date.now();
    const cur = await this.#kv.getWithMetadata<{ resetAt: number }>(k);
    const running = cur.value !== null && cur.metadata !== null && cur.metadata.resetAt > now;
    const resetAt = running ? cur.metadata!.resetAt : now + windowSeconds * 1000;
    const value = (running ? Number(cur.value) || 0 : 0) + by;
    // KV needs a TTL of at least 60 s.
    const ttl = Math.max(60, Math.ceil((resetAt - now) / 1000));
    await this.#kv.put(k, String(value), { expirationTtl: ttl, metadata: { resetAt } });
    return { value, resetAt };
  }

  reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation> {
    return this.#inner.reserve(tokenId, opts);
  }

  commit(tokenId: string): Promise<void> {
    return this.#inner.commit(tokenId);
  }

  release(tokenId: string): Promise<void> {
    return this.#inner.release(tokenId);
  }

  uses(tokenId: string): Promise<number> {
    return this.#inner.uses(tokenId);
  }

  claim(key: string, ttlSeconds: number, value?: string): Promise<boolean> {
    return this.#inner.claim(key, ttlSeconds, value);
  }

  get(key: string): Promise<string | undefined> {
    return this.#inner.get(key);
  }

  put(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.#inner.put(key, value, ttlSeconds);
  }

  revoke(tokenId: string, ttlSeconds: number): Promise<void> {
    return this.#inner.revoke(tokenId, ttlSeconds);
  }

  isRevoked(tokenId: string): Promise<boolean> {
    return this.#inner.isRevoked(tokenId);
  }
}
