/**
 * What the stores share: the checks of their arguments and options (each failure is
 * INVALID_ARGUMENT naming the parameter, before any I/O), the limits on keys and
 * lifetimes, and keeping passwords out of the messages of their errors. No driver is
 * imported here, so each store's subpath still loads only its own driver.
 *
 * @module
 */
import { invalidArgument } from '@farebox/core';

/** Longest key or token id accepted. */
export const MAX_KEY = 2048;
/** Lifetimes are capped at 100 years: a bound on retention, never a refusal. */
export const MAX_MS = 100 * 365 * 86_400_000;
/** Expired rows are deleted every this many writes. */
export const SWEEP_EVERY = 1024;
/** Rows deleted per table by one sweep. */
export const SWEEP_BATCH = 1000;

/** A SQL identifier inlined in statements: letters, digits, `_`, not starting with a digit. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/**
 * A key or token id: a non-empty string of at most {@link MAX_KEY} characters without NUL.
 *
 * @example
 * ```ts
 * checkKey('tokenId', 'tok-1'); // 'tok-1'
 * checkKey('key', ''); // throws INVALID_ARGUMENT, data.parameter 'key'
 * ```
 */
export function checkKey(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_KEY || v.includes('\0'))
    invalidArgument(name, `a non-empty string of at most ${MAX_KEY} characters without NUL`);
  return v;
}

/**
 * A positive, finite number of seconds as whole milliseconds (at least 1, at most
 * {@link MAX_MS}).
 *
 * @example
 * ```ts
 * toMs('ttlSeconds', 1.5); // 1500
 * ```
 */
export function toMs(name: string, seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0)
    invalidArgument(name, 'a positive, finite number of seconds');
  return Math.min(MAX_MS, Math.max(1, Math.ceil(seconds * 1000)));
}

/**
 * A safe integer of at least `min`.
 *
 * @example
 * ```ts
 * checkInt('maxUses', 3, 0); // 3
 * ```
 */
export function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    invalidArgument(name, `an integer ≥ ${min}`);
  return v;
}

/**
 * A name inlined into SQL (a schema, a table prefix): checked against a strict pattern,
 * since identifiers cannot be bound as parameters.
 *
 * @example
 * ```ts
 * checkIdent('tablePrefix', 'api_'); // 'api_'
 * ```
 */
export function checkIdent(name: string, v: unknown): string {
  if (typeof v !== 'string' || !IDENT.test(v))
    invalidArgument(name, 'letters, digits and "_" (at most 40), not starting with a digit');
  return v;
}

/**
 * Checks a store's options object and its `now`; returns the clock to use (default
 * `Date.now`).
 *
 * @example
 * ```ts
 * const now = clockOf({}); // () => Date.now()
 * ```
 */
export function clockOf(opts: { now?: () => number } | null): () => number {
  if (opts === null || typeof opts !== 'object') invalidArgument('opts', 'an options object');
  if (opts.now !== undefined && typeof opts.now !== 'function') invalidArgument('now', 'a function');
  return opts.now ?? (() => Date.now());
}

/**
 * Checks the arguments of `reserve`: the token id, then the options (`maxUses`,
 * `ttlSeconds`, `reservationSeconds`), the lifetimes in ms.
 *
 * @example
 * ```ts
 * reserveArgs('tok', { maxUses: 1, ttlSeconds: 60, reservationSeconds: 30 }); // { max: 1, ttl: 60000, resMs: 30000 }
 * ```
 */
export function reserveArgs(
  tokenId: string,
  opts: { maxUses?: number; ttlSeconds: number; reservationSeconds: number },
): { max: number | undefined; ttl: number; resMs: number } {
  checkKey('tokenId', tokenId);
  if (!opts || typeof opts !== 'object') invalidArgument('opts', 'an options object');
  const max = opts.maxUses === undefined ? undefined : checkInt('maxUses', opts.maxUses, 0);
  return {
    max,
    ttl: toMs('ttlSeconds', opts.ttlSeconds),
    resMs: toMs('reservationSeconds', opts.reservationSeconds),
  };
}

/**
 * Checks the arguments of `increment`; returns the window in ms.
 *
 * @example
 * ```ts
 * incrementArgs('rl:1.2.3.4', 60, 1); // 60000
 * ```
 */
export function incrementArgs(key: string, windowSeconds: number, by: number): number {
  checkKey('key', key);
  const window = toMs('windowSeconds', windowSeconds);
  checkInt('by', by, Number.MIN_SAFE_INTEGER);
  return window;
}

/**
 * The key under which a revoked token id is kept.
 *
 * @example
 * ```ts
 * revokedKey('tok'); // 'revoked:tok'
 * ```
 */
export function revokedKey(tokenId: string): string {
  return `revoked:${checkKey('tokenId', tokenId)}`;
}

/**
 * Checks a URL target (`redis://…`, `postgres://…`) against the protocols a store takes;
 * returns it with its password (and any `pass`/`secret`/`token` query parameter) replaced
 * by `***`, for error messages.
 *
 * @example
 * ```ts
 * checkUrl('redis://:pw@127.0.0.1:6379', { protocols: ['redis:', 'rediss:'], expected: 'a redis:// URL' }); // 'redis://:***@127.0.0.1:6379'
 * ```
 */
export function checkUrl(target: string, o: { protocols: string[]; expected: string }): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    invalidArgument('target', o.expected);
  }
  if (!o.protocols.includes(url.protocol)) invalidArgument('target', o.expected);
  return redactUrl(target);
}

/**
 * A URL with its password (and any `pass`/`secret`/`token` query parameter) replaced by
 * `***`.
 *
 * @example
 * ```ts
 * redactUrl('postgres://app:hunter2@db/app'); // 'postgres://app:***@db/app'
 * ```
 */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()])
      if (/pass|secret|token/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * Removes `user:password@` from any URL inside a message (drivers put the connection
 * string in some of theirs).
 *
 * @example
 * ```ts
 * scrub('connect to redis://:pw@host failed'); // 'connect to redis://:***@host failed'
 * ```
 */
export function scrub(message: string): string {
  return message.replace(/(\w+:\/\/[^:/@\s]*):[^@/\s]*@/g, '$1:***@');
}
