/**
 * What the gateway earned: served paid requests, kept for the admin API and dashboard
 * (recent payments, earnings over time per service, active tokens). In memory, bounded.
 *
 * With a SQLite usage store the ledger is also kept in that database file
 * ({@link Ledger.attach}), in its own tables, so a restart keeps the dashboard:
 *
 * - `farebox_ledger_payments`: one row per payment, written when the payment is first used
 *   (`use === 1`, what earnings count) — at once, one prepared `INSERT`. Later uses of a
 *   token write no row.
 * - `farebox_ledger_tokens`: per token its uses and last use, upserted in batches: tokens
 *   touched since the last flush are written at most once per `flushMs` (1 s), in one
 *   transaction, and on {@link Ledger.flush} / {@link Ledger.close} (graceful stop, and a
 *   reload that changes the store). A crash loses at most that last second of use counts,
 *   never a payment already written.
 * - Both tables keep the newest `keep` rows (100,000); older ones are deleted as new ones
 *   come in. On attach the newest `max` payments and tokens are loaded into memory.
 *
 * With any other store the ledger lives in memory only and starts empty.
 *
 * @module
 */
import type { Receipt } from '@farebox/server';
import type { SqliteStore } from '@farebox/stores/sqlite';

/** A served paid request. */
export interface LedgerEntry {
  time: number;
  service: string;
  tokenId: string;
  paymentHash: string;
  amountMsat: string;
  use: number;
}

/** What the ledger knows of one token. */
export interface LedgerToken {
  tokenId: string;
  service: string;
  firstSeen: number;
  lastSeen: number;
  uses: number;
  amountMsat: string;
}

/** An open better-sqlite3 connection (a {@link SqliteStore}'s `db`). */
export type LedgerDatabase = SqliteStore['db'];

/** Options of {@link Ledger.attach}. */
export interface LedgerPersistOptions {
  /** Rows kept per table (payments, tokens); older ones are deleted. Default 100,000. */
  keep?: number;
  /** Token state is written at most this often, ms. Default 1000. */
  flushMs?: number;
  /** Table name prefix. Default `farebox_ledger_`. */
  tablePrefix?: string;
  /** Told about a failed write (the entry stays in memory; a token write is retried). */
  onError?: (e: Error) => void;
}

/** Rows kept per ledger table by default. */
export const LEDGER_KEEP_ROWS = 100_000;
/** How often, at most, token state is written by default (ms). */
export const LEDGER_FLUSH_MS = 1000;

interface PaymentRow {
  time: number;
  service: string;
  token_id: string;
  payment_hash: string;
  amount_msat: string;
}

interface TokenRow {
  token_id: string;
  service: string;
  first_seen: number;
  last_seen: number;
  uses: number;
  amount_msat: string;
}

/** The prepared statements of an attached database. */
interface Persistence {
  db: LedgerDatabase;
  insertPayment: (e: LedgerEntry) => void;
  /** Writes the tokens in one transaction and trims old rows. */
  writeTokens: (tokens: LedgerToken[]) => void;
  flushMs: number;
  onError: (e: Error) => void;
}

/** Recent receipts and per-token state, bounded in memory; optionally kept in SQLite. */
export class Ledger {
  readonly entries: LedgerEntry[] = [];
  readonly tokens = new Map<string, LedgerToken>();
  #p: Persistence | undefined;
  /** Tokens changed since the last flush. */
  readonly #dirty = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly max = 10_000) {}

  /** Whether entries are kept in a database (see {@link attach}). */
  get persistent(): boolean {
    return this.#p !== undefined;
  }

  /**
   * Keeps the ledger in `db` from now on: creates its tables if missing, trims them, and
   * replaces what is in memory with the newest `max` payments and tokens found there. A
   * database attached before is flushed and let go first.
   */
  attach(db: LedgerDatabase, opts: LedgerPersistOptions = {}): this {
    this.detach();
    const keep = opts.keep ?? LEDGER_KEEP_ROWS;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError('"keep" must be a positive integer');
    const prefix = opts.tablePrefix ?? 'farebox_ledger_';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new RangeError('"tablePrefix" must be an identifier');
    const payments = `${prefix}payments`;
    const tokens = `${prefix}tokens`;
    // `id` orders rows by insertion: the newest are the highest, and trimming keeps ids
    // contiguous (only the oldest are deleted), so "all but the newest `keep`" is a range.
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS ${payments} (
          id INTEGER PRIMARY KEY, time INTEGER NOT NULL, service TEXT NOT NULL,
          token_id TEXT NOT NULL UNIQUE, payment_hash TEXT NOT NULL, amount_msat TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${tokens} (
          id INTEGER PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, service TEXT NOT NULL,
          first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, uses INTEGER NOT NULL,
          amount_msat TEXT NOT NULL
        );
      `);
    }).immediate();
    // A payment is written once (its first use); several gateways on one file never count one twice.
    const insPayment = db.prepare<[number, string, string, string, string]>(
      `INSERT OR IGNORE INTO ${payments} (time, service, token_id, payment_hash, amount_msat) VALUES (?, ?, ?, ?, ?)`,
    );
    // Uses only grow: another process on the same file may have written a later count.
    const upsertToken = db.prepare<[string, string, number, number, number, string]>(
      `INSERT INTO ${tokens} AS t (token_id, service, first_seen, last_seen, uses, amount_msat)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (token_id) DO UPDATE SET
         last_seen = max(t.last_seen, excluded.last_seen), uses = max(t.uses, excluded.uses)`,
    );
    const trim = [payments, tokens].map((t) =>
      db.prepare<[number]>(`DELETE FROM ${t} WHERE id <= (SELECT max(id) FROM ${t}) - ?`),
    );
    const writeTokens = db.transaction((list: LedgerToken[]) => {
      for (const t of list)
        upsertToken.run(t.tokenId, t.service, t.firstSeen, t.lastSeen, t.uses, t.amountMsat);
      for (const s of trim) s.run(keep);
    });
    for (const s of trim) s.run(keep);

    // Newest `max` of each, oldest first (the order `record` keeps).
    const prows = db
      .prepare<[number], PaymentRow>(
        `SELECT time, service, token_id, payment_hash, amount_msat FROM ${payments} ORDER BY id DESC LIMIT ?`,
      )
      .all(this.max)
      .reverse();
    const trows = db
      .prepare<[number], TokenRow>(
        `SELECT token_id, service, first_seen, last_seen, uses, amount_msat FROM ${tokens} ORDER BY id DESC LIMIT ?`,
      )
      .all(this.max)
      .reverse();
    this.entries.length = 0;
    this.tokens.clear();
    for (const t of trows)
      this.tokens.set(t.token_id, {
        tokenId: t.token_id,
        service: t.service,
        firstSeen: t.first_seen,
        lastSeen: t.last_seen,
        uses: t.uses,
        amountMsat: t.amount_msat,
      });
    for (const r of prows) {
      this.entries.push({
        time: r.time,
        service: r.service,
        tokenId: r.token_id,
        paymentHash: r.payment_hash,
        amountMsat: r.amount_msat,
        use: 1,
      });
      // A payment written just before a crash, its token row not yet: it was used once.
      if (!this.tokens.has(r.token_id)) {
        this.tokens.set(r.token_id, {
          tokenId: r.token_id,
          service: r.service,
          firstSeen: r.time,
          lastSeen: r.time,
          uses: 1,
          amountMsat: r.amount_msat,
        });
        this.#dirty.add(r.token_id);
      }
    }
    while (this.tokens.size > this.max) this.tokens.delete(this.tokens.keys().next().value as string);

    this.#p = {
      db,
      insertPayment: (e) => insPayment.run(e.time, e.service, e.tokenId, e.paymentHash, e.amountMsat),
      writeTokens: (list) => writeTokens.immediate(list),
      flushMs: opts.flushMs ?? LEDGER_FLUSH_MS,
      onError: opts.onError ?? (() => {}),
    };
    if (this.#dirty.size > 0) this.#schedule();
    return this;
  }

  record(r: Receipt): void {
    const e: LedgerEntry = {
      time: r.time,
      service: r.service,
      tokenId: r.tokenId,
      paymentHash: r.paymentHash,
      amountMsat: r.amountMsat.toString(),
      use: r.use ?? 1,
    };
    this.entries.push(e);
    // One over the bound (the usual case): shift, which V8 does in place, not a copy.
    if (this.entries.length === this.max + 1) this.entries.shift();
    else if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    const t = this.tokens.get(r.tokenId);
    if (t) {
      t.lastSeen = r.time;
      t.uses = e.use;
    } else {
      this.tokens.set(r.tokenId, {
        tokenId: r.tokenId,
        service: r.service,
        firstSeen: r.time,
        lastSeen: r.time,
        uses: e.use,
        amountMsat: e.amountMsat,
      });
      if (this.tokens.size > this.max) this.tokens.delete(this.tokens.keys().next().value as string);
    }
    const p = this.#p;
    if (!p) return;
    if (e.use === 1) {
      try {
        p.insertPayment(e);
      } catch (err) {
        p.onError(err as Error);
      }
    }
    this.#dirty.add(r.tokenId);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || !this.#p) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#p.flushMs);
    this.#timer.unref?.();
  }

  /** Writes the token state changed since the last flush (one transaction). */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const p = this.#p;
    if (!p || this.#dirty.size === 0) return;
    if (!p.db.open) {
      this.#dirty.clear();
      return;
    }
    const list: LedgerToken[] = [];
    for (const id of this.#dirty) {
      const t = this.tokens.get(id);
      if (t) list.push(t);
    }
    try {
      p.writeTokens(list);
      this.#dirty.clear();
    } catch (err) {
      p.onError(err as Error);
      this.#schedule(); // kept dirty: tried again
    }
  }

  /** Flushes and stops writing to the attached database (memory stays as it is). */
  detach(): void {
    this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty.clear();
    this.#p = undefined;
  }

  /** Same as {@link detach}: call before closing the database. */
  close(): void {
    this.detach();
  }

  /** Sats earned per service per time bucket (`bucketSeconds`), newest last. */
  earnings(
    bucketSeconds = 3600,
    since = 0,
  ): { bucket: number; service: string; sats: number; count: number }[] {
    const map = new Map<string, { bucket: number; service: string; sats: number; count: number }>();
    for (const e of this.entries) {
      if (e.time < since || e.use !== 1) continue; // count each payment once (its first use)
      const bucket = Math.floor(e.time / bucketSeconds) * bucketSeconds;
      const k = `${bucket}|${e.service}`;
      const v = map.get(k) ?? { bucket, service: e.service, sats: 0, count: 0 };
      v.sats += Number(e.amountMsat) / 1000;
      v.count++;
      map.set(k, v);
    }
    return [...map.values()].sort((a, b) => a.bucket - b.bucket || a.service.localeCompare(b.service));
  }
}
