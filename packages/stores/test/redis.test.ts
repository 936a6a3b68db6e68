import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/redis.js';
import { storeConformance } from './store-conformance.js';
import { freePort, type RedisService, startRedis, stopServices } from './support/services.js';

let redis: RedisService;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(stopServices);

const prefix = () => `test:${process.pid}:${Math.random().toString(36).slice(2)}:`;

storeConformance('RedisStore', ({ now }) => new RedisStore(redis.url, { now, prefix: prefix() }));

describe('RedisStore', () => {
  it('keeps every key under the prefix, each with a TTL', async () => {
    const p = prefix();
    const store = new RedisStore(redis.url, { prefix: p });
    await store.reserve('tok', { maxUses: 3, ttlSeconds: 600, reservationSeconds: 60 });
    await store.reserve('tok', { maxUses: 3, ttlSeconds: 600, reservationSeconds: 60 });
    await store.commit('tok');
    await store.increment('rl', 30);
    await store.claim('once', 90);
    await store.revoke('bad', 120);
    const keys = (await store.client.keys(`${p}*`)).sort();
    expect(keys).toEqual(
      [`${p}c:rl`, `${p}r:{tok}`, `${p}u:{tok}`, `${p}v:once`, `${p}v:revoked:bad`].sort(),
    );
    for (const k of keys) {
      const ttl = await store.client.pttl(k);
      expect(ttl, k).toBeGreaterThan(0);
    }
    expect(await store.client.pttl(`${p}u:{tok}`)).toBeLessThanOrEqual(600_000);
    expect(await store.client.pttl(`${p}c:rl`)).toBeLessThanOrEqual(30_000);
    await store.close();
  });

  it('stores with different prefixes do not see each other', async () => {
    const a = new RedisStore(redis.url, { prefix: prefix() });
    const b = new RedisStore(redis.url, { prefix: prefix() });
    const o = { maxUses: 1, ttlSeconds: 60, reservationSeconds: 60 };
    expect((await a.reserve('tok', o)).ok).toBe(true);
    expect((await b.reserve('tok', o)).ok).toBe(true);
    await a.close();
    await b.close();
  });

  it('reloads its scripts after SCRIPT FLUSH (EVALSHA → NOSCRIPT → EVAL)', async () => {
    const store = new RedisStore(redis.url, { prefix: prefix() });
    const o = { maxUses: 2, ttlSeconds: 60, reservationSeconds: 60 };
    expect((await store.reserve('tok', o)).ok).toBe(true);
    await store.client.script('FLUSH');
    expect(await store.reserve('tok', o)).toEqual({ ok: true, used: 0, inFlight: 2 });
    await store.close();
  });

  it('uses a client you pass and leaves it connected on close', async () => {
    const client = new Redis(redis.url);
    const store = new RedisStore(client, { prefix: prefix() });
    await store.put('k', 'v', 10);
    expect(await store.get('k')).toBe('v');
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('a Redis that is down fails fast, with the URL in the message and without the password', async () => {
    const port = await freePort();
    const store = new RedisStore(`redis://:hunter2secret@127.0.0.1:${port}/0`);
    const t0 = Date.now();
    const err = (await store
      .reserve('tok', { ttlSeconds: 60, reservationSeconds: 60 })
      .catch((e) => e)) as Error;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`redis store (redis://:***@127.0.0.1:${port}/0)`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('hunter2secret');
    expect(String(err.cause)).not.toContain('hunter2secret');
    await store.close();
  });

  it('refuses bad targets and options with INVALID_ARGUMENT', () => {
    expect(() => new RedisStore('postgres://x')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new RedisStore('not a url')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new RedisStore({} as unknown as Redis)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', data: { parameter: 'target' } }),
    );
    expect(() => new RedisStore(redis.url, { prefix: 7 as unknown as string })).toThrow(
      expect.objectContaining({ data: { parameter: 'prefix' } }),
    );
  });

  it('refuses bad arguments before touching Redis', async () => {
    const store = new RedisStore(redis.url, { prefix: prefix() });
    await expect(
      store.reserve('t', { maxUses: -1, ttlSeconds: 1, reservationSeconds: 1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      data: { parameter: 'maxUses' },
    });
    await expect(store.increment('', 1)).rejects.toMatchObject({ data: { parameter: 'key' } });
    await store.close();
  });
});
