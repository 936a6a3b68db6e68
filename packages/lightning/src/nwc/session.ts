/**
 * The NIP-47 transport under `NwcBackend`: picks a relay, reads the wallet's info event
 * to choose the encryption, sends requests and matches their answers, and routes
 * notifications to whoever watches a payment hash. Everything from the relay is checked:
 * only events the wallet signed count (the relay is not trusted).
 *
 * @module
 */
import { ErrorCodes, type FareboxError } from '@farebox/core';
import { finalizeEvent, verifyEvent } from 'nostr-tools/pure';
import { type deadline, lnError } from '../http.js';
import type { InvoiceStatus } from '../types.js';
import type { WebSocketConstructor } from '../websocket.js';
import {
  chooseEncryption,
  Nip47Cipher,
  type Nip47Info,
  type Nip47Transaction,
  NWC_KINDS,
  type NwcConnection,
  nip47Error,
  parseInfoEvent,
  transactionToStatus,
} from './nip47.js';
import { type NostrEvent, RelayConnection } from './relay.js';

const BACKEND = 'nwc';

/** A call's deadline (from `deadline()` in http.ts). */
export type Deadline = ReturnType<typeof deadline>;

function isEvent(v: unknown): v is NostrEvent {
  const e = v as NostrEvent;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e.pubkey === 'string' &&
    typeof e.sig === 'string' &&
    typeof e.kind === 'number' &&
    typeof e.created_at === 'number' &&
    typeof e.content === 'string' &&
    Array.isArray(e.tags) &&
    e.tags.every((t) => Array.isArray(t) && t.every((x) => typeof x === 'string'))
  );
}

/** The `result` of a decrypted answer, or the error it stands for. */
function readAnswer(method: string, text: string): Record<string, unknown> | FareboxError {
  let body: { result_type?: unknown; error?: unknown; result?: unknown };
  try {
    body = JSON.parse(text);
  } catch (e) {
    return lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, `${method}: the answer is not JSON`, { method }, e);
  }
  if (body?.error && typeof body.error === 'object') return nip47Error(method, body.error);
  if (body?.result_type !== undefined && body.result_type !== method) {
    const other = String(body.result_type).slice(0, 40);
    return lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, `${method}: the answer is for ${other}`, { method });
  }
  if (!body?.result || typeof body.result !== 'object') {
    return lnError(ErrorCodes.LN_BAD_RESPONSE, BACKEND, `${method}: answer without a result`, { method });
  }
  return body.result as Record<string, unknown>;
}

/** What a session has open: the relay in use, the wallet's info and the cipher. */
export interface Opened {
  relay: RelayConnection;
  info: Nip47Info;
  cipher: Nip47Cipher;
}

/**
 * One client's connection to one wallet: the transport under `NwcBackend` (use that; this
 * class is internal and not exported from the package).
 *
 * @internal
 * @example
 * ```ts
 * // What NwcBackend does for one call:
 * const d = deadline({ timeoutMs: 10_000 });
 * try {
 *   const { balance } = await session.request('get_balance', {}, d);
 * } finally {
 *   d.done();
 * }
 * ```
 */
export class NwcSession {
  readonly walletPubkey: string;
  readonly #secret: Uint8Array;
  readonly #clientPubkey: string;
  readonly #relays: RelayConnection[];
  #current = 0;
  #info: Nip47Info | undefined;
  #cipher: Nip47Cipher | undefined;
  #notifications: { relay: RelayConnection; sub: { close(): void } } | undefined;
  readonly #watchers = new Map<string, Set<(s: InvoiceStatus) => void>>();
  readonly #pending = new Set<(e: FareboxError) => void>();
  #closed = false;

  constructor(conn: NwcConnection, WebSocket: WebSocketConstructor) {
    this.walletPubkey = conn.walletPubkey;
    this.#secret = conn.secret;
    this.#clientPubkey = conn.clientPubkey;
    this.#relays = conn.relays.map((url) => new RelayConnection(url, WebSocket, BACKEND));
  }

  get info(): Nip47Info | undefined {
    return this.#info;
  }

  get cipher(): Nip47Cipher | undefined {
    return this.#cipher;
  }

  /** An LN_TIMEOUT for `what` at deadline `d`. */
  timeout(d: Deadline, what: string, cause?: unknown): FareboxError {
    const why = d.timedOut ? `${what}: no answer within ${d.ms} ms` : `${what}: aborted`;
    return lnError(ErrorCodes.LN_TIMEOUT, BACKEND, why, {}, cause);
  }

  /** Registers a call in flight; `close()` fails it with LN_UNREACHABLE. Returns the unregister. */
  track(fail: (e: FareboxError) => void): () => void {
    this.#pending.add(fail);
    return () => this.#pending.delete(fail);
  }

  #valid(raw: unknown, kind: number): raw is NostrEvent {
    return isEvent(raw) && raw.kind === kind && raw.pubkey === this.walletPubkey && verifyEvent(raw);
  }

  /** A connected relay: the current one, else the next that answers. */
  async #relay(d: Deadline): Promise<RelayConnection> {
    if (this.#closed) throw lnError(ErrorCodes.LN_UNREACHABLE, BACKEND, 'closed');
    let last: unknown;
    for (let i = 0; i < this.#relays.length; i++) {
      const idx = (this.#current + i) % this.#relays.length;
      const relay = this.#relays[idx]!;
      try {
        await relay.connect({ timeoutMs: Math.min(d.ms, 10_000), signal: d.signal });
        this.#current = idx;
        return relay;
      } catch (e) {
        if (d.signal.aborted) throw this.timeout(d, 'connecting to the relay', e);
        last = e;
      }
    }
    throw last;
  }

  /** The wallet's info event (kind 13194): capabilities and encryption. */
  async #walletInfo(relay: RelayConnection, d: Deadline): Promise<Nip47Info> {
    if (this.#info) return this.#info;
    const ev = await new Promise<NostrEvent | undefined>((resolve, reject) => {
      let best: NostrEvent | undefined;
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        sub.close();
        d.signal.removeEventListener('abort', onAbort);
        untrack();
        if (err) reject(err);
        else resolve(best);
      };
      const onAbort = () => (best ? finish() : finish(this.timeout(d, 'reading the wallet info event')));
      const sub = relay.subscribe([{ kinds: [NWC_KINDS.info], authors: [this.walletPubkey], limit: 1 }], {
        onEvent: (raw) => {
          if (this.#valid(raw, NWC_KINDS.info) && (!best || raw.created_at > best.created_at)) best = raw;
        },
        onEose: () => finish(),
        onClosed: () => finish(),
        onDown: (e) => finish(e),
      });
      const untrack = this.track(finish);
      if (d.signal.aborted) onAbort();
      else d.signal.addEventListener('abort', onAbort, { once: true });
    });
    // No info event: NIP-47 says to assume NIP-04; not cached, so a later call looks again.
    if (!ev) return { methods: [], notifications: [], encryption: ['nip04'] };
    this.#info = parseInfoEvent(ev);
    return this.#info;
  }

  /** Connects (if needed) and learns the wallet's encryption. */
  async open(d: Deadline): Promise<Opened> {
    const relay = await this.#relay(d);
    const info = await this.#walletInfo(relay, d);
    const scheme = chooseEncryption(info);
    if (this.#cipher?.scheme !== scheme)
      this.#cipher = new Nip47Cipher(scheme, this.#secret, this.walletPubkey);
    return { relay, info, cipher: this.#cipher };
  }

  /**
   * Sends one request (kind 23194, with an `expiration` at the deadline so a late wallet
   * ignores it) and resolves its answer's `result`.
   */
  async request(
    method: string,
    params: Record<string, unknown>,
    d: Deadline,
  ): Promise<Record<string, unknown>> {
    const endsAt = Date.now() + d.ms;
    const { relay, cipher } = await this.open(d);
    const tags = [['p', this.walletPubkey]];
    if (cipher.scheme === 'nip44_v2') tags.push(['encryption', 'nip44_v2']);
    tags.push(['expiration', String(Math.ceil(endsAt / 1000))]);
    const content = cipher.encrypt(JSON.stringify({ method, params }));
    const created_at = Math.floor(Date.now() / 1000);
    const event = finalizeEvent(
      { kind: NWC_KINDS.request, created_at, tags, content },
      this.#secret,
    ) as NostrEvent;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      let done = false;
      const finish = (err: unknown, result?: Record<string, unknown>) => {
        if (done) return;
        done = true;
        sub.close();
        relay.forget(event.id);
        d.signal.removeEventListener('abort', onAbort);
        untrack();
        if (result) resolve(result);
        else reject(err);
      };
      const onAbort = () => finish(this.timeout(d, `${method}: the wallet did not answer`));
      const filter = { kinds: [NWC_KINDS.response], authors: [this.walletPubkey], '#e': [event.id] };
      const sub = relay.subscribe([filter], {
        onEvent: (raw) => {
          if (!this.#valid(raw, NWC_KINDS.response)) return;
          if (!raw.tags.some((t) => t[0] === 'e' && t[1] === event.id)) return;
          let text: string;
          try {
            text = cipher.decrypt(raw.content);
          } catch (e) {
            return finish(
              lnError(
                ErrorCodes.LN_BAD_RESPONSE,
                BACKEND,
                `${method}: cannot decrypt the answer`,
                { method },
                e,
              ),
            );
          }
          const answer = readAnswer(method, text);
          if (answer instanceof Error) finish(answer);
          else finish(undefined, answer);
        },
        onClosed: (reason) => {
          const code = reason.startsWith('auth-required')
            ? ErrorCodes.LN_UNAUTHORIZED
            : ErrorCodes.LN_UNREACHABLE;
          const why = `${method}: the relay closed the subscription${reason ? `: ${reason}` : ''}`;
          finish(lnError(code, BACKEND, why, { method }));
        },
        onDown: (e) => {
          const why = `${method}: lost the relay before the answer (the wallet may have acted)`;
          finish(lnError(ErrorCodes.LN_UNREACHABLE, BACKEND, why, { method, sent: true }, e));
        },
      });
      const untrack = this.track(finish);
      if (d.signal.aborted) return onAbort();
      d.signal.addEventListener('abort', onAbort, { once: true });
      relay.publish(event).catch((e: FareboxError) => {
        // Lost after sending: the answer may still come once the relay is back (else onDown).
        if (e.data?.sent !== true) finish(e);
      });
    });
  }

  /**
   * Calls `onStatus` with the state the wallet's notifications report for `paymentHash`
   * (subscribing to them on `opened.relay` if not yet). Returns the unwatch.
   */
  watch(paymentHash: string, opened: Opened, onStatus: (s: InvoiceStatus) => void): () => void {
    const set = this.#watchers.get(paymentHash) ?? new Set();
    this.#watchers.set(paymentHash, set);
    set.add(onStatus);
    this.#listen(opened.relay, opened.cipher);
    return () => {
      set.delete(onStatus);
      if (set.size === 0) this.#watchers.delete(paymentHash);
      if (this.#watchers.size === 0 && this.#notifications) {
        this.#notifications.sub.close();
        this.#notifications = undefined;
      }
    };
  }

  #listen(relay: RelayConnection, cipher: Nip47Cipher): void {
    if (this.#notifications?.relay === relay) return;
    this.#notifications?.sub.close();
    const kind = cipher.scheme === 'nip44_v2' ? NWC_KINDS.notification : NWC_KINDS.notificationNip04;
    const since = Math.floor(Date.now() / 1000) - 10;
    const filter = { kinds: [kind], authors: [this.walletPubkey], '#p': [this.#clientPubkey], since };
    const drop = () => {
      entry.sub.close();
      if (this.#notifications === entry) this.#notifications = undefined;
    };
    const entry = {
      relay,
      sub: relay.subscribe([filter], {
        onEvent: (raw) => this.#onNotification(raw, cipher, kind),
        onClosed: drop,
        onDown: drop,
      }),
    };
    this.#notifications = entry;
  }

  /** A notification (kind 23197/23196) to the watchers of its payment hash. */
  #onNotification(raw: unknown, cipher: Nip47Cipher, kind: number): void {
    if (!this.#valid(raw, kind)) return;
    let n: { notification_type?: unknown; notification?: Partial<Nip47Transaction> };
    try {
      n = JSON.parse(cipher.decrypt(raw.content));
    } catch {
      return;
    }
    const tx = n?.notification;
    if (!tx || typeof tx.payment_hash !== 'string') return;
    let state: Nip47Transaction['state'];
    if (n.notification_type === 'payment_received') state = tx.state ?? 'settled';
    else if (n.notification_type === 'hold_invoice_accepted') state = tx.state ?? 'accepted';
    else return;
    const status = transactionToStatus({ ...tx, payment_hash: tx.payment_hash, state });
    for (const w of this.#watchers.get(status.paymentHash) ?? []) w(status);
  }

  /** Closes the sockets; calls in flight fail with LN_UNREACHABLE. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = lnError(ErrorCodes.LN_UNREACHABLE, BACKEND, 'closed');
    for (const fail of [...this.#pending]) fail(err);
    this.#pending.clear();
    this.#notifications = undefined;
    for (const r of this.#relays) r.close();
  }
}
