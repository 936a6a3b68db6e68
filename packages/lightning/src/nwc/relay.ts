/**
 * A minimal Nostr relay connection (NIP-01: REQ, EVENT, CLOSE; EOSE, OK, CLOSED) over any
 * WebSocket. It reopens the socket when it drops while subscriptions are live and sends
 * their REQs again; publishes in flight fail with LN_UNREACHABLE, since a relay that
 * dropped may or may not have taken the event.
 *
 * @module
 */
import { ErrorCodes, type FareboxError, randomBytes, toHex } from '@farebox/core';
import { lnError } from '../http.js';
import { messageText, type WebSocketConstructor, type WebSocketLike, WS_OPEN } from '../websocket.js';

/** A signed Nostr event. */
export interface NostrEvent {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
  sig: string;
}

/** A NIP-01 filter. */
export interface NostrFilter {
  ids?: string[];
  kinds?: number[];
  authors?: string[];
  since?: number;
  until?: number;
  limit?: number;
  [tag: `#${string}`]: string[] | undefined;
}

/** Callbacks of one subscription. */
export interface SubscriptionHandlers {
  onEvent(event: unknown): void;
  /** Stored events sent; live ones follow. */
  onEose?(): void;
  /** The relay ended the subscription (`CLOSED`). */
  onClosed?(reason: string): void;
  /** The connection dropped and could not be reopened. */
  onDown?(err: FareboxError): void;
}

interface Sub extends SubscriptionHandlers {
  filters: NostrFilter[];
}

/** Largest relay message read (NIP-47 asks relays to allow 64 KB payloads). */
const MAX_MESSAGE = 1024 * 1024;

/**
 * One relay, one socket.
 *
 * @example
 * ```ts
 * import { RelayConnection } from '@farebox/lightning';
 * const relay = new RelayConnection('wss://relay.example', WebSocket);
 * await relay.connect({ timeoutMs: 5000 });
 * const sub = relay.subscribe([{ kinds: [13194], limit: 1 }], { onEvent: (e) => console.log(e) });
 * sub.close();
 * relay.close();
 * ```
 */
export class RelayConnection {
  readonly url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #backend: string;
  #ws: WebSocketLike | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  readonly #subs = new Map<string, Sub>();
  readonly #oks = new Map<string, { resolve(): void; reject(e: FareboxError): void }>();

  constructor(url: string, WebSocket: WebSocketConstructor, backend = 'nwc') {
    this.url = url;
    this.#WebSocket = WebSocket;
    this.#backend = backend;
  }

  /** The relay's host, for messages (a relay URL may carry tokens in its query). */
  get host(): string {
    try {
      return new URL(this.url).host;
    } catch {
      return 'relay';
    }
  }

  get connected(): boolean {
    return this.#ws?.readyState === WS_OPEN;
  }

  /** Opens the socket (or waits for the attempt under way). Rejects with LN_UNREACHABLE. */
  connect(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    if (this.#closed)
      return Promise.reject(lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, 'connection closed'));
    if (this.connected) return Promise.resolve();
    this.#connecting ??= this.#open(opts.timeoutMs).finally(() => {
      this.#connecting = undefined;
    });
    const attempt = this.#connecting;
    const signal = opts.signal;
    if (!signal) return attempt;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () =>
        reject(lnError(ErrorCodes.LN_TIMEOUT, this.#backend, `connecting to ${this.host} timed out`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      attempt.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  #open(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new this.#WebSocket(this.url);
      } catch (e) {
        return reject(lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, `cannot open ${this.host}`, {}, e));
      }
      let opened = false;
      const fail = (why: string) => {
        if (opened) return;
        opened = true;
        clearTimeout(timer);
        try {
          ws.close();
        } catch {
          // not open
        }
        reject(lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, `relay ${this.host} ${why}`));
      };
      const timer = setTimeout(() => fail(`did not answer within ${timeoutMs} ms`), timeoutMs);
      ws.addEventListener('open', () => {
        if (opened) return;
        opened = true;
        clearTimeout(timer);
        if (this.#closed) {
          ws.close();
          return reject(lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, 'connection closed'));
        }
        this.#ws = ws;
        for (const [id, sub] of this.#subs) this.#send(['REQ', id, ...sub.filters]);
        resolve();
      });
      ws.addEventListener('error', () => fail('refused the connection'));
      ws.addEventListener('close', () => {
        fail('closed the connection');
        this.#onClose(ws);
      });
      ws.addEventListener('message', (ev) => {
        if (ws === this.#ws) this.#onMessage(ev.data);
      });
    });
  }

  #onClose(ws: WebSocketLike): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    const err = lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, `lost the connection to ${this.host}`, {
      sent: true,
    });
    for (const ok of this.#oks.values()) ok.reject(err);
    this.#oks.clear();
    if (this.#closed || this.#subs.size === 0) return;
    // Live subscriptions (a request awaiting its answer, notifications): reopen once.
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      this.connect({ timeoutMs: 5000 }).catch((e: FareboxError) => {
        for (const sub of [...this.#subs.values()]) sub.onDown?.(e);
      });
    }, 100);
  }

  #onMessage(data: unknown): void {
    const text = messageText(data);
    if (text === undefined || text.length > MAX_MESSAGE) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(msg) || typeof msg[0] !== 'string') return;
    const [type, a, b, c] = msg as [string, unknown, unknown, unknown];
    if (type === 'EVENT' && typeof a === 'string') this.#subs.get(a)?.onEvent(b);
    else if (type === 'EOSE' && typeof a === 'string') this.#subs.get(a)?.onEose?.();
    else if (type === 'CLOSED' && typeof a === 'string') {
      const sub = this.#subs.get(a);
      this.#subs.delete(a);
      sub?.onClosed?.(typeof b === 'string' ? b.slice(0, 200) : '');
    } else if (type === 'OK' && typeof a === 'string') {
      const ok = this.#oks.get(a);
      if (!ok) return;
      this.#oks.delete(a);
      if (b === true) ok.resolve();
      else {
        const why = typeof c === 'string' ? c.slice(0, 200) : '';
        const code = why.startsWith('auth-required')
          ? ErrorCodes.LN_UNAUTHORIZED
          : ErrorCodes.LN_BAD_RESPONSE;
        ok.reject(
          lnError(code, this.#backend, `relay ${this.host} refused the event${why ? `: ${why}` : ''}`),
        );
      }
    }
    // NOTICE and AUTH (NIP-42) are ignored.
  }

  #send(msg: unknown[]): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WS_OPEN) return false;
    try {
      ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  /** Subscribes; the REQ is sent now if connected, else when the socket opens. */
  subscribe(filters: NostrFilter[], handlers: SubscriptionHandlers): { close(): void } {
    const id = toHex(randomBytes(8));
    this.#subs.set(id, { ...handlers, filters });
    this.#send(['REQ', id, ...filters]);
    return {
      close: () => {
        if (this.#subs.delete(id)) this.#send(['CLOSE', id]);
      },
    };
  }

  /**
   * Sends an event; resolves on the relay's `OK true`, rejects on `OK false` or a dropped
   * connection. The caller bounds the wait (a relay may never answer).
   */
  publish(event: NostrEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#oks.set(event.id, { resolve, reject });
      if (!this.#send(['EVENT', event])) {
        this.#oks.delete(event.id);
        reject(
          lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, `not connected to ${this.host}`, { sent: false }),
        );
      }
    });
  }

  /** Forgets a publish whose outcome no longer matters. */
  forget(eventId: string): void {
    this.#oks.delete(eventId);
  }

  /** Closes the socket for good. */
  close(): void {
    this.#closed = true;
    if (this.#reconnect) clearTimeout(this.#reconnect);
    const err = lnError(ErrorCodes.LN_UNREACHABLE, this.#backend, 'connection closed');
    for (const ok of this.#oks.values()) ok.reject(err);
    this.#oks.clear();
    this.#subs.clear();
    const ws = this.#ws;
    this.#ws = undefined;
    try {
      ws?.close();
    } catch {
      // already closed
    }
  }
}
