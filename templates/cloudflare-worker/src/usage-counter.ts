/**
 * The Durable Object that counts uses. There is one object per key (a token, a payment
 * hash, a stored value), named after it, so every request about one token reaches the same
 * single-threaded object wherever in the world it arrives.
 *
 * Why counting is atomic here: a Durable Object handles one event at a time, and its input
 * gate holds other events back while it waits on its own storage. So the read, check and
 * write of {@link UsageCounter.reserve} cannot interleave with another request's; two
 * isolates that present the same single-use token at the same moment get one `ok: true`
 * and one refusal. KV cannot do this: it is eventually consistent (a write can take 60 s or
 * more to be seen elsewhere), so two locations could both read "unused".
 *
 * Storage holds a handful of small records per object and is deleted by an alarm when the
 * last of them expires.
 *
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Reservation } from '@farebox/server';

interface Usage {
  used: number;
  /** Expiry times (ms) of the reservations in flight. */
  inFlight: number[];
  expiresAt: number;
}

interface Stored<T> {
  value: T;
  expiresAt: number;
}

/**
 * The counter behind {@link DurableObjectStore}. Methods are called over RPC on a stub.
 *
 * @example
 * ```ts
 * const stub = env.USAGE.get(env.USAGE.idFromName('token:ab12…'));
 * const r = await stub.reserve({ maxUses: 1, ttlSeconds: 86_400, reservationSeconds: 900 });
 * ```
 */
export class UsageCounter extends DurableObject {
  async #read<T>(key: string, now: number): Promise<T | undefined> {
    const s = await this.ctx.storage.get<Stored<T>>(key);
    return s && s.expiresAt > now ? s.value : undefined;
  }

  async #write<T>(key: string, value: T, expiresAt: number): Promise<void> {
    await this.ctx.storage.put<Stored<T>>(key, { value, expiresAt });
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < expiresAt) await this.ctx.storage.setAlarm(expiresAt);
  }

  async #usage(now: number, ttlSeconds: number): Promise<Usage> {
    const u = (await this.#read<Usage>('usage', now)) ?? { used: 0, inFlight: [], expiresAt: 0 };
    u.inFlight = u.inFlight.filter((t) => t > now);
    u.expiresAt = Math.max(u.expiresAt, now + ttlSeconds * 1000);
    return u;
  }

  /** Reserves a use when `used + inFlight < maxUses`; a reservation lapses after `reservationSeconds`. */
  async reserve(opts: {
    maxUses?: number;
    ttlSeconds: number;
    reservationSeconds: number;
  }): Promise<Reservation> {
    const now = Date.now();
    const u = await this.#usage(now, opts.ttlSeconds);
    if (opts.maxUses !== undefined && u.used + u.inFlight.length >= opts.maxUses) {
      const reason = u.used >= opts.maxUses ? 'used-up' : 'in-use';
      return { ok: false, reason, used: u.used, inFlight: u.inFlight.length };
    }
    u.inFlight.push(now + opts.reservationSeconds * 1000);
    await this.#write('usage', u, u.expiresAt);
    return { ok: true, used: u.used, inFlight: u.inFlight.length };
  }

  /** Turns the oldest reservation into a use. */
  async commit(): Promise<void> {
    const now = Date.now();
    const u = await this.#read<Usage>('usage', now);
    if (!u) return;
    u.inFlight.shift();
    u.used++;
    await this.#write('usage', u, u.expiresAt);
  }

  /** Gives the oldest reservation back. */
  async release(): Promise<void> {
    const now = Date.now();
    const u = await this.#read<Usage>('usage', now);
    if (!u) return;
    u.inFlight.shift();
    await this.#write('usage', u, u.expiresAt);
  }

  async uses(): Promise<number> {
    return (await this.#read<Usage>('usage', Date.now()))?.used ?? 0;
  }

  /** Adds `by` to a counter that resets `windowSeconds` after it started. */
  async increment(windowSeconds: number, by: number): Promise<{ value: number; resetAt: number }> {
    const now = Date.now();
    const c = (await this.#read<{ value: number; resetAt: number }>('counter', now)) ?? {
      value: 0,
      resetAt: now + windowSeconds * 1000,
    };
    c.value += by;
    await this.#write('counter', c, c.resetAt);
    return c;
  }

  /** Sets the value once: true for the first caller until it expires. */
  async claim(ttlSeconds: number, value: string): Promise<boolean> {
    const now = Date.now();
    if ((await this.#read<string>('value', now)) !== undefined) return false;
    await this.#write('value', value, now + ttlSeconds * 1000);
    return true;
  }

  async get(): Promise<string | undefined> {
    return this.#read<string>('value', Date.now());
  }

  async put(value: string, ttlSeconds: number): Promise<void> {
    await this.#write('value', value, Date.now() + ttlSeconds * 1000);
  }

  async revoke(ttlSeconds: number): Promise<void> {
    await this.#write('revoked', true, Date.now() + ttlSeconds * 1000);
  }

  async isRevoked(): Promise<boolean> {
    return (await this.#read<boolean>('revoked', Date.now())) === true;
  }

  /** Deletes what has expired; everything once nothing is left. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next = 0;
    for (const [key, s] of await this.ctx.storage.list<Stored<unknown>>()) {
      if (s.expiresAt <= now) await this.ctx.storage.delete(key);
      else next = Math.max(next, s.expiresAt);
    }
    if (next > 0) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAll();
  }
}
