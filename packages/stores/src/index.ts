/**
 * `@farebox/stores`: usage stores for `@farebox/server`. Import a store from its own
 * subpath so only its driver loads: `@farebox/stores/sqlite` (better-sqlite3),
 * `@farebox/stores/redis` (ioredis), `@farebox/stores/postgres` (pg). This module holds
 * their types only (no driver is loaded by importing it).
 *
 * @example
 * ```ts
 * import { RedisStore, type RedisStoreOptions } from '@farebox/stores/redis';
 * const opts: RedisStoreOptions = { prefix: 'myapi:' };
 * const store = new RedisStore('redis://127.0.0.1:6379', opts);
 * ```
 *
 * @module
 */
export type { Reservation, UsageStore } from '@farebox/server';
export type { PostgresStore, PostgresStoreOptions } from './postgres.js';
export type { RedisClient, RedisStore, RedisStoreOptions } from './redis.js';
export type { SqliteStore, SqliteStoreOptions } from './sqlite.js';
