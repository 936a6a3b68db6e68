import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { REVOKED_CACHE_MS, SqliteStore } from '../src/sqlite.js';
import { expectSweepDeletesExpired, storeConformance } from './store-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'farebox-sqlite-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeConformance('SqliteStore (file)', ({ now }) => new SqliteStore(join(dir, 'conformance.db'), { now }));
storeConformance('SqliteStore (:memory:)', ({ now }) => new SqliteStore(':memory:', { now }));

describe('SqliteStore', () => {
  const reserveOpts = { maxUses: 2, ttlSeconds: 3600, reservationSeconds: 60 };

  it('runs in WAL mode with a busy timeout', async () => {
    const store = new SqliteStore(join(dir, 'wal.db'), { busyTimeoutMs: 1234 });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
    await store.close();
  });

  it('counts survive a restart (close and reopen the file)', async () => {
    const file = join(dir, 'restart.db');
    const a = new SqliteStore(file);
    await a.reserve('tok', reserveOpts);
    await a.commit('tok');
    await a.put('k', 'v', 60);
    await a.close();
    const b = new SqliteStore(`sqlite:${file}`);
    expect(await b.uses('tok')).toBe(1);
    expect(await b.get('k')).toBe('v');
    await b.close();
    const c = new SqliteStore(pathToFileURL(file).href);
    expect(await c.uses('tok')).toBe(1);
    await c.close();
  });

  it('uses a Database you pass and leaves it open on close; the table prefix separates stores', async () => {
    const db = new Database(':memory:');
    const a = new SqliteStore(db);
    const b = new SqliteStore(db, { tablePrefix: 'other_' });
    await a.reserve('tok', { maxUses: 1, ttlSeconds: 60, reservationSeconds: 60 });
    expect((await b.reserve('tok', { maxUses: 1, ttlSeconds: 60, reservationSeconds: 60 })).ok).toBe(true);
    await a.close();
    await b.close();
    expect(db.open).toBe(true);
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
    expect(tables).toEqual([
      'farebox_counters',
      'farebox_kv',
      'farebox_reservations',
      'farebox_usage',
      'other_counters',
      'other_kv',
      'other_reservations',
      'other_usage',
    ]);
    db.close();
  });

  it('sweep deletes expired rows', async () => {
    await expectSweepDeletesExpired(({ now }) => new SqliteStore(':memory:', { now }));
  });

  it('refuses bad arguments with INVALID_ARGUMENT naming the parameter', async () => {
    const store = new SqliteStore(':memory:');
    const bad: [() => unknown, string][] = [
      [() => store.reserve('', { ttlSeconds: 1, reservationSeconds: 1 }), 'tokenId'],
      [() => store.reserve('t', { maxUses: -1, ttlSeconds: 1, reservationSeconds: 1 }), 'maxUses'],
      [() => store.reserve('t', { maxUses: 1.5, ttlSeconds: 1, reservationSeconds: 1 }), 'maxUses'],
      [() => store.reserve('t', { ttlSeconds: 0, reservationSeconds: 1 }), 'ttlSeconds'],
      [() => store.reserve('t', { ttlSeconds: 1, reservationSeconds: Number.NaN }), 'reservationSeconds'],
      [() => store.increment('k', -1), 'windowSeconds'],
      [() => store.increment('k', 1, 0.5), 'by'],
      [() => store.claim('x'.repeat(5000), 1), 'key'],
      [() => store.put('k', 1 as unknown as string, 1), 'value'],
      [() => store.get('a\0b'), 'key'],
      [() => new SqliteStore(':memory:', { tablePrefix: 'x; DROP' }), 'tablePrefix'],
      [() => new SqliteStore(':memory:', { busyTimeoutMs: -5 }), 'busyTimeoutMs'],
      [() => new SqliteStore(42 as unknown as string), 'target'],
    ];
    for (const [fn, parameter] of bad) {
      const err = await (async () => fn())().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, parameter).toMatchObject({ code: 'INVALID_ARGUMENT', data: { parameter } });
    }
    await store.close();
  });

  it('isRevoked: at once through this store, within REVOKED_CACHE_MS through another on the file', async () => {
    const file = join(dir, 'revoked-cache.db');
    let t = 1_000_000;
    const now = () => t;
    const a = new SqliteStore(file, { now });
    const b = new SqliteStore(file, { now });
    expect(await a.isRevoked('tok')).toBe(false);
    expect(await b.isRevoked('tok')).toBe(false);
    await a.revoke('tok', 60);
    expect(await a.isRevoked('tok')).toBe(true);
    expect(await b.isRevoked('tok')).toBe(false); // b's cached answer, younger than 1 s
    t += REVOKED_CACHE_MS;
    expect(await b.isRevoked('tok')).toBe(true);
    t += 60_000; // the revocation lapses: a cached "revoked" does not outlive it
    expect(await a.isRevoked('tok')).toBe(false);
    await a.close();
    await b.close();
  });

  it('increment: a live counter and a lapsed one (the one-statement path and the upsert)', async () => {
    let t = 0;
    const store = new SqliteStore(':memory:', { now: () => t });
    expect(await store.increment('c', 10)).toEqual({ value: 1, resetAt: 10_000 });
    expect(await store.increment('c', 10, 2)).toEqual({ value: 3, resetAt: 10_000 });
    t = 10_000;
    expect(await store.increment('c', 10)).toEqual({ value: 1, resetAt: 20_000 });
    await store.close();
  });

  it('a path in a missing directory fails with the path in the message', () => {
    expect(() => new SqliteStore(join(dir, 'nope', 'x.db'))).toThrow(/sqlite store: cannot open ".*nope/);
  });
});
