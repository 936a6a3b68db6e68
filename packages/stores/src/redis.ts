/**
 * The Redis usage store: one count shared by every server instance that points at the
 * same Redis, so a single-use token is served once however many instances receive it.
 *
 * Atomicity: every write is one Lua script (EVALSHA, falling back to EVAL after a
 * `NOSCRIPT`). Redis runs a script to completion before any other command, so the
 * read-decide-write of `reserve` cannot interleave with another instance's. Per token,
 * uses live in a hash (`used`, logical expiry `exp`) and reservations in a sorted set
 * scored by their expiry, so lapsed ones are dropped with one `ZREMRANGEBYSCORE`. Both
 * keys share a hash tag, so the store also works on Redis Cluster. Every key carries a
 * TTL, so nothing outlives its record.
 *
 * Times come from this process's clock (`now`), compared inside the scripts; run NTP on
 * every instance (token expiry already needs it). Key TTLs are relative durations.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '@farebox/core';
import type { Reservation, UsageStore } from '@farebox/server';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import {
  checkKey,
  checkUrl,
  clockOf,
  incrementArgs,
  reserveArgs,
  revokedKey,
  scrub,
  toMs,
} from './common.js';

/**
 * Options for {@link RedisStore}.
 *
 * @example
 * ```ts
 * import { RedisStore, type RedisStoreOptions } from '@farebox/stores/redis';
 * const opts: RedisStoreOptions = { prefix: 'myapi:', redis: { connectTimeout: 2000 } };
 * const store = new RedisStore('rediss://:password@redis.internal:6380', opts);
 * ```
 */
export interface RedisStoreOptions {
  /** Prefix of every key. Default `farebox:`. */
  prefix?: string;
  /** Clock in milliseconds (tests). Default `Date.now`. */
  now?: () => number;
  /**
   * ioredis options for a client this store creates from a URL (ignored for a client
   * you pass). Defaults here: `maxRetriesPerRequest: 2`, `connectTimeout: 5000`, so a
   * call fails within seconds when Redis is down instead of queueing.
   */
  redis?: RedisOptions;
}

/**
 * A client this store can use: an ioredis `Redis` or `Cluster`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { type RedisClient, RedisStore } from '@farebox/stores/redis';
 * const client: RedisClient = new Redis('redis://127.0.0.1:6379');
 * const store = new RedisStore(client); // store.close() leaves the client connected
 * ```
 */
export type RedisClient = Redis | Cluster;

interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// Lua 5.1 turns numbers into strings with %.14g; ms timestamps are written with %.0f so
// they stay exact.
const FMT = "local function fmt(n) return string.format('%.0f', n) end\n";

/** KEYS: usage hash, reservations zset. ARGV: now, ttl ms, reservation ms, maxUses or ''. */
const RESERVE = script(`${FMT}
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local max = tonumber(ARGV[4])
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
local used = 0
if exp == nil or exp <= now then
  -- a new record: the reservations of an expired one do not count
  redis.call('DEL', KEYS[1], KEYS[2])
  exp = now + ttl
else
  used = tonumber(redis.call('HGET', KEYS[1], 'used')) or 0
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
  if now + ttl > exp then exp = now + ttl end
end
redis.call('HSET', KEYS[1], 'used', fmt(used), 'exp', fmt(exp))
redis.call('PEXPIRE', KEYS[1], fmt(exp - now))
local inflight = redis.call('ZCARD', KEYS[2])
if max ~= nil and used + inflight >= max then
  if used >= max then return {0, 1, used, inflight} end
  return {0, 2, used, inflight}
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('ZADD', KEYS[2], fmt(now + tonumber(ARGV[3])), seq)
redis.call('PEXPIRE', KEYS[2], fmt(exp - now))
return {1, 0, used, inflight + 1}
`);

/** KEYS: usage hash, reservations zset. ARGV: now, '1' to commit or '0' to release. */
const SETTLE = script(`${FMT}
local now = tonumber(ARGV[1])
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
if exp == nil or exp <= now then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
-- the reservation that lapses first goes: reservations carry no owner
redis.call('ZPOPMIN', KEYS[2])
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'used', 1) end
return 1
`);

/** KEYS: counter hash. ARGV: now, window ms, by. Returns {value, resetAt}. */
const INCREMENT = script(`${FMT}
local now = tonumber(ARGV[1])
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset'))
if reset == nil or reset <= now then
  reset = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'v', ARGV[3], 'reset', fmt(reset))
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {tonumber(ARGV[3]), fmt(reset)}
end
return {redis.call('HINCRBY', KEYS[1], 'v', ARGV[3]), fmt(reset)}
`);

/** KEYS: value hash. ARGV: now, ttl ms, value, '1' to set only when absent or expired. */
const PUT = script(`${FMT}
local now = tonumber(ARGV[1])
if ARGV[4] == '1' then
  local e = tonumber(redis.call('HGET', KEYS[1], 'e'))
  if e ~= nil and e > now then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'e', fmt(now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/**
 * A {@link UsageStore} in Redis (ioredis). Pass a `redis://` or `rediss://` URL (the
 * store owns that client and `close()` quits it) or your own `Redis`/`Cluster` client
 * (then `close()` leaves it open).
 *
 * @example
 * ```ts
 * import { Paywall } from '@farebox/server';
 * import { DevNode } from '@farebox/lightning';
 * import { RedisStore } from '@farebox/stores/redis';
 *
 * // Every instance behind the load balancer points at the same Redis.
 * const store = new RedisStore('redis://:password@redis.internal:6379/0', { prefix: 'myapi:' });
 * const paywall = new Paywall({
 *   secret: process.env.FAREBOX_SECRET!,
 *   lightning: new DevNode(),
 *   routes: [{ method: 'GET', path: '/joke', price: 21 }],
 *   store,
 * });
 * ```
 */
export class RedisStore implements UsageStore {
  readonly kind = 'redis';
  /** The ioredis client. */
  readonly client: RedisClient;
  /** The key prefix. */
  readonly prefix: string;
  readonly #owned: boolean;
  readonly #now: () => number;
  readonly #where: string;
  #lastError: Error | undefined;
  #closed = false;

  constructor(target: string | RedisClient, opts: RedisStoreOptions = {}) {
    this.#now = clockOf(opts);
    const prefix = opts.prefix ?? 'farebox:';
    if (typeof prefix !== 'string' || prefix.length > 256)
      invalidArgument('prefix', 'a string of at most 256 characters');
    this.prefix = prefix;

    if (typeof target === 'string') {
      this.#where = checkUrl(target, {
        protocols: ['redis:', 'rediss:'],
        expected: 'a redis:// or rediss:// URL or an ioredis client',
      });
      this.client = new Redis(target, { maxRetriesPerRequest: 2, connectTimeout: 5000, ...opts.redis });
      this.#owned = true;
      // Without a listener ioredis prints every connection error; keep the last one for
      // the message of the call that fails because of it.
      this.client.on('error', (e: Error) => {
        this.#lastError = e;
      });
      this.client.on('ready', () => {
        this.#lastError = undefined;
      });
    } else if (target && typeof target === 'object' && typeof target.evalsha === 'function') {
      this.client = target;
      this.#owned = false;
      this.#where = 'redis';
    } else {
      invalidArgument('target', 'a redis:// or rediss:// URL or an ioredis client');
    }
  }

  #fail(e: unknown): Error {
    const msg = e instanceof Error ? e.message : String(e);
    const last =
      this.#lastError && this.#lastError.message !== msg
        ? `; last connection error: ${this.#lastError.message}`
        : '';
    return new Error(`redis store (${this.#where}): ${scrub(msg + last)}`, { cause: e });
  }

  async #run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      try {
        return await this.client.evalsha(s.sha, keys.length, ...keys, ...args);
      } catch (e) {
        // The script cache is empty after a restart, a failover or SCRIPT FLUSH.
        if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
        return await this.client.eval(s.lua, keys.length, ...keys, ...args);
      }
    } catch (e) {
      throw this.#fail(e);
    }
  }

  // Both keys of a token share the hash tag {tokenId}: one Cluster slot, one script.
  #usageKeys(tokenId: string): string[] {
    return [`${this.prefix}u:{${tokenId}}`, `${this.prefix}r:{${tokenId}}`];
  }

  async reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation> {
    const { max, ttl, resMs } = reserveArgs(tokenId, opts);
    const r = (await this.#run(RESERVE, this.#usageKeys(tokenId), [
      this.#now(),
      ttl,
      resMs,
      max ?? '',
    ])) as number[];
    const [ok, reason, used = 0, inFlight = 0] = r;
    if (ok === 1) return { ok: true, used, inFlight };
    return { ok: false, reason: reason === 1 ? 'used-up' : 'in-use', used, inFlight };
  }

  async commit(tokenId: string): Promise<void> {
    await this.#run(SETTLE, this.#usageKeys(checkKey('tokenId', tokenId)), [this.#now(), '1']);
  }

  async release(tokenId: string): Promise<void> {
    await this.#run(SETTLE, this.#usageKeys(checkKey('tokenId', tokenId)), [this.#now(), '0']);
  }

  async uses(tokenId: string): Promise<number> {
    const [key] = this.#usageKeys(checkKey('tokenId', tokenId));
    let used: string | null | undefined;
    let exp: string | null | undefined;
    try {
      [used, exp] = await this.client.hmget(key!, 'used', 'exp');
    } catch (e) {
      throw this.#fail(e);
    }
    return exp && Number(exp) > this.#now() ? Number(used ?? 0) : 0;
  }

  async increment(key: string, windowSeconds: number, by = 1): Promise<{ value: number; resetAt: number }> {
    const window = incrementArgs(key, windowSeconds, by);
    const r = (await this.#run(INCREMENT, [`${this.prefix}c:${key}`], [this.#now(), window, by])) as [
      number,
      string,
    ];
    return { value: Number(r[0]), resetAt: Number(r[1]) };
  }

  async claim(key: string, ttlSeconds: number, value = '1'): Promise<boolean> {
    checkKey('key', key);
    const ttl = toMs('ttlSeconds', ttlSeconds);
    if (typeof value !== 'string') invalidArgument('value', 'a string');
    return (await this.#run(PUT, [`${this.prefix}v:${key}`], [this.#now(), ttl, value, '1'])) === 1;
  }

  async get(key: string): Promise<string | undefined> {
    checkKey('key', key);
    let v: string | null | undefined;
    let e: string | null | undefined;
    try {
      [v, e] = await this.client.hmget(`${this.prefix}v:${key}`, 'v', 'e');
    } catch (err) {
      throw this.#fail(err);
    }
    return v != null && e && Number(e) > this.#now() ? v : undefined;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    checkKey('key', key);
    if (typeof value !== 'string') invalidArgument('value', 'a string');
    const ttl = toMs('ttlSeconds', ttlSeconds);
    await this.#run(PUT, [`${this.prefix}v:${key}`], [this.#now(), ttl, value, '0']);
  }

  async revoke(tokenId: string, ttlSeconds: number): Promise<void> {
    await this.put(revokedKey(tokenId), '1', ttlSeconds);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    return (await this.get(revokedKey(tokenId))) !== undefined;
  }

  /** Quits the client when this store created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: drop the connection
      }
    }
    this.client.disconnect();
  }
}
