/**
 * The MCP server's configuration, from a JSON file and/or the environment (the environment
 * wins, so a client's `"env": {…}` block overrides a shared file). The environment is passed
 * in: this module never reads `process.env` itself.
 *
 * | variable | file key | meaning |
 * |---|---|---|
 * | `FAREBOX_WALLET` | `wallet` | wallet connection string (`nostr+walletconnect://…`, `lnd+rest://…`, `lnbits://…`, `dev+http://…`) |
 * | `FAREBOX_MAX_SATS_PER_CALL` | `maxSatsPerCall` | most one call may pay (default 100) |
 * | `FAREBOX_MAX_SATS_PER_HOUR` | `maxSatsPerHour` | rolling hour |
 * | `FAREBOX_MAX_SATS_PER_DAY` | `maxSatsPerDay` | rolling day (default 1000) |
 * | `FAREBOX_MAX_SATS_TOTAL` | `maxSatsTotal` | ever, in this store |
 * | `FAREBOX_MAX_SATS_PER_HOST` | `maxSatsPerHost` | per host, ever |
 * | `FAREBOX_ALLOW_HOSTS` / `FAREBOX_DENY_HOSTS` | `allowHosts` / `denyHosts` | comma-separated hosts or `*.example.com` |
 * | `FAREBOX_APPROVE_ABOVE_SATS` | `approveAboveSats` | payments above this need a human's yes |
 * | `FAREBOX_ALLOW_AGENT_LOWER_BUDGET` | `allowAgentLowerBudget` | the agent may lower (never raise) limits |
 * | `FAREBOX_ALLOW_PRIVATE_NETWORKS` | `allowPrivateNetworks` | reach loopback/private addresses (demos): `true`, or a list of addresses |
 * | `FAREBOX_MAX_RESPONSE_BYTES` | `maxResponseBytes` | most of a body read (default 1 MiB) |
 * | `FAREBOX_TIMEOUT_SECONDS` | `timeoutSeconds` | longest HTTP call, redirects included (default 30) |
 * | `FAREBOX_HOME` | `home` | where tokens and receipts are kept (default `~/.farebox`) |
 * | `FAREBOX_MCP_TOKEN` | `http.token` | bearer token for `--http` |
 *
 * A limit given as `none` has no cap.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, FareboxError } from '@farebox/core';

/** The resolved configuration. */
export interface McpConfig {
  wallet?: string;
  maxSatsPerCall?: number;
  maxSatsPerHour?: number;
  maxSatsPerDay?: number;
  maxSatsTotal?: number;
  maxSatsPerHost?: number;
  allowHosts?: string[];
  denyHosts?: string[];
  approveAboveSats?: number;
  allowAgentLowerBudget: boolean;
  allowPrivateNetworks: boolean;
  /** Private addresses allowed one by one (`FAREBOX_ALLOW_PRIVATE_NETWORKS=127.0.0.1,10.0.0.5`). */
  allowAddresses?: string[];
  maxResponseBytes: number;
  /** Longest HTTP call the tools make, seconds (default 30). */
  timeoutSeconds: number;
  home: string;
  http: { host: string; port: number; token?: string };
}

/** Defaults for an agent spending on its own: small. */
export const DEFAULT_MAX_SATS_PER_CALL = 100;
export const DEFAULT_MAX_SATS_PER_DAY = 1000;

const LIMITS = [
  ['maxSatsPerCall', 'FAREBOX_MAX_SATS_PER_CALL'],
  ['maxSatsPerHour', 'FAREBOX_MAX_SATS_PER_HOUR'],
  ['maxSatsPerDay', 'FAREBOX_MAX_SATS_PER_DAY'],
  ['maxSatsTotal', 'FAREBOX_MAX_SATS_TOTAL'],
  ['maxSatsPerHost', 'FAREBOX_MAX_SATS_PER_HOST'],
  ['approveAboveSats', 'FAREBOX_APPROVE_ABOVE_SATS'],
] as const;

function bad(field: string, expected: string, file?: string): never {
  throw new FareboxError(ErrorCodes.CONFIG_INVALID, `${field} must be ${expected}`, {
    data: file ? { field, file } : { field },
  });
}

function number(v: unknown, field: string, file?: string): number | null | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === null || v === 'none') return null;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) bad(field, 'a number ≥ 0 (or "none")', file);
  return n;
}

function bool(v: unknown, field: string, file?: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
  }
  return bad(field, 'true or false', file);
}

function list(v: unknown, field: string, file?: string): string[] | undefined {
  if (v === undefined || v === '') return undefined;
  const items =
    typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : bad(field, 'a list of hosts', file);
  return items
    .map((x) => (typeof x === 'string' ? x.trim() : bad(field, 'a list of hosts', file)))
    .filter(Boolean);
}

/** `true`/`false`, or a list of IP addresses allowed one by one. */
function privateNetworks(v: unknown, field: string, file?: string): boolean | string[] | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'boolean' || (typeof v === 'string' && /^(1|true|yes|on|0|false|no|off)$/i.test(v)))
    return bool(v, field, file);
  const items = list(v, field, file) ?? [];
  for (const a of items)
    if (isIP(a.replace(/^\[(.*)\]$/, '$1')) === 0) bad(field, 'true, false or a list of IP addresses', file);
  return items;
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The environment (`process.env` in the CLI). */
  env: Record<string, string | undefined>;
  /** A JSON config file (default: `FAREBOX_CONFIG` from the environment, if set). */
  file?: string;
}

/**
 * Reads the configuration.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@farebox/mcp';
 * const config = await loadConfig({ env: { FAREBOX_MAX_SATS_PER_DAY: '500' } });
 * config.maxSatsPerDay; // 500
 * ```
 */
export async function loadConfig(o: LoadConfigOptions): Promise<McpConfig> {
  const env = o.env;
  const file = o.file ?? (env.FAREBOX_CONFIG || undefined);
  let f: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new FareboxError(ErrorCodes.CONFIG_INVALID, `cannot read the config file ${file}`, {
        data: { file },
        cause: e,
      });
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      f = v as Record<string, unknown>;
    } catch (e) {
      throw new FareboxError(ErrorCodes.CONFIG_INVALID, `the config file ${file} is not a JSON object`, {
        data: { file },
        cause: e,
      });
    }
  }
  const fromFile = <T>(key: string, parse: (v: unknown, field: string, file?: string) => T) =>
    parse(f[key], key, file);
  const fromEnv = <T>(name: string, parse: (v: unknown, field: string) => T) => parse(env[name], name);

  const home =
    env.FAREBOX_HOME || (typeof f.home === 'string' ? f.home : '') || join(env.HOME || homedir(), '.farebox');
  const fileHttp = (f.http && typeof f.http === 'object' ? f.http : {}) as Record<string, unknown>;
  const port = number(fileHttp.port, 'http.port', file) ?? 8403;
  const token = env.FAREBOX_MCP_TOKEN || (typeof fileHttp.token === 'string' ? fileHttp.token : undefined);
  const cfg: McpConfig = {
    allowAgentLowerBudget:
      fromEnv('FAREBOX_ALLOW_AGENT_LOWER_BUDGET', bool) ?? fromFile('allowAgentLowerBudget', bool) ?? false,
    allowPrivateNetworks: false,
    maxResponseBytes:
      fromEnv('FAREBOX_MAX_RESPONSE_BYTES', number) ?? fromFile('maxResponseBytes', number) ?? 1024 * 1024,
    timeoutSeconds: fromEnv('FAREBOX_TIMEOUT_SECONDS', number) ?? fromFile('timeoutSeconds', number) ?? 30,
    home,
    http: {
      host: typeof fileHttp.host === 'string' ? fileHttp.host : '127.0.0.1',
      port,
      ...(token ? { token } : {}),
    },
  };
  if (!(cfg.timeoutSeconds >= 1))
    bad('FAREBOX_TIMEOUT_SECONDS / timeoutSeconds', 'a number of seconds ≥ 1', file);
  const wallet = env.FAREBOX_WALLET || (typeof f.wallet === 'string' ? f.wallet : undefined);
  if (wallet) cfg.wallet = wallet;
  const defaults: Record<string, number> = {
    maxSatsPerCall: DEFAULT_MAX_SATS_PER_CALL,
    maxSatsPerDay: DEFAULT_MAX_SATS_PER_DAY,
  };
  for (const [key, name] of LIMITS) {
    const e = fromEnv(name, number);
    const v = e !== undefined ? e : fromFile(key, number);
    const value = v === undefined ? defaults[key] : v === null ? undefined : v;
    if (value !== undefined) cfg[key] = value;
  }
  const priv =
    privateNetworks(env.FAREBOX_ALLOW_PRIVATE_NETWORKS, 'FAREBOX_ALLOW_PRIVATE_NETWORKS') ??
    privateNetworks(f.allowPrivateNetworks, 'allowPrivateNetworks', file);
  if (priv === true) cfg.allowPrivateNetworks = true;
  else if (priv) cfg.allowAddresses = priv;
  const allow = fromEnv('FAREBOX_ALLOW_HOSTS', list) ?? fromFile('allowHosts', list);
  if (allow) cfg.allowHosts = allow;
  const deny = fromEnv('FAREBOX_DENY_HOSTS', list) ?? fromFile('denyHosts', list);
  if (deny) cfg.denyHosts = deny;
  return cfg;
}
