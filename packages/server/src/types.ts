/**
 * The paywall's configuration and the decision it returns.
 *
 * @module
 */

import type { Keyring, ServerSecret, VerifiedToken } from '@farebox/core';
import type { InvoiceIssuer } from '@farebox/lightning';
import type { IpBuckets } from './client-ip.js';
import type { UsageStore } from './store/types.js';

/** How a paid token may be used. */
export type TokenPolicy =
  /** Bound to the exact request (method, path, query, body) and good for one successful use. */
  | { type: 'per-request'; validSeconds?: number }
  /** Any number of calls until it expires. */
  | { type: 'pass'; validSeconds: number }
  /** Good for `uses` successful calls. */
  | { type: 'credits'; uses: number; validSeconds?: number };

/** A price: sats, or msat with `{ msat }`, or a function of the request. */
export type Price =
  | number
  | { msat: bigint | number }
  | ((
      req: Request,
      ctx: { params: Record<string, string>; body?: unknown },
    ) => number | { msat: bigint | number } | Promise<number | { msat: bigint | number }>);

/** A request validator: returns field errors (empty or undefined when valid). */
export type RequestValidator = (
  body: unknown,
  req: Request,
) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;

/** One paid (or free) route. */
export interface RouteConfig {
  /** HTTP method, or `*` (default `*`). */
  method?: string;
  /** Path pattern: `/api/music`, `/files/:id`, `/v1/*` (with `pathRegExp`, only a label for discovery). */
  path: string;
  /** Match the path with a regular expression instead of the pattern (Aperture's `pathregexp`). */
  pathRegExp?: RegExp;
  /** Only requests for these hosts match (exact names, or regular expressions like Aperture's `hostregexp`). */
  hosts?: (string | RegExp)[];
  /** The price; 0 or `free: true` means no payment. */
  price?: Price;
  free?: boolean;
  /** Service name in the token's caveats (default: derived from the path). */
  service?: string;
  /** Capabilities put into the token (`<service>_capabilities`). */
  capabilities?: string[];
  /** Token policy (default per-request). */
  policy?: TokenPolicy;
  /** Human description (invoice memo, discovery, docs). */
  description?: string;
  /** Validates the request before an invoice is created ("validate before you charge"). */
  validate?: RequestValidator;
  /** JSON Schema of the request body, for discovery and OpenAPI. */
  requestSchema?: Record<string, unknown>;
  /** N free calls per client IP per day. */
  freePerDay?: number;
  /** Hash the body as canonical JSON (reformatting allowed) instead of raw bytes. Default: by content type. */
  bindJson?: boolean;
  /** Rate limits of this route (instead of the paywall's). */
  rateLimit?: {
    perIp?: { limit: number; windowSeconds: number };
    perToken?: { limit: number; windowSeconds: number };
  };
  /** Largest request body read for this route, bytes (instead of the paywall's). */
  maxBodyBytes?: number;
}

/** Events the paywall emits (all optional, never awaited on the request path for long). */
export interface PaywallEvents {
  challenge?(e: { route: string; paymentHash: string; amountMsat: bigint; tokenId: string }): void;
  paid?(e: { route: string; receipt: Receipt }): void;
  served?(e: { route: string; receipt?: Receipt; status: number; free?: boolean }): void;
  refused?(e: { route: string; code: string; status: number }): void;
}

/** What a served paid request leaves behind. */
export interface Receipt {
  tokenId: string;
  paymentHash: string;
  amountMsat: bigint;
  route: string;
  service: string;
  /** Unix seconds. */
  time: number;
  /** Uses committed including this one (known after the handler succeeded). */
  use?: number;
}

/** Paywall options. */
export interface PaywallOptions {
  /** Server secret(s): bytes, hex/base64 text, a list with ids (rotation), or a Keyring. */
  secret: Uint8Array | string | readonly ServerSecret[] | Keyring;
  /** The invoice issuer (any `@farebox/lightning` backend). */
  lightning: InvoiceIssuer;
  /** Routes, first match wins. */
  routes: RouteConfig[];
  /** Usage store (default: in memory). */
  store?: UsageStore;
  /** Invoice expiry, seconds (default 600). */
  invoiceExpirySeconds?: number;
  /** Macaroon location (default `farebox`). */
  location?: string;
  /** Refuse caveats farebox does not know (default false; client-appended `preimage=` is always understood). */
  strictCaveats?: boolean;
  /** Accept a bare payment hash (`L402 <hash>` or JSON `payment_hash`), checked against the backend. Default false. */
  acceptPaymentHash?: boolean;
  /** Largest request body the paywall reads to bind a token, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Rate limits (429 + Retry-After). */
  rateLimit?: {
    perIp?: { limit: number; windowSeconds: number };
    perToken?: { limit: number; windowSeconds: number };
  };
  /** CORS for browser clients (exposes WWW-Authenticate). `true` = any origin. */
  cors?: boolean | { origins: string[] | '*'; allowHeaders?: string[]; maxAgeSeconds?: number };
  /** Browsers (Accept: text/html) get a payment page. Default true. */
  paymentPage?: boolean;
  /** Event hooks. */
  events?: PaywallEvents;
  /** Signed webhooks for events. */
  webhook?: { url: string; secret: string; events?: (keyof PaywallEvents)[] };
  /** Trust `X-Forwarded-For` for the client IP (behind a proxy). Default false. */
  trustProxy?: boolean;
  /**
   * How wide a network counts as one client for `freePerDay` and `rateLimit.perIp`: IPv4 /24
   * and IPv6 /48 by default (as Aperture; one user cannot rotate through a network's
   * addresses); `{ ipv4: 32, ipv6: 64 }` counts per address.
   */
  ipBuckets?: IpBuckets;
  /** Clock (ms). */
  now?: () => number;
  /** Base path for farebox's own endpoints (default `/.well-known/l402`). */
  wellKnownBase?: string;
  /** Network name shown in discovery (default from the backend). */
  network?: string;
  /** Notice shown on pages and discovery, e.g. "dev node: no real money". */
  notice?: string;
  /** Discovery documents (`/.well-known/l402-services`, `/llms.txt`, `/openapi.json`); `false` turns them off. */
  discovery?: false | import('./discovery.js').DiscoveryOptions;
  /** A dev wallet the payment page may use to pay (dev node only; never in production). */
  devWallet?: import('@farebox/lightning').Payer;
}

/** Context an adapter passes along with a request. */
export interface RequestContext {
  /** The client's IP address as the socket saw it. */
  ip?: string;
}

/** What the engine decided about a request. Adapters only switch on `type`. */
export type Decision =
  /** No payment needed (free route, free tier, no matching route). */
  | {
      type: 'pass';
      request: Request;
      route?: string;
      /** The matched route's service (absent when no route matched). */
      service?: string;
      free?: boolean;
      settle(status: number): Promise<void>;
    }
  /** Answer with this response (402 challenge, 400/401/429/503 refusal, CORS preflight, discovery). */
  | { type: 'respond'; response: Response }
  /** Paid: run the handler with `request`, then call `settle(status)` (or `settle(500)` when it throws). */
  | {
      type: 'paid';
      request: Request;
      route: string;
      /** The matched route's service. */
      service?: string;
      token: VerifiedToken;
      receipt: Receipt;
      settle(status: number): Promise<void>;
    };
