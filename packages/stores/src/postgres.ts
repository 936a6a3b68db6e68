/**
 * The PostgreSQL usage store: one count shared by every server instance that uses the
 * same database, so a single-use token is served once however many instances receive it.
 *
 * Atomicity: per token, a row in `usage` (uses, expiry) and one row per reservation in
 * `reservations`. `reserve`, `commit` and `release` each run in one transaction that
 * first locks the token's `usage` row (`INSERT … ON CONFLICT DO UPDATE` or
 * `UPDATE … WHERE`, both take the row lock); every change to a token's reservations
 * happens under that lock, so concurrent calls for one token, from any number of pools
 * or machines, run one after another and each counts what the previous one committed
 * (READ COMMITTED takes a fresh snapshot per statement, after the lock is granted).
 * Counters and values are single `INSERT … ON CONFLICT DO UPDATE` statements, which
 * PostgreSQL applies to the latest row version.
 *
 * Times come from this process's clock (`now`); run NTP on every instance.
 *
 * @module
 */
import { invalidArgument } from '@farebox/core';
import type { Reservation, UsageStore } from '@farebox/server';
import { Pool, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
import {
  checkIdent,
  checkKey,
  checkUrl,
  clockOf,
  incrementArgs,
  reserveArgs,
  revokedKey,
  SWEEP_BATCH,
  SWEEP_EVERY,
  scrub,
  toMs,
} from './common.js';

/**
 * Options for {@link PostgresStore}.
 *
 * @example
 * ```ts
 * import { PostgresStore, type PostgresStoreOptions } from '@farebox/stores/postgres';
 * const opts: PostgresStoreOptions = { schema: 'farebox', pool: { max: 20 } };
 * const store = new PostgresStore('postgres://farebox:password@db.internal/app', opts);
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * Schema of the tables, created if missing. Default: none, so the tables follow the
   * connection's `search_path` (usually `public`).
   */
  schema?: string;
  /** Prefix of the table names (letters, digits, `_`). Default `farebox_`. */
  tablePrefix?: string;
  /** Clock in milliseconds (tests). Default `Date.now`. */
  now?: () => number;
  /** Create the tables on first use (default true); else call {@link PostgresStore.migrate}. */
  autoMigrate?: boolean;
  /**
   * `pg` pool options for a pool this store creates from a URL (ignored for a pool you
   * pass). Defaults here: `max: 10`, `connectionTimeoutMillis: 5000`.
   */
  pool?: Omit<PoolConfig, 'connectionString'>;
}

interface Tables {
  usage: string;
  res: string;
  counters: string;
  kv: string;
}

/**
 * A {@link UsageStore} in PostgreSQL (`pg`). Pass a `postgres://` URL (the store owns
 * that pool and `close()` ends it) or your own `pg.Pool` (then `close()` leaves it
 * open). A single `pg.Client` is refused: one connection cannot hold the concurrent
 * transactions the store runs.
 *
 * @example
 * ```ts
 * import { Paywall } from '@farebox/server';
 * import { DevNode } from '@farebox/lightning';
 * import { PostgresStore } from '@farebox/stores/postgres';
 *
 * // Every instance behind the load balancer points at the same database.
 * const store = new PostgresStore('postgres://farebox:password@db.internal:5432/app', {
 *   schema: 'farebox',
 * });
 * await store.migrate(); // optional: tables are also created on first use
 * const paywall = new Paywall({
 *   secret: process.env.FAREBOX_SECRET!,
 *   lightning: new DevNode(),
 *   routes: [{ method: 'GET', path: '/joke', price: 21 }],
 *   store,
 * });
 * ```
 */
export class PostgresStore implements UsageStore {
  readonly kind = 'postgres';
  /** The connection pool. */
  readonly pool: Pool;
  readonly #owned: boolean;
  readonly #now: () => number;
  readonly #where: string;
  readonly #schema: string | undefined;
  readonly #prefix: string;
  readonly #t: Tables;
  readonly #autoMigrate: boolean;
  #migrated: Promise<void> | undefined;
  #writes = 0;
  #closed = false;

  constructor(target: string | Pool, opts: PostgresStoreOptions = {}) {
    this.#now = clockOf(opts);
    if (opts.schema !== undefined) checkIdent('schema', opts.schema);
    const prefix = checkIdent('tablePrefix', opts.tablePrefix ?? 'farebox_');
    this.#schema = opts.schema;
    this.#prefix = prefix;
    this.#autoMigrate = opts.autoMigrate ?? true;
    const q = (name: string) => (opts.schema ? `"${opts.schema}"."${prefix}${name}"` : `"${prefix}${name}"`);
    this.#t = { usage: q('usage'), res: q('reservations'), counters: q('counters'), kv: q('kv') };

    if (typeof target === 'string') {
      this.#where = checkUrl(target, {
        protocols: ['postgres:', 'postgresql:'],
        expected: 'a postgres:// or postgresql:// URL or a pg Pool',
      });
      this.pool = new Pool({
        max: 10,
        connectionTimeoutMillis: 5000,
        ...opts.pool,
        connectionString: target,
      });
      this.#owned = true;
      // An idle client that loses its connection emits 'error' on the pool; unhandled, it
      // would end the process. The pool drops that client and the next call reconnects.
      this.pool.on('error', () => {});
    } else if (
      target &&
      typeof target === 'object' &&
      typeof target.connect === 'function' &&
      typeof (target as { totalCount?: unknown }).totalCount === 'number'
    ) {
      this.pool = target;
      this.#owned = false;
      this.#where = 'postgres';
    } else {
      invalidArgument('target', 'a postgres:// or postgresql:// URL or a pg Pool (not a single Client)');
    }
  }

  #fail(e: unknown): Error {
    const msg = e instanceof Error ? e.message || String((e as { code?: unknown }).code ?? e) : String(e);
    return new Error(`postgres store (${this.#where}): ${scrub(msg)}`, { cause: e });
  }

  /**
   * Creates the schema (when one is set), tables and indexes if missing. Safe to run
   * from several instances at once (an advisory lock serializes them). Runs by itself
   * before the first call unless `autoMigrate: false`.
   */
  migrate(): Promise<void> {
    if (!this.#migrated) {
      this.#migrated = this.#migrate().catch((e) => {
        this.#migrated = undefined;
        throw e;
      });
    }
    return this.#migrated;
  }

  async #migrate(): Promise<void> {
    const { usage, res, counters, kv } = this.#t;
    const p = this.#prefix;
    // Identifiers are checked by checkIdent in the constructor, so inlining them is safe.
    const lockKey = `farebox:${this.#schema ?? ''}.${p}`;
    const sql = `
      SELECT pg_advisory_xact_lock(hashtext('${lockKey}'));
      ${this.#schema ? `CREATE SCHEMA IF NOT EXISTS "${this.#schema}";` : ''}
      CREATE TABLE IF NOT EXISTS ${usage} (
        token_id text PRIMARY KEY, used integer NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX IF NOT EXISTS "${p}usage_expires_at" ON ${usage} (expires_at);
      CREATE TABLE IF NOT EXISTS ${res} (
        id bigserial PRIMARY KEY, token_id text NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX IF NOT EXISTS "${p}reservations_token" ON ${res} (token_id, expires_at);
      CREATE INDEX IF NOT EXISTS "${p}reservations_expires_at" ON ${res} (expires_at);
      CREATE TABLE IF NOT EXISTS ${counters} (
        key text PRIMARY KEY, value bigint NOT NULL, reset_at bigint NOT NULL);
      CREATE INDEX IF NOT EXISTS "${p}counters_reset_at" ON ${counters} (reset_at);
      CREATE TABLE IF NOT EXISTS ${kv} (
        key text PRIMARY KEY, value text NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX IF NOT EXISTS "${p}kv_expires_at" ON ${kv} (expires_at);`;
    await this.#tx(async (c) => {
      await c.query(sql);
    }, false);
  }

  async #ready(): Promise<void> {
    if (this.#autoMigrate) await this.migrate();
    if (++this.#writes % SWEEP_EVERY === 0) await this.sweep();
  }

  async #query<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    await this.#ready();
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (e) {
      throw this.#fail(e);
    }
  }

  async #tx<T>(fn: (c: PoolClient) => Promise<T>, ready = true): Promise<T> {
    if (ready) await this.#ready();
    let c: PoolClient;
    try {
      c = await this.pool.connect();
    } catch (e) {
      throw this.#fail(e);
    }
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      c.release();
      return r;
    } catch (e) {
      try {
        await c.query('ROLLBACK');
        c.release();
      } catch {
        c.release(true); // the connection is broken: destroy it
      }
      throw this.#fail(e);
    }
  }

  async reserve(
    tokenId: string,
    opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
  ): Promise<Reservation> {
    const { max, ttl, resMs } = reserveArgs(tokenId, opts);
    const { usage, res } = this.#t;
    return this.#tx(async (c) => {
      const now = this.#now();
      // Inserts the record or, with a no-op update, locks the existing one; either way
      // this transaction holds the token's row lock from here on.
      const [row] = (
        await c.query<{ used: number; expires_at: string; inserted: boolean }>(
          `INSERT INTO ${usage} AS u (token_id, used, expires_at) VALUES ($1, 0, $2)
           ON CONFLICT (token_id) DO UPDATE SET expires_at = u.expires_at
           RETURNING used, expires_at, (xmax = 0) AS inserted`,
          [tokenId, now + ttl],
        )
      ).rows;
      const fresh = !row || row.inserted || Number(row.expires_at) <= now;
      const used = fresh ? 0 : row.used;
      const expiresAt = fresh ? now + ttl : Math.max(Number(row.expires_at), now + ttl);
      // Drops lapsed reservations (all of them for a new record) and counts the rest.
      // Both parts see the same snapshot, so the count filters what the delete removes.
      const [count] = (
        await c.query<{ n: number }>(
          `WITH gone AS (DELETE FROM ${res} WHERE token_id = $1 AND ($3 OR expires_at <= $2))
           SELECT count(*)::int AS n FROM ${res} WHERE token_id = $1 AND NOT $3 AND expires_at > $2`,
          [tokenId, now, fresh],
        )
      ).rows;
      const inFlight = count?.n ?? 0;
      const refused = max !== undefined && used + inFlight >= max;
      await c.query(
        refused
          ? `UPDATE ${usage} SET used = $2, expires_at = $3 WHERE token_id = $1`
          : `WITH r AS (INSERT INTO ${res} (token_id, expires_at) VALUES ($1, $4))
             UPDATE ${usage} SET used = $2, expires_at = $3 WHERE token_id = $1`,
        refused ? [tokenId, used, expiresAt] : [tokenId, used, expiresAt, now + resMs],
      );
      if (refused) return { ok: false, reason: used >= max! ? 'used-up' : 'in-use', used, inFlight };
      return { ok: true, used, inFlight: inFlight + 1 };
    });
  }

  async #settle(tokenId: string, commit: boolean): Promise<void> {
    checkKey('tokenId', tokenId);
    const { usage, res } = this.#t;
    await this.#tx(async (c) => {
      const now = this.#now();
      const locked = await c.query(
        commit
          ? `UPDATE ${usage} SET used = used + 1 WHERE token_id = $1 AND expires_at > $2 RETURNING 1`
          : `SELECT 1 FROM ${usage} WHERE token_id = $1 AND expires_at > $2 FOR UPDATE`,
        [tokenId, now],
      );
      if (locked.rowCount === 0) return;
      // Lapsed reservations go, and the one that lapses first: reservations carry no owner.
      await c.query(
        `DELETE FROM ${res} WHERE token_id = $1 AND (expires_at <= $2 OR id = (
           SELECT id FROM ${res} WHERE token_id = $1 AND expires_at > $2 ORDER BY expires_at, id LIMIT 1))`,
        [tokenId, now],
      );
    });
  }

  async commit(tokenId: string): Promise<void> {
    await this.#settle(tokenId, true);
  }

  async release(tokenId: string): Promise<void> {
    await this.#settle(tokenId, false);
  }

  async uses(tokenId: string): Promise<number> {
    checkKey('tokenId', tokenId);
    const [row] = await this.#query<{ used: number }>(
      `SELECT used FROM ${this.#t.usage} WHERE token_id = $1 AND expires_at > $2`,
      [tokenId, this.#now()],
    );
    return row?.used ?? 0;
  }

  async increment(key: string, windowSeconds: number, by = 1): Promise<{ value: number; resetAt: number }> {
    const window = incrementArgs(key, windowSeconds, by);
    const now = this.#now();
    const [row] = await this.#query<{ value: string; reset_at: string }>(
      `INSERT INTO ${this.#t.counters} AS c (key, value, reset_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN c.reset_at <= $4 THEN EXCLUDED.value ELSE c.value + EXCLUDED.value END,
         reset_at = CASE WHEN c.reset_at <= $4 THEN EXCLUDED.reset_at ELSE c.reset_at END
       RETURNING value, reset_at`,
      [key, by, now + window, now],
    );
    return { value: Number(row!.value), resetAt: Number(row!.reset_at) };
  }

  async claim(key: string, ttlSeconds: number, value = '1'): Promise<boolean> {
    checkKey('key', key);
    const ttl = toMs('ttlSeconds', ttlSeconds);
    if (typeof value !== 'string' || value.includes('\0')) invalidArgument('value', 'a string without NUL');
    const now = this.#now();
    // Inserts, or replaces an expired value; returns a row only then.
    const rows = await this.#query(
      `INSERT INTO ${this.#t.kv} AS k (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
       WHERE k.expires_at <= $4
       RETURNING 1`,
      [key, value, now + ttl, now],
    );
    return rows.length === 1;
  }

  async get(key: string): Promise<string | undefined> {
    checkKey('key', key);
    const [row] = await this.#query<{ value: string }>(
      `SELECT value FROM ${this.#t.kv} WHERE key = $1 AND expires_at > $2`,
      [key, this.#now()],
    );
    return row?.value;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    checkKey('key', key);
    if (typeof value !== 'string' || value.includes('\0')) invalidArgument('value', 'a string without NUL');
    const ttl = toMs('ttlSeconds', ttlSeconds);
    await this.#query(
      `INSERT INTO ${this.#t.kv} (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      [key, value, this.#now() + ttl],
    );
  }

  async revoke(tokenId: string, ttlSeconds: number): Promise<void> {
    await this.put(revokedKey(tokenId), '1', ttlSeconds);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    return (await this.get(revokedKey(tokenId))) !== undefined;
  }

  /**
   * Deletes expired records (at most 1000 per table per call; also runs by itself every
   * 1024 calls). Rows another transaction holds are skipped, never waited for, so a
   * sweep cannot deadlock with a reservation. Returns how many rows went.
   */
  async sweep(): Promise<number> {
    if (this.#autoMigrate) await this.migrate();
    const { usage, res, counters, kv } = this.#t;
    const now = this.#now();
    let n = 0;
    for (const [table, pk, col] of [
      [usage, 'token_id', 'expires_at'],
      [res, 'id', 'expires_at'],
      [counters, 'key', 'reset_at'],
      [kv, 'key', 'expires_at'],
    ] as const) {
      try {
        const r = await this.pool.query(
          `DELETE FROM ${table} WHERE ${pk} IN (
             SELECT ${pk} FROM ${table} WHERE ${col} <= $1 LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED)`,
          [now],
        );
        n += r.rowCount ?? 0;
      } catch (e) {
        throw this.#fail(e);
      }
    }
    return n;
  }

  /** Ends the pool when this store created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.pool.end();
  }
}
