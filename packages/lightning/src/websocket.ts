/**
 * The WebSocket an adapter needs, as a structural type: the global `WebSocket` of browsers,
 * Deno, Bun and Cloudflare Workers fits it, and so does the `ws` package's class on Node 20
 * (which has no global WebSocket). Adapters take the constructor as an option.
 *
 * @module
 */
import { ErrorCodes } from '@farebox/core';
import { lnError } from './http.js';

/** The part of a WebSocket the adapters use. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: (event: object) => void): void;
}

/** A WebSocket constructor: `globalThis.WebSocket`, or `ws`'s default export on Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket. */
export const WS_OPEN = 1;

/**
 * The WebSocket constructor to use: the injected one, else the global one.
 * Throws LN_BAD_CONFIG when neither exists (Node 20: pass `ws`).
 *
 * @example
 * ```ts
 * import { resolveWebSocket } from '@farebox/lightning';
 * const WS = resolveWebSocket(undefined, 'nwc'); // globalThis.WebSocket, or LN_BAD_CONFIG
 * ```
 */
export function resolveWebSocket(
  ws: WebSocketConstructor | undefined,
  backend: string,
): WebSocketConstructor {
  if (ws) return ws;
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!g) {
    throw lnError(
      ErrorCodes.LN_BAD_CONFIG,
      backend,
      'no WebSocket in this runtime: pass the `WebSocket` option (on Node 20, the `ws` package)',
    );
  }
  return g;
}

/**
 * The text of a WebSocket message (string, or UTF-8 bytes from `ws`), or undefined.
 *
 * @example
 * ```ts
 * import { messageText } from '@farebox/lightning';
 * messageText(new TextEncoder().encode('["EOSE","x"]')); // '["EOSE","x"]'
 * ```
 */
export function messageText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return undefined;
}
