/**
 * The conformance suite every usage store runs: the semantics of `UsageStore` (see
 * `packages/server/src/store/types.ts`), with `MemoryStore` as the reference. `make`
 * gets a clock to inject (milliseconds) and returns a fresh store; the suite moves the
 * clock to test lapses and lifetimes instead of sleeping.
 */
import type { UsageStore } from '@farebox/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export type MakeStore = (opts: { now: () => number }) => UsageStore | Promise<UsageStore>;

/** A store that deletes expired records on demand (SQLite, PostgreSQL). */
export type SweepingStore = UsageStore & { sweep(): Promise<number>; close(): Promise<void> };

/**
 * Checks `sweep()`: nothing goes before its time; once the clock passes every expiry, one
 * record of each kind (usage, reservation, counter, value) goes.
 */
export async function expectSweepDeletesExpired(
  make: (opts: { now: () => number }) => SweepingStore,
): Promise<void> {
  let t = 1_000_000;
  const store = make({ now: () => t });
  await store.reserve('a', { ttlSeconds: 10, reservationSeconds: 5 });
  await store.increment('c', 10);
  await store.put('v', 'x', 10);
  expect(await store.sweep()).toBe(0);
  t += 11_000;
  expect(await store.sweep()).toBe(4);
  await store.close();
}

const T0 = 1_750_000_000_000;

export function storeConformance(name: string, make: MakeStore): void {
  describe(`${name}: UsageStore conformance`, () => {
    let t = T0;
    let store: UsageStore;
    let n = 0;
    /** A key no other test (or earlier run on a shared server) uses. */
    const id = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++n}`;
    const opts = (maxUses?: number, ttlSeconds = 3600, reservationSeconds = 60) => ({
      ...(maxUses === undefined ? {} : { maxUses }),
      ttlSeconds,
      reservationSeconds,
    });

    beforeAll(async () => {
      store = await make({ now: () => t });
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it('has a kind', () => {
      expect(typeof store.kind).toBe('string');
      expect(store.kind.length).toBeGreaterThan(0);
    });

    it('counts reservations and commits without a limit', async () => {
      const tok = id('unlimited');
      expect(await store.uses(tok)).toBe(0);
      expect(await store.reserve(tok, opts())).toEqual({ ok: true, used: 0, inFlight: 1 });
      expect(await store.reserve(tok, opts())).toEqual({ ok: true, used: 0, inFlight: 2 });
      await store.commit(tok);
      expect(await store.uses(tok)).toBe(1);
      await store.commit(tok);
      expect(await store.uses(tok)).toBe(2);
      expect(await store.reserve(tok, opts())).toEqual({ ok: true, used: 2, inFlight: 1 });
      await store.release(tok);
      expect(await store.uses(tok)).toBe(2);
    });

    it('maxUses: in-use while reservations fill it, used-up once commits do', async () => {
      const tok = id('max2');
      expect(await store.reserve(tok, opts(2))).toEqual({ ok: true, used: 0, inFlight: 1 });
      expect(await store.reserve(tok, opts(2))).toEqual({ ok: true, used: 0, inFlight: 2 });
      expect(await store.reserve(tok, opts(2))).toEqual({
        ok: false,
        reason: 'in-use',
        used: 0,
        inFlight: 2,
      });
      await store.commit(tok);
      expect(await store.reserve(tok, opts(2))).toEqual({
        ok: false,
        reason: 'in-use',
        used: 1,
        inFlight: 1,
      });
      await store.commit(tok);
      expect(await store.reserve(tok, opts(2))).toEqual({
        ok: false,
        reason: 'used-up',
        used: 2,
        inFlight: 0,
      });
      expect(await store.uses(tok)).toBe(2);
    });

    it('release gives the use back; commit spends it', async () => {
      const tok = id('single');
      expect((await store.reserve(tok, opts(1))).ok).toBe(true);
      expect(await store.reserve(tok, opts(1))).toMatchObject({ ok: false, reason: 'in-use' });
      await store.release(tok);
      expect(await store.uses(tok)).toBe(0);
      expect(await store.reserve(tok, opts(1))).toEqual({ ok: true, used: 0, inFlight: 1 });
      await store.commit(tok);
      expect(await store.reserve(tok, opts(1))).toEqual({
        ok: false,
        reason: 'used-up',
        used: 1,
        inFlight: 0,
      });
      expect(await store.uses(tok)).toBe(1);
    });

    it('maxUses 0 is used up from the start', async () => {
      expect(await store.reserve(id('zero'), opts(0))).toEqual({
        ok: false,
        reason: 'used-up',
        used: 0,
        inFlight: 0,
      });
    });

    it('a reservation neither committed nor released lapses after reservationSeconds', async () => {
      const tok = id('lapse');
      expect((await store.reserve(tok, opts(1, 3600, 10))).ok).toBe(true);
      t += 9_000;
      expect(await store.reserve(tok, opts(1, 3600, 10))).toMatchObject({ ok: false, reason: 'in-use' });
      t += 2_000;
      expect(await store.reserve(tok, opts(1, 3600, 10))).toEqual({ ok: true, used: 0, inFlight: 1 });
      await store.commit(tok);
      expect(await store.uses(tok)).toBe(1);
      expect(await store.reserve(tok, opts(1, 3600, 10))).toMatchObject({ ok: false, reason: 'used-up' });
    });

    it('lapsed reservations stop counting while live ones still do', async () => {
      const tok = id('mixed-lapse');
      await store.reserve(tok, opts(3, 3600, 5));
      t += 3_000;
      await store.reserve(tok, opts(3, 3600, 5));
      t += 3_000; // the first lapsed, the second has 2 s left
      expect(await store.reserve(tok, opts(3, 3600, 5))).toEqual({ ok: true, used: 0, inFlight: 2 });
      expect(await store.reserve(tok, opts(3, 3600, 5))).toEqual({ ok: true, used: 0, inFlight: 3 });
      expect(await store.reserve(tok, opts(3, 3600, 5))).toMatchObject({ ok: false, reason: 'in-use' });
    });

    it('the record lives ttlSeconds: afterwards the token starts over', async () => {
      const tok = id('ttl');
      await store.reserve(tok, opts(1, 60));
      await store.commit(tok);
      expect(await store.reserve(tok, opts(1, 60))).toMatchObject({ ok: false, reason: 'used-up' });
      t += 61_000;
      expect(await store.reserve(tok, opts(1, 60))).toEqual({ ok: true, used: 0, inFlight: 1 });
    });

    it('a later reserve with a longer ttl extends the record, a shorter one never shortens it', async () => {
      const tok = id('extend');
      await store.reserve(tok, opts(5, 60));
      await store.commit(tok);
      await store.reserve(tok, opts(5, 600));
      await store.commit(tok);
      await store.reserve(tok, opts(5, 30));
      await store.release(tok);
      t += 120_000;
      expect(await store.uses(tok)).toBe(2);
      expect(await store.reserve(tok, opts(5, 600))).toEqual({ ok: true, used: 2, inFlight: 1 });
    });

    it('commit and release of an unknown token do nothing', async () => {
      const tok = id('unknown');
      await store.commit(tok);
      await store.release(tok);
      expect(await store.uses(tok)).toBe(0);
      expect(await store.reserve(tok, opts(1))).toEqual({ ok: true, used: 0, inFlight: 1 });
    });

    it('50 concurrent reserves of a single-use token: exactly one succeeds', async () => {
      const tok = id('race');
      const all = await Promise.all(Array.from({ length: 50 }, () => store.reserve(tok, opts(1))));
      expect(all.filter((r) => r.ok)).toHaveLength(1);
      expect(all.filter((r) => !r.ok && r.reason === 'in-use')).toHaveLength(49);
    });

    it('increment counts within a window and starts over after it', async () => {
      const key = id('counter');
      const start = t;
      expect(await store.increment(key, 60)).toEqual({ value: 1, resetAt: start + 60_000 });
      t += 1_000;
      expect(await store.increment(key, 60)).toEqual({ value: 2, resetAt: start + 60_000 });
      expect(await store.increment(key, 60, 5)).toEqual({ value: 7, resetAt: start + 60_000 });
      t = start + 60_000;
      expect(await store.increment(key, 60)).toEqual({ value: 1, resetAt: start + 120_000 });
      expect(await store.increment(id('other-counter'), 10)).toEqual({ value: 1, resetAt: t + 10_000 });
    });

    it('concurrent increments lose no count', async () => {
      const key = id('counter-race');
      const all = await Promise.all(Array.from({ length: 40 }, () => store.increment(key, 60)));
      expect(all.map((r) => r.value).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    });

    it('claim: true once, false until the ttl passes; get reads the value', async () => {
      const key = id('claim');
      expect(await store.claim(key, 30, 'first')).toBe(true);
      expect(await store.claim(key, 30, 'second')).toBe(false);
      expect(await store.get(key)).toBe('first');
      t += 31_000;
      expect(await store.get(key)).toBeUndefined();
      expect(await store.claim(key, 30)).toBe(true);
      expect(await store.get(key)).toBe('1');
    });

    it('concurrent claims: exactly one wins', async () => {
      const key = id('claim-race');
      const all = await Promise.all(Array.from({ length: 30 }, (_, i) => store.claim(key, 30, `v${i}`)));
      expect(all.filter(Boolean)).toHaveLength(1);
      expect(await store.get(key)).toBe(`v${all.indexOf(true)}`);
    });

    it('put/get: values overwrite and expire', async () => {
      const key = id('put');
      expect(await store.get(key)).toBeUndefined();
      await store.put(key, 'a', 10);
      expect(await store.get(key)).toBe('a');
      await store.put(key, 'b ✓ "quoted" \n multi-line', 20);
      expect(await store.get(key)).toBe('b ✓ "quoted" \n multi-line');
      t += 15_000;
      expect(await store.get(key)).toBe('b ✓ "quoted" \n multi-line');
      t += 6_000;
      expect(await store.get(key)).toBeUndefined();
      expect(await store.claim(key, 10, 'c')).toBe(true);
    });

    it('revoke: isRevoked until the ttl passes; other tokens unaffected', async () => {
      const tok = id('revoke');
      expect(await store.isRevoked(tok)).toBe(false);
      await store.revoke(tok, 100);
      expect(await store.isRevoked(tok)).toBe(true);
      expect(await store.isRevoked(id('not-revoked'))).toBe(false);
      expect(await store.uses(tok)).toBe(0);
      t += 101_000;
      expect(await store.isRevoked(tok)).toBe(false);
    });

    it('namespaces are separate: one name as token, counter and value', async () => {
      const k = id('shared-name');
      await store.reserve(k, opts(1));
      await store.commit(k);
      expect(await store.get(k)).toBeUndefined();
      expect(await store.increment(k, 60)).toMatchObject({ value: 1 });
      expect(await store.claim(k, 60)).toBe(true);
      expect(await store.uses(k)).toBe(1);
      expect(await store.isRevoked(k)).toBe(false);
    });

    it('keys with unusual characters stay distinct', async () => {
      const base = id('chars');
      const names = [`${base}:a`, `${base}:a:`, `${base}{x}`, `${base} spaced`, `${base}/ü/🔑`, `${base}'"`];
      for (const [i, k] of names.entries()) await store.put(k, String(i), 60);
      for (const [i, k] of names.entries()) expect(await store.get(k)).toBe(String(i));
      for (const k of names) expect((await store.reserve(k, opts(1))).ok).toBe(true);
      for (const k of names) expect((await store.reserve(k, opts(1))).ok).toBe(false);
    });
  });
}
