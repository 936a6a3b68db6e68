/**
 * The SQLite usage store: counts survive restarts, and several processes on one machine
 * can share one database file. The embedded default for a single host.
 *
 * Atomicity: every write of several statements runs in a `BEGIN IMMEDIATE` transaction,
 * which takes SQLite's write lock before reading, so two connections (threads or
 * processes) never decide on the same stale count; a connection that finds the lock taken
 * waits up to `busyTimeoutMs`. Writes that are one statement (`increment`, `claim`, `put`:
 * an upsert, read and written under the write lock) run on their own, in SQLite's implicit
 * transaction, which is as atomic and saves the BEGIN/COMMIT round (a `pass` token's use
 * counter is one of these per served request). The database runs in WAL mode so readers
 * never block the writer. Reservations are rows with an expiry; lapsed ones are ignored
 * and deleted.
 *
 * Revocation checks are cached in the process for at most {@link REVOKED_CACHE_MS} (1 s):
 * `revoke` through this store instance takes effect at once, a revocation written by
 * another process (or another `SqliteStore` on the same file) within a second.
 *
 * better-sqlite3 is synchronous: a call that waits for the lock blocks this process's
 * event loop for that time (at most `busyTimeoutMs`). Transactions here are a few
 * indexed statements, so waits are microseconds unless another process holds the lock
 * for long. For several *machines*, use the Redis or PostgreSQL store.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '@farebox/core';
import type { Reservation, UsageStore } from '@farebox/server';
import Database from 'better-sqlite3';
import {
  checkIdent,
  checkInt,
  checkKey,
  clockOf,
  incrementArgs,
  reserveArgs,
  revokedKey,
  SWEEP_BATCH,
  SWEEP_EVERY,
  toMs,
} from './common.js';

/**
 * Options for {@link SqliteStore}.
 *
 * @example
 * ```ts
 * import { SqliteStore, type SqliteStoreOptions } from '@farebox/stores/sqlite';
 * const opts: SqliteStoreOptions = { busyTimeoutMs: 10_000, tablePrefix: 'api_' };
 * const store = new SqliteStore('./farebox.db', opts);
 * ```
 */
export interface SqliteStoreOptions {
  /** Clock in milliseconds (tests). Default `Date.now`. */
  now?: () => number;
  /** How long a write waits for another connection's lock, ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Prefix of the table names (letters, digits, `_`). Default `farebox_`. */
  tablePrefix?: string;
}

/** `path`, `:memory:`, `sqlite:path` or a `file:` URL → a path better-sqlite3 opens. */
function toPath(target: string): string {
  if (target === '') invalidArgument('target', 'a file path, ":memory:" or a database instance');
  if (target.startsWith('file:')) return fileURLToPath(target);
  if (target.startsWith('sqlite://')) return target.slice('sqlite://'.length);
  if (target.startsWith('sqlite:')) return target.slice('sqlite:'.length);
  return target;
}

/** How long an `isRevoked` answer is reused (ms): revocations by other processes take effect within this. */
export const REVOKED_CACHE_MS = 1000;
/** Token ids whose revocation state is cached at most. */
const REVOKED_CACHE_MAX = 10_000;

/** A short synchronous sleep (better-sqlite3 is synchronous; this runs only while opening). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn`, retrying for up to `timeoutMs` while SQLite answers SQLITE_BUSY / SQLITE_LOCKED
 * without having waited itself (its deadlock check on lock upgrades, WAL recovery by
 * another connection). Used only while opening: the transactions of normal operation take
 * the write lock first (`BEGIN IMMEDIATE`), where SQLite's own busy timeout applies.
 */
function whileBusy<T>(timeoutMs: number, fn: () => T): T {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      return fn();
    } catch (e) {
      const code = String((e as { code?: unknown }).code ?? '');
      const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
      if (!busy || Date.now() >= deadline) throw e;
      sleepSync(pause);
    }
  }
}

interface Counter {
  value: number;
  reset_at: number;
}

interface UsageRow {
  used: number;
  expires_at: number;
}

/**
 * A {@link UsageStore} in a SQLite file (better-sqlite3). Pass a path (created if
 * missing), `':memory:'`, or an open `Database` (then `close()` leaves it open: its
 * owner closes it).
 *
 * @example
 * ```ts
 * import { Paywall } from '@farebox/server';
 * import { DevNode } from '@farebox/lightning';
 * import { SqliteStore } from '@farebox/stores/sqlite';
 *
 * const store = new SqliteStore('./farebox.db');
 * const paywall = new Paywall({
 *   secret: process.env.FAREBOX_SECRET!,
 *   lightning: new DevNode(),
 *   routes: [{ method: 'GET', path: '/joke', price: 21 }],
 *   store,
 * });
 * ```
 */
export class SqliteStore implements UsageStore {
  readonly kind = 'sqlite';
  /** The connection (for inspection and maintenance). */
  readonly db: Database.Database;
  readonly #owned: boolean;
  readonly #now: () => number;
  #writes = 0;
  #closed = false;

  readonly #reserveTx: (id: string, max: number | undefined, ttl: number, res: number) => Reservation;
  readonly #settleTx: (id: string, commit: boolean) => void;
  readonly #incrementTx: (key: string, window: number, by: number) => { value: number; resetAt: number };
  readonly #claimTx: (key: string, value: string, ttl: number) => boolean;
  readonly #putTx: (key: string, value: string, ttl: number) => void;
  readonly #sweepTx: () => number;
  readonly #usesStmt: Database.Statement<[string, number], { used: number }>;
  readonly #getStmt: Database.Statement<[string, number], { value: string }>;
  readonly #revokedStmt: Database.Statement<[string, number], { expires_at: number }>;
  /** `revoked:<id>` → whether it is revoked, and until when (ms, this store's clock) that answer holds. */
  readonly #revokedCache = new Map<string, { revoked: boolean; until: number }>();

  constructor(target: string | Database.Database, opts: SqliteStoreOptions = {}) {
    this.#now = clockOf(opts);
    const busy = opts.busyTimeoutMs === undefined ? 5000 : checkInt('busyTimeoutMs', opts.busyTimeoutMs, 0);
    const prefix = checkIdent('tablePrefix', opts.tablePrefix ?? 'farebox_');

    if (typeof target === 'string') {
      const path = toPath(target);
      try {
        this.db = new Database(path, { timeout: busy });
      } catch (e) {
        throw new Error(`sqlite store: cannot open "${path}": ${(e as Error).message}`, { cause: e });
      }
      this.#owned = true;
      // WAL: readers never block the writer, and the writer never blocks readers.
      // synchronous=NORMAL is the usual WAL pairing: a power loss may lose the last
      // commits but never corrupts the file.
      // Two processes opening one new file at once can meet in SQLite's lock-upgrade
      // deadlock check, which answers SQLITE_BUSY at once without waiting: retry.
      const conn = this.db;
      if (!conn.memory) {
        whileBusy(busy, () => {
          if (String(conn.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') {
            conn.pragma('journal_mode = WAL');
          }
        });
      }
      conn.pragma('synchronous = NORMAL');
    } else if (target && typeof target === 'object' && typeof target.prepare === 'function') {
      this.db = target;
      this.#owned = false;
    } else {
      invalidArgument('target', 'a file path, ":memory:" or a better-sqlite3 Database');
    }
    this.db.pragma(`busy_timeout = ${busy}`);

    const usage = `${prefix}usage`;
    const res = `${prefix}reservations`;
    const counters = `${prefix}counters`;
    const kv = `${prefix}kv`;
    const schema = this.db.transaction(() => {
      this.db.exec(`
          CREATE TABLE IF NOT EXISTS ${usage} (
            token_id TEXT PRIMARY KEY, used INTEGER NOT NULL, expires_at INTEGER NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS ${usage}_expires_at ON ${usage} (expires_at);
          CREATE TABLE IF NOT EXISTS ${res} (
            id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, expires_at INTEGER NOT NULL
          );
          CREATE INDEX IF NOT EXISTS ${res}_token ON ${res} (token_id, expires_at);
          CREATE INDEX IF NOT EXISTS ${res}_expires_at ON ${res} (expires_at);
          CREATE TABLE IF NOT EXISTS ${counters} (
            key TEXT PRIMARY KEY, value INTEGER NOT NULL, reset_at INTEGER NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS ${counters}_reset_at ON ${counters} (reset_at);
          CREATE TABLE IF NOT EXISTS ${kv} (
            key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS ${kv}_expires_at ON ${kv} (expires_at);
        `);
    });
    whileBusy(busy, () => schema.immediate());

    const db = this.db;
    const selUsage = db.prepare<[string], UsageRow>(
      `SELECT used, expires_at FROM ${usage} WHERE token_id = ?`,
    );
    const putUsage = db.prepare<[string, number, number]>(
      `INSERT INTO ${usage} (token_id, used, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (token_id) DO UPDATE SET used = excluded.used, expires_at = excluded.expires_at`,
    );
    const addUse = db.prepare<[string]>(`UPDATE ${usage} SET used = used + 1 WHERE token_id = ?`);
    const delAllRes = db.prepare<[string]>(`DELETE FROM ${res} WHERE token_id = ?`);
    const delLapsed = db.prepare<[string, number]>(
      `DELETE FROM ${res} WHERE token_id = ? AND expires_at <= ?`,
    );
    const countRes = db.prepare<[string], { n: number }>(
      `SELECT count(*) AS n FROM ${res} WHERE token_id = ?`,
    );
    const addRes = db.prepare<[string, number]>(`INSERT INTO ${res} (token_id, expires_at) VALUES (?, ?)`);
    // The reservation that lapses first goes: reservations carry no owner.
    const popRes = db.prepare<[string]>(
      `DELETE FROM ${res} WHERE id = (SELECT id FROM ${res} WHERE token_id = ? ORDER BY expires_at, id LIMIT 1)`,
    );
    const incr = db.prepare<[{ key: string; by: number; now: number; window: number }], Counter>(
      `INSERT INTO ${counters} AS c (key, value, reset_at) VALUES (@key, @by, @now + @window)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN c.reset_at <= @now THEN excluded.value ELSE c.value + excluded.value END,
         reset_at = CASE WHEN c.reset_at <= @now THEN excluded.reset_at ELSE c.reset_at END
       RETURNING value, reset_at`,
    );
    // The common case, a live counter: only `value` changes, so the reset_at index is not
    // rewritten (one page written instead of two). No row back: new or lapsed, use `incr`.
    const bump = db.prepare<[number, string, number], Counter>(
      `UPDATE ${counters} SET value = value + ? WHERE key = ? AND reset_at > ? RETURNING value, reset_at`,
    );
    // Inserts, or replaces an expired value; returns a row only then.
    const claim = db.prepare<[{ key: string; value: string; exp: number; now: number }], { one: number }>(
      `INSERT INTO ${kv} AS k (key, value, expires_at) VALUES (@key, @value, @exp)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE k.expires_at <= @now
       RETURNING 1 AS one`,
    );
    const put = db.prepare<[string, string, number]>(
      `INSERT INTO ${kv} (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    );
    this.#usesStmt = db.prepare(`SELECT used FROM ${usage} WHERE token_id = ? AND expires_at > ?`);
    this.#getStmt = db.prepare(`SELECT value FROM ${kv} WHERE key = ? AND expires_at > ?`);
    this.#revokedStmt = db.prepare(`SELECT expires_at FROM ${kv} WHERE key = ? AND expires_at > ?`);
    const sweeps = [
      [usage, 'token_id', 'expires_at'],
      [res, 'id', 'expires_at'],
      [counters, 'key', 'reset_at'],
      [kv, 'key', 'expires_at'],
    ].map(([table, pk, col]) =>
      db.prepare<[number]>(
        `DELETE FROM ${table} WHERE ${pk} IN (SELECT ${pk} FROM ${table} WHERE ${col} <= ? LIMIT ${SWEEP_BATCH})`,
      ),
    );

    const reserve = db.transaction(
      (id: string, max: number | undefined, ttl: number, resMs: number): Reservation => {
        const now = this.#now();
        const row = selUsage.get(id);
        let used = 0;
        let expiresAt = now + ttl;
        if (!row || row.expires_at <= now) {
          // A new record: reservations of an expired one do not count.
          delAllRes.run(id);
        } else {
          used = row.used;
          expiresAt = Math.max(row.expires_at, expiresAt);
          delLapsed.run(id, now);
        }
        putUsage.run(id, used, expiresAt);
        const inFlight = countRes.get(id)?.n ?? 0;
        if (max !== undefined && used + inFlight >= max)
          return { ok: false, reason: used >= max ? 'used-up' : 'in-use', used, inFlight };
        addRes.run(id, now + resMs);
        return { ok: true, used, inFlight: inFlight + 1 };
      },
    );
    this.#reserveTx = (...a) => reserve.immediate(...a);

    const settle = db.transaction((id: string, commit: boolean) => {
      const now = this.#now();
      const row = selUsage.get(id);
      if (!row || row.expires_at <= now) return;
      delLapsed.run(id, now);
      popRes.run(id);
      if (commit) addUse.run(id);
    });
    this.#settleTx = (...a) => settle.immediate(...a);

    // One statement each: SQLite runs it in its own implicit write transaction (the write
    // lock is taken, with the busy timeout, before the row is read), so no BEGIN IMMEDIATE.
    // `bump` then `incr` is no race: each is atomic on its own, and `incr` decides afresh
    // (a counter another connection created in between is added to, not reset).
    this.#incrementTx = (key, window, by) => {
      const now = this.#now();
      const r = bump.get(by, key, now) ?? incr.get({ key, by, now, window })!;
      return { value: r.value, resetAt: r.reset_at };
    };

    this.#claimTx = (key, value, ttl) => {
      const now = this.#now();
      return claim.get({ key, value, exp: now + ttl, now }) !== undefined;
    };

    this.#putTx = (key, value, ttl) => {
      put.run(key, value, this.#now() + ttl);
    };

    const sweep = db.transaction(() => {
      const now = this.#now();
      let n = 0;
      for (const s of sweeps) n += s.run(now).changes;
      return n;
    });
    this.#sweepTx = () => sweep.immediate();
  }

  #wrote(): void {
    if (++this.#writes % SWEEP_EVERY === 0) this.#sweepTx();
  }

  async reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation> {
    const { max, ttl, resMs } = reserveArgs(tokenId, opts);
    this.#wrote();
    return this.#reserveTx(tokenId, max, ttl, resMs);
  }

  async commit(tokenId: string): Promise<void> {
    this.#settleTx(checkKey('tokenId', tokenId), true);
  }

  async release(tokenId: string): Promise<void> {
    this.#settleTx(checkKey('tokenId', tokenId), false);
  }

  async uses(tokenId: string): Promise<number> {
    return this.#usesStmt.get(checkKey('tokenId', tokenId), this.#now())?.used ?? 0;
  }

  async increment(key: string, windowSeconds: number, by = 1): Promise<{ value: number; resetAt: number }> {
    const window = incrementArgs(key, windowSeconds, by);
    this.#wrote();
    return this.#incrementTx(key, window, by);
  }

  async claim(key: string, ttlSeconds: number, value = '1'): Promise<boolean> {
    checkKey('key', key);
    const ttl = toMs('ttlSeconds', ttlSeconds);
    if (typeof value !== 'string') invalidArgument('value', 'a string');
    this.#wrote();
    return this.#claimTx(key, value, ttl);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#getStmt.get(checkKey('key', key), this.#now())?.value;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    checkKey('key', key);
    if (typeof value !== 'string') invalidArgument('value', 'a string');
    const ttl = toMs('ttlSeconds', ttlSeconds);
    this.#wrote();
    this.#putTx(key, value, ttl);
    this.#revokedCache.delete(key);
  }

  async revoke(tokenId: string, ttlSeconds: number): Promise<void> {
    await this.put(revokedKey(tokenId), '1', ttlSeconds);
  }

  /** Cached for up to {@link REVOKED_CACHE_MS} (see the module notes). */
  async isRevoked(tokenId: string): Promise<boolean> {
    const key = revokedKey(tokenId);
    const now = this.#now();
    const hit = this.#revokedCache.get(key);
    if (hit && now < hit.until && now >= hit.until - REVOKED_CACHE_MS) return hit.revoked;
    const row = this.#revokedStmt.get(checkKey('key', key), now);
    const cache = this.#revokedCache;
    if (hit) cache.delete(key);
    else if (cache.size >= REVOKED_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(
      key,
      row
        ? { revoked: true, until: Math.min(now + REVOKED_CACHE_MS, row.expires_at) }
        : { revoked: false, until: now + REVOKED_CACHE_MS },
    );
    return row !== undefined;
  }

  /**
   * Deletes expired records (at most 1000 per table per call; also runs by itself every
   * 1024 writes). Returns how many rows went.
   */
  async sweep(): Promise<number> {
    return this.#sweepTx();
  }

  /** Closes the connection when this store opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) this.db.close();
  }
}
