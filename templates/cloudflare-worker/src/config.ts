/**
 * The Worker's bindings and settings, checked once per isolate. A bad or missing setting
 * is reported by name (never by value: some are secrets).
 *
 * @module
 */
import { fromBase64, fromHex, isHex } from '@farebox/core';
import type { UsageCounter } from './usage-counter.js';

/** What `wrangler.jsonc` and `wrangler secret put` give the Worker. */
export interface Env {
  /** Secret: the LNbits server, e.g. `https://lnbits.example`. */
  LNBITS_URL?: string;
  /** Secret: the wallet's Invoice/read key (the Worker refuses an admin key). */
  LNBITS_KEY?: string;
  /** Secret: ≥ 32 random bytes, hex or base64 (`openssl rand -hex 32`); signs the tokens. */
  FAREBOX_SECRET?: string;
  SERVICE_NAME?: string;
  PRICE_SATS?: string;
  FREE_PER_DAY?: string;
  /** Prefix lengths counted as one client by the free tier: IPv4 (32: per address) and IPv6 (64). */
  FREE_IPV4_PREFIX?: string;
  FREE_IPV6_PREFIX?: string;
  /** `echo` (default), `ai` or `upstream`. */
  ANSWER?: string;
  AI_MODEL?: string;
  UPSTREAM_URL?: string;
  /** Secret (optional): sent as `Authorization` to the upstream. */
  UPSTREAM_AUTHORIZATION?: string;
  CORS_ORIGINS?: string;
  USAGE: DurableObjectNamespace<UsageCounter>;
  FREE_KV: KVNamespace;
  AI?: Ai;
}

/** The settings, parsed. */
export interface Config {
  lnbitsUrl: string;
  lnbitsKey: string;
  secret: Uint8Array;
  serviceName: string;
  priceSats: number;
  freePerDay: number;
  /** One client for the free tier: per address by default (IPv4 /32, IPv6 /64). */
  freeBuckets: { ipv4: number; ipv6: number };
  answer: 'echo' | 'ai' | 'upstream';
  aiModel: string;
  upstreamUrl?: string;
  upstreamAuthorization?: string;
  cors: true | { origins: string[] };
}

/** A setting is missing or invalid; `setting` names it. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_AI_MODEL = '@cf/meta/llama-3.1-8b-instruct';

function required(env: Env, name: 'LNBITS_URL' | 'LNBITS_KEY' | 'FAREBOX_SECRET'): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(name, `missing: set it with \`npx wrangler secret put ${name}\``);
  return v;
}

function httpUrl(name: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, 'not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(name, 'must be http(s)');
  return v.replace(/\/+$/, '');
}

function integer(name: string, v: string | undefined, fallback: number, min: number, max = Infinity): number {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(
      name,
      max === Infinity ? `must be an integer ≥ ${min}` : `must be an integer ${min}–${max}`,
    );
  return n;
}

/** The token secret: hex or base64, at least 32 bytes, not a placeholder of one repeated byte. */
function secretBytes(v: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = isHex(v) ? fromHex(v) : fromBase64(v);
  } catch {
    throw new ConfigError('FAREBOX_SECRET', 'must be hex or base64 (`openssl rand -hex 32`)');
  }
  if (bytes.length < 32) throw new ConfigError('FAREBOX_SECRET', 'must be at least 32 bytes');
  if (bytes.every((b) => b === bytes[0]))
    throw new ConfigError('FAREBOX_SECRET', 'is a placeholder; use `openssl rand -hex 32`');
  return bytes;
}

/**
 * Reads and checks the settings.
 *
 * @example
 * ```ts
 * const cfg = readConfig(env); // throws ConfigError naming the bad setting
 * ```
 */
export function readConfig(env: Env): Config {
  const lnbitsUrl = httpUrl('LNBITS_URL', required(env, 'LNBITS_URL'));
  const lnbitsKey = required(env, 'LNBITS_KEY');
  const secret = secretBytes(required(env, 'FAREBOX_SECRET'));
  const answer = (env.ANSWER?.trim() || 'echo').toLowerCase();
  if (answer !== 'echo' && answer !== 'ai' && answer !== 'upstream')
    throw new ConfigError('ANSWER', 'must be "echo", "ai" or "upstream"');
  if (answer === 'ai' && !env.AI)
    throw new ConfigError('AI', 'ANSWER is "ai" but there is no AI binding in wrangler.jsonc');
  const cfg: Config = {
    lnbitsUrl,
    lnbitsKey,
    secret,
    serviceName: env.SERVICE_NAME?.trim() || 'My L402 API',
    priceSats: integer('PRICE_SATS', env.PRICE_SATS, 21, 1),
    freePerDay: integer('FREE_PER_DAY', env.FREE_PER_DAY, 1, 0),
    freeBuckets: {
      ipv4: integer('FREE_IPV4_PREFIX', env.FREE_IPV4_PREFIX, 32, 0, 32),
      ipv6: integer('FREE_IPV6_PREFIX', env.FREE_IPV6_PREFIX, 64, 0, 128),
    },
    answer,
    aiModel: env.AI_MODEL?.trim() || DEFAULT_AI_MODEL,
    cors: corsOf(env.CORS_ORIGINS),
  };
  if (answer === 'upstream') {
    if (!env.UPSTREAM_URL) throw new ConfigError('UPSTREAM_URL', 'missing; ANSWER is "upstream"');
    cfg.upstreamUrl = httpUrl('UPSTREAM_URL', env.UPSTREAM_URL.trim());
    if (env.UPSTREAM_AUTHORIZATION) cfg.upstreamAuthorization = env.UPSTREAM_AUTHORIZATION;
  }
  return cfg;
}

function corsOf(v: string | undefined): Config['cors'] {
  const list = (v ?? '*')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0 || list.includes('*')) return true;
  return { origins: list };
}
