/**
 * A small in-memory Nostr relay for tests (NIP-01 over `ws` on 127.0.0.1): EVENT with OK,
 * REQ with stored events then EOSE then live ones, CLOSE. Filters: ids, kinds, authors,
 * `#<tag>`, since, until, limit. Replaceable kinds (0, 3, 10000-19999) keep the newest per
 * author and kind; ephemeral kinds (20000-29999) are relayed, not stored.
 *
 * `stop()` drops every client and stops listening; `start()` again listens on the same port
 * with the stored events kept: a relay restart.
 */
import type { AddressInfo } from 'node:net';
import { verifyEvent } from 'nostr-tools/pure';
import { type WebSocket, WebSocketServer } from 'ws';
import type { NostrEvent, NostrFilter } from '../../src/nwc/relay.js';

/** A NIP-01 event and filter: the same wire shapes the client speaks. */
export type RelayEvent = NostrEvent;
export type RelayFilter = NostrFilter;

export function matches(f: RelayFilter, ev: RelayEvent): boolean {
  if (f.ids && !f.ids.includes(ev.id)) return false;
  if (f.kinds && !f.kinds.includes(ev.kind)) return false;
  if (f.authors && !f.authors.includes(ev.pubkey)) return false;
  if (f.since !== undefined && ev.created_at < f.since) return false;
  if (f.until !== undefined && ev.created_at > f.until) return false;
  for (const [key, values] of Object.entries(f) as [string, unknown][]) {
    if (!key.startsWith('#') || !Array.isArray(values)) continue;
    const name = key.slice(1);
    if (!ev.tags.some((t) => t[0] === name && values.includes(t[1] ?? ''))) return false;
  }
  return true;
}

const replaceable = (k: number) => k === 0 || k === 3 || (k >= 10_000 && k < 20_000);
const ephemeral = (k: number) => k >= 20_000 && k < 30_000;

export class TestRelay {
  #wss: WebSocketServer | undefined;
  #port = 0;
  readonly events: RelayEvent[] = [];
  readonly #subs = new Map<WebSocket, Map<string, RelayFilter[]>>();
  /** Every EVENT received (also ephemeral ones), for assertions. */
  readonly received: RelayEvent[] = [];

  get url(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  async start(port = this.#port): Promise<this> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', () => resolve());
      wss.once('error', reject);
    });
    this.#port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => {
      this.#subs.set(ws, new Map());
      ws.on('message', (data) => this.#onMessage(ws, data.toString()));
      ws.on('close', () => this.#subs.delete(ws));
      ws.on('error', () => ws.terminate());
    });
    this.#wss = wss;
    return this;
  }

  async stop(): Promise<void> {
    const wss = this.#wss;
    this.#wss = undefined;
    if (!wss) return;
    for (const ws of wss.clients) ws.terminate();
    this.#subs.clear();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  #send(ws: WebSocket, msg: unknown[]): undefined {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    return undefined;
  }

  #onMessage(ws: WebSocket, text: string): undefined {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.#send(ws, ['NOTICE', 'invalid: not JSON']);
    }
    if (!Array.isArray(msg)) return this.#send(ws, ['NOTICE', 'invalid: not an array']);
    const [type, ...rest] = msg as [unknown, ...unknown[]];
    if (type === 'EVENT') return this.#onEvent(ws, rest[0] as RelayEvent);
    if (type === 'REQ' && typeof rest[0] === 'string') {
      const subId = rest[0];
      const filters = rest.slice(1) as RelayFilter[];
      this.#subs.get(ws)?.set(subId, filters);
      for (const f of filters) {
        const found = this.events.filter((e) => matches(f, e)).sort((a, b) => b.created_at - a.created_at);
        for (const e of found.slice(0, f.limit ?? found.length)) this.#send(ws, ['EVENT', subId, e]);
      }
      return this.#send(ws, ['EOSE', subId]);
    }
    if (type === 'CLOSE' && typeof rest[0] === 'string') {
      this.#subs.get(ws)?.delete(rest[0]);
      return;
    }
    this.#send(ws, ['NOTICE', 'invalid: unknown message']);
  }

  #onEvent(ws: WebSocket, ev: RelayEvent): undefined {
    let valid = false;
    try {
      valid = verifyEvent(ev);
    } catch {
      valid = false;
    }
    if (!valid) return this.#send(ws, ['OK', ev?.id ?? '', false, 'invalid: bad signature']);
    this.received.push(ev);
    if (replaceable(ev.kind)) {
      const i = this.events.findIndex((e) => e.kind === ev.kind && e.pubkey === ev.pubkey);
      if (i >= 0 && this.events[i]!.created_at > ev.created_at)
        return this.#send(ws, ['OK', ev.id, true, 'duplicate: older']);
      if (i >= 0) this.events.splice(i, 1);
      this.events.push(ev);
    } else if (!ephemeral(ev.kind)) {
      if (this.events.some((e) => e.id === ev.id))
        return this.#send(ws, ['OK', ev.id, true, 'duplicate: have it']);
      this.events.push(ev);
    }
    this.#send(ws, ['OK', ev.id, true, '']);
    for (const [client, subs] of this.#subs) {
      for (const [subId, filters] of subs) {
        if (filters.some((f) => matches(f, ev))) this.#send(client, ['EVENT', subId, ev]);
      }
    }
  }
}

/** Starts a relay on a free loopback port. */
export function startRelay(): Promise<TestRelay> {
  return new TestRelay().start();
}
