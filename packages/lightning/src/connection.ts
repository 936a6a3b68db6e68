/**
 * Connection strings: one `--backend` / `--wallet` option for the CLI, the gateway and the
 * MCP server. Parsing is pure; opening a connection (reading macaroon and cert files) is in
 * `@farebox/lightning/node`.
 *
 * | string | backend |
 * |---|---|
 * | `dev` | the embedded dev node (this process) |
 * | `dev+http://127.0.0.1:9737?token=…` | a dev node in another process |
 * | `lnd+rest://host:8080?macaroon=<path\|hex>&cert=<path\|pem\|hex>` (or `lnd://`) | lnd REST |
 * | `lnd+grpc://host:10009?macaroon=…&cert=…` | lnd gRPC |
 * | `lnbits://host?key=<invoice or admin key>` (`lnbits+http://` for plain HTTP) | LNbits |
 * | `nostr+walletconnect://<wallet pubkey>?relay=…&secret=…` | Nostr Wallet Connect (NIP-47) |
 * | `cln+rest://host:3010?rune=…&cert=…` (`cln+http://`) | Core Lightning clnrest |
 * | `phoenixd://host:9740?password=…` (`phoenixd+https://`) | Phoenixd |
 * | `blink://api.blink.sv/graphql?key=…&wallet=<id>` (`blink+http://`) | Blink |
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';

/** A parsed connection. */
export type BackendConfig =
  | { type: 'dev'; url?: string; token?: string }
  | { type: 'lnd'; transport: 'rest' | 'grpc'; host: string; macaroon: string; cert?: string }
  | { type: 'lnbits'; url: string; key: string }
  | { type: 'nwc'; uri: string }
  | { type: 'cln'; url: string; rune: string; cert?: string }
  | { type: 'phoenixd'; url: string; password: string }
  | { type: 'blink'; url: string; apiKey: string; walletId?: string };

/** Query parameters that hold secrets; redacted in logs. */
const SECRET_PARAMS = ['macaroon', 'key', 'secret', 'rune', 'password', 'token', 'apikey', 'api_key'];

function bad(message: string): FareboxError {
  return new FareboxError(ErrorCodes.LN_BAD_CONFIG, `connection string: ${message}`);
}

function required(u: URL, name: string): string {
  const v = u.searchParams.get(name);
  if (!v) throw bad(`${u.protocol}// needs ?${name}=`);
  return v;
}

function optional(u: URL, name: string): string | undefined {
  return u.searchParams.get(name) ?? undefined;
}

function base(u: URL, scheme: 'http' | 'https', path = ''): string {
  if (!u.host) throw bad(`${u.protocol}// needs a host`);
  const p = u.pathname && u.pathname !== '/' ? u.pathname.replace(/\/$/, '') : path;
  return `${scheme}://${u.host}${p}`;
}

/**
 * Parses a connection string. Throws LN_BAD_CONFIG naming what is missing (never the secret).
 *
 * @example
 * ```ts
 * import { parseConnection } from '@farebox/lightning';
 * parseConnection('lnbits+http://127.0.0.1:5000?key=abc'); // { type: 'lnbits', url: 'http://127.0.0.1:5000', key: 'abc' }
 * ```
 */
export function parseConnection(s: string): BackendConfig {
  if (typeof s !== 'string' || s.trim() === '') throw bad('empty');
  const text = s.trim();
  if (text === 'dev' || text === 'dev:' || text === 'dev://') return { type: 'dev' };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // Name the scheme only when it looks like one: anything else may hold a secret.
    const scheme = /^[a-z][a-z0-9+.-]{0,30}:/i.exec(text)?.[0];
    throw bad(scheme ? `not a URL (${scheme}…)` : 'not a URL (expected <scheme>://…)');
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  switch (scheme) {
    case 'dev+http': {
      const token = optional(u, 'token');
      return token ? { type: 'dev', url: base(u, 'http'), token } : { type: 'dev', url: base(u, 'http') };
    }
    case 'lnd':
    case 'lnd+rest':
    case 'lnd+grpc': {
      if (!u.host) throw bad('lnd needs host:port');
      const cert = optional(u, 'cert') ?? optional(u, 'tlscert');
      const cfg: BackendConfig = {
        type: 'lnd',
        transport: scheme === 'lnd+grpc' ? 'grpc' : 'rest',
        host: u.host,
        macaroon: required(u, 'macaroon'),
      };
      if (cert) cfg.cert = cert;
      return cfg;
    }
    case 'lnbits':
    case 'lnbits+https':
    case 'lnbits+http':
      return {
        type: 'lnbits',
        // `tls=0` (as `scripts/regtest env` prints for loopback) means plain HTTP too.
        url: base(u, scheme === 'lnbits+http' || u.searchParams.get('tls') === '0' ? 'http' : 'https'),
        key: required(u, 'key'),
      };
    case 'nostr+walletconnect':
    case 'nostrwalletconnect':
      required(u, 'relay');
      required(u, 'secret');
      return { type: 'nwc', uri: text };
    case 'cln':
    case 'cln+rest':
    case 'cln+https':
    case 'cln+http': {
      const cert = optional(u, 'cert');
      const cfg: BackendConfig = {
        type: 'cln',
        url: base(u, scheme === 'cln+http' ? 'http' : 'https'),
        rune: required(u, 'rune'),
      };
      if (cert) cfg.cert = cert;
      return cfg;
    }
    case 'phoenixd':
    case 'phoenixd+http':
    case 'phoenixd+https':
      return {
        type: 'phoenixd',
        url: base(u, scheme === 'phoenixd+https' ? 'https' : 'http'),
        password: required(u, 'password'),
      };
    case 'blink':
    case 'blink+https':
    case 'blink+http': {
      const walletId = optional(u, 'wallet');
      const cfg: BackendConfig = {
        type: 'blink',
        url: base(u, scheme === 'blink+http' ? 'http' : 'https', '/graphql'),
        apiKey: required(u, 'key'),
      };
      if (walletId) cfg.walletId = walletId;
      return cfg;
    }
    default:
      throw bad(
        `unknown scheme ${scheme}: (known: dev, lnd+rest, lnd+grpc, lnbits, nostr+walletconnect, cln+rest, phoenixd, blink)`,
      );
  }
}

/**
 * The connection string with every secret replaced by `***`, for logs and screens.
 *
 * @example
 * ```ts
 * import { redactConnection } from '@farebox/lightning';
 * redactConnection('lnbits://h?key=abc'); // 'lnbits://h?key=***'
 * ```
 */
export function redactConnection(s: string): string {
  try {
    const u = new URL(s);
    for (const k of [...u.searchParams.keys()]) {
      if (SECRET_PARAMS.includes(k.toLowerCase())) u.searchParams.set(k, '***');
    }
    if (u.password) u.password = '***';
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    return s.split('?')[0] ?? '';
  }
}
