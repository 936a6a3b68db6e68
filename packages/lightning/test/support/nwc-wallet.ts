/**
 * A NIP-47 wallet service for tests, backed by an lnd node's REST API (alice on regtest),
 * written with nostr-tools over `ws`. It speaks NIP-44 v2 and/or NIP-04 as configured and
 * says so in its info event (kind 13194, `encryption` tag), answers only its one client,
 * ignores expired requests, sends `payment_received` / `hold_invoice_accepted`
 * notifications (kind 23197 with NIP-44, 23196 with NIP-04), and reconnects to its relay.
 * `lookup_invoice` answers lnd's invoice of the hash (`type: "incoming"`), else lnd's payment
 * of it (`type: "outgoing"`, from router `TrackPaymentV2`), else NOT_FOUND.
 */
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import WebSocket from 'ws';
import { b64ToHex, LndError, type LndInvoice, type LndRestMini } from './lnd-rest-mini.js';
import type { RelayEvent } from './relay.js';

export type Encryption = 'nip44_v2' | 'nip04';

export const ALL_METHODS = [
  'pay_invoice',
  'get_balance',
  'get_info',
  'make_invoice',
  'lookup_invoice',
  'make_hold_invoice',
  'settle_hold_invoice',
  'cancel_hold_invoice',
];

export interface NwcWalletOptions {
  relayUrl: string;
  lnd: LndRestMini;
  /** Schemes offered (default both). */
  encryption?: Encryption[];
  /** Leave the `encryption` tag out of the info event (a legacy, NIP-04-only wallet). */
  omitEncryptionTag?: boolean;
  /** Methods offered (default {@link ALL_METHODS}). */
  methods?: string[];
  /** Send notifications (default true). */
  notifications?: boolean;
  /** Answer these methods with this error instead of calling lnd. */
  failures?: Record<string, { code: string; message: string }>;
}

type Result = { result: Record<string, unknown> } | { error: { code: string; message: string } };

/** lnd's router Payment (TrackPaymentV2), as much as the wallet reads. */
interface LndTrackedPayment {
  payment_hash: string;
  payment_preimage?: string;
  payment_request?: string;
  status: 'UNKNOWN' | 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED' | 'INITIATED';
  value_msat?: string;
  fee_msat?: string;
  creation_time_ns?: string;
  htlcs?: { status?: string; resolve_time_ns?: string }[];
}

// lnd's REST gateway wants padded base64url in paths, the padding percent-encoded.
const hexToB64Url = (h: string) =>
  Buffer.from(h, 'hex').toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '%3D');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const now = () => Math.floor(Date.now() / 1000);

export class TestNwcWallet {
  readonly walletSecret = generateSecretKey();
  readonly walletPubkey = getPublicKey(this.walletSecret);
  readonly clientSecret = generateSecretKey();
  readonly clientPubkey = getPublicKey(this.clientSecret);
  /** Requests answered, in order (method and the encryption they came with). */
  readonly requests: { method: string; encryption: Encryption }[] = [];
  /** Notifications sent. */
  readonly notified: { type: string; paymentHash: string; kind: number }[] = [];
  readonly #o: Required<Omit<NwcWalletOptions, 'failures'>> & Pick<NwcWalletOptions, 'failures'>;
  #ws: WebSocket | undefined;
  #stopped = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #seen = new Set<string>();
  readonly #sentNotes = new Set<string>();
  readonly #streams: { close(): void }[] = [];

  constructor(o: NwcWalletOptions) {
    this.#o = {
      encryption: ['nip44_v2', 'nip04'],
      omitEncryptionTag: false,
      methods: ALL_METHODS,
      notifications: true,
      ...o,
    };
  }

  /** The connection URI for this wallet's client (or for another secret: an unknown client). */
  uri(o: { relayUrl?: string; secret?: Uint8Array } = {}): string {
    const relay = encodeURIComponent(o.relayUrl ?? this.#o.relayUrl);
    return `nostr+walletconnect://${this.walletPubkey}?relay=${relay}&secret=${hex(o.secret ?? this.clientSecret)}`;
  }

  async start(): Promise<this> {
    await this.#connect();
    if (this.#o.notifications) {
      const s = this.#o.lnd.subscribeInvoices((inv) => {
        if (inv.state === 'SETTLED') void this.#notify('payment_received', inv);
      });
      s.done.catch(() => undefined);
      this.#streams.push(s);
    }
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    for (const s of this.#streams) s.close();
    this.#ws?.terminate();
  }

  #connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.#o.relayUrl);
      ws.on('open', () => {
        this.#ws = ws;
        this.#publish(this.#infoEvent());
        ws.send(
          JSON.stringify([
            'REQ',
            'requests',
            { kinds: [23194], '#p': [this.walletPubkey], since: now() - 5 },
          ]),
        );
        resolve();
      });
      ws.on('message', (data) => this.#onMessage(data.toString()));
      ws.on('error', (e) => reject(e));
      ws.on('close', () => {
        if (this.#ws === ws) this.#ws = undefined;
        if (!this.#stopped) this.#retry = setTimeout(() => this.#connect().catch(() => undefined), 200);
      });
    });
  }

  #infoEvent() {
    const tags: string[][] = [];
    if (!this.#o.omitEncryptionTag) tags.push(['encryption', this.#o.encryption.join(' ')]);
    if (this.#o.notifications) tags.push(['notifications', 'payment_received hold_invoice_accepted']);
    const content = [...this.#o.methods, ...(this.#o.notifications ? ['notifications'] : [])].join(' ');
    return finalizeEvent({ kind: 13194, created_at: now(), tags, content }, this.walletSecret);
  }

  #publish(ev: RelayEvent): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(['EVENT', ev]));
  }

  #encrypt(scheme: Encryption, text: string): string {
    if (scheme === 'nip04') return nip04.encrypt(this.walletSecret, this.clientPubkey, text);
    return nip44.v2.encrypt(text, nip44.v2.utils.getConversationKey(this.walletSecret, this.clientPubkey));
  }

  #decrypt(scheme: Encryption, payload: string): string {
    if (scheme === 'nip04') return nip04.decrypt(this.walletSecret, this.clientPubkey, payload);
    return nip44.v2.decrypt(payload, nip44.v2.utils.getConversationKey(this.walletSecret, this.clientPubkey));
  }

  #onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(msg) || msg[0] !== 'EVENT' || msg[1] !== 'requests') return;
    const ev = msg[2] as RelayEvent;
    if (!verifyEvent(ev) || ev.kind !== 23194 || this.#seen.has(ev.id)) return;
    this.#seen.add(ev.id);
    // Only this wallet's one client: requests from any other key get no answer at all.
    if (ev.pubkey !== this.clientPubkey) return;
    const exp = ev.tags.find((t) => t[0] === 'expiration')?.[1];
    if (exp && Number(exp) < now()) return;
    const scheme = (ev.tags.find((t) => t[0] === 'encryption')?.[1] ?? 'nip04') as Encryption;
    void this.#handle(ev, scheme);
  }

  async #handle(ev: RelayEvent, scheme: Encryption): Promise<void> {
    let method = 'unknown';
    let res: Result;
    if (!this.#o.encryption.includes(scheme)) {
      res = { error: { code: 'UNSUPPORTED_ENCRYPTION', message: `${scheme} is not supported` } };
    } else {
      let req: { method?: string; params?: Record<string, unknown> };
      try {
        req = JSON.parse(this.#decrypt(scheme, ev.content));
        method = String(req.method);
        this.requests.push({ method, encryption: scheme });
        const fail = this.#o.failures?.[method];
        if (fail) res = { error: fail };
        else if (!this.#o.methods.includes(method))
          res = { error: { code: 'NOT_IMPLEMENTED', message: method } };
        else res = await this.#dispatch(method, req.params ?? {});
      } catch (e) {
        res = { error: { code: 'INTERNAL', message: (e as Error).message } };
      }
    }
    const body = {
      result_type: method,
      error: 'error' in res ? res.error : null,
      result: 'result' in res ? res.result : null,
    };
    const reply = finalizeEvent(
      {
        kind: 23195,
        created_at: now(),
        tags: [
          ['p', ev.pubkey],
          ['e', ev.id],
        ],
        content: this.#encrypt(scheme, JSON.stringify(body)),
      },
      this.walletSecret,
    );
    this.#publish(reply);
  }

  async #dispatch(method: string, p: Record<string, unknown>): Promise<Result> {
    const lnd = this.#o.lnd;
    switch (method) {
      case 'get_info': {
        const i = await lnd.getInfo();
        return {
          result: {
            alias: i.alias,
            color: '#000000',
            pubkey: i.identity_pubkey,
            network: 'regtest',
            block_height: i.block_height,
            block_hash: i.block_hash,
            methods: this.#o.methods,
            notifications: this.#o.notifications ? ['payment_received', 'hold_invoice_accepted'] : [],
          },
        };
      }
      case 'get_balance':
        return { result: { balance: Number(await lnd.channelBalanceMsat()) } };
      case 'make_invoice': {
        const inv = await lnd.addInvoice({
          valueMsat: BigInt(p.amount as number),
          memo: p.description as string | undefined,
          descriptionHash: p.description_hash as string | undefined,
          expiry: p.expiry as number | undefined,
        });
        return { result: tx(await lnd.lookupInvoice(inv.paymentHash)) };
      }
      case 'make_hold_invoice': {
        const hash = String(p.payment_hash);
        const inv = await lnd.addHoldInvoice({
          hash,
          valueMsat: BigInt(p.amount as number),
          memo: p.description as string | undefined,
          descriptionHash: p.description_hash as string | undefined,
          expiry: p.expiry as number | undefined,
        });
        const s = lnd.subscribeInvoice(hash, (u) => {
          if (u.state === 'ACCEPTED') void this.#notify('hold_invoice_accepted', u);
          if (u.state === 'SETTLED') void this.#notify('payment_received', u);
          return u.state === 'SETTLED' || u.state === 'CANCELED';
        });
        s.done.catch(() => undefined);
        this.#streams.push(s);
        return { result: tx(await lnd.lookupInvoice(inv.paymentHash)) };
      }
      case 'lookup_invoice': {
        const hash = String(p.payment_hash);
        try {
          return { result: tx(await lnd.lookupInvoice(hash)) };
        } catch (e) {
          if (
            !(e instanceof LndError) ||
            !(e.status === 404 || e.grpcCode === 5 || /unable to locate/.test(e.message))
          ) {
            throw e;
          }
        }
        const payment = await this.#trackPayment(hash);
        if (payment) return { result: outgoingTx(payment) };
        return { error: { code: 'NOT_FOUND', message: 'no invoice or payment with this hash' } };
      }
      case 'pay_invoice': {
        try {
          const amount = typeof p.amount === 'number' ? BigInt(p.amount) : undefined;
          const pay = await lnd.payInvoice(
            String(p.invoice),
            amount === undefined ? {} : { amountMsat: amount },
          );
          if (pay.status === 'SUCCEEDED') {
            return { result: { preimage: pay.payment_preimage, fees_paid: Number(pay.fee_msat ?? 0) } };
          }
          const reason = pay.failure_reason ?? 'FAILED';
          if (reason === 'FAILURE_REASON_INSUFFICIENT_BALANCE') {
            return { error: { code: 'INSUFFICIENT_BALANCE', message: 'not enough balance' } };
          }
          return { error: { code: 'PAYMENT_FAILED', message: reason } };
        } catch (e) {
          return { error: { code: 'PAYMENT_FAILED', message: (e as Error).message } };
        }
      }
      case 'settle_hold_invoice':
        await lnd.settleInvoice(String(p.preimage));
        return { result: {} };
      case 'cancel_hold_invoice':
        await lnd.cancelInvoice(String(p.payment_hash));
        return { result: {} };
      default:
        return { error: { code: 'NOT_IMPLEMENTED', message: method } };
    }
  }

  /** lnd's payment of `hashHex` as it stands now (the first TrackPaymentV2 update), if any. */
  async #trackPayment(hashHex: string): Promise<LndTrackedPayment | undefined> {
    if (!/^[0-9a-f]{64}$/i.test(hashHex)) return undefined;
    let found: LndTrackedPayment | undefined;
    try {
      await this.#o.lnd.stream(
        'GET',
        `/v2/router/track/${hexToB64Url(hashHex)}`,
        undefined,
        (r) => {
          found = r as unknown as LndTrackedPayment;
          return true;
        },
        30_000,
      ).done;
    } catch (e) {
      // lnd: 404 {"code":5,"message":"payment isn't initiated"} for a hash it never paid.
      if (e instanceof LndError && (e.status === 404 || e.grpcCode === 5)) return undefined;
      throw e;
    }
    return found;
  }

  async #notify(type: string, inv: LndInvoice): Promise<void> {
    const paymentHash = b64ToHex(inv.r_hash);
    const key = `${type}:${paymentHash}`;
    if (this.#sentNotes.has(key)) return;
    this.#sentNotes.add(key);
    const body = JSON.stringify({ notification_type: type, notification: tx(inv) });
    for (const scheme of this.#o.encryption) {
      const kind = scheme === 'nip44_v2' ? 23197 : 23196;
      this.notified.push({ type, paymentHash, kind });
      this.#publish(
        finalizeEvent(
          { kind, created_at: now(), tags: [['p', this.clientPubkey]], content: this.#encrypt(scheme, body) },
          this.walletSecret,
        ),
      );
    }
  }
}

/** A NIP-47 transaction from an lnd invoice. */
function tx(inv: LndInvoice): Record<string, unknown> {
  const created = Number(inv.creation_date);
  const expiresAt = created + Number(inv.expiry);
  const state =
    inv.state === 'SETTLED'
      ? 'settled'
      : inv.state === 'ACCEPTED'
        ? 'accepted'
        : inv.state === 'CANCELED'
          ? 'failed'
          : expiresAt <= now()
            ? 'expired'
            : 'pending';
  const t: Record<string, unknown> = {
    type: 'incoming',
    state,
    invoice: inv.payment_request,
    description: inv.memo ?? '',
    payment_hash: b64ToHex(inv.r_hash),
    amount: Number(inv.value_msat),
    fees_paid: 0,
    created_at: created,
    expires_at: expiresAt,
  };
  if (inv.description_hash) t.description_hash = b64ToHex(inv.description_hash);
  if (state === 'settled') {
    t.preimage = b64ToHex(inv.r_preimage);
    t.settled_at = Number(inv.settle_date);
  }
  return t;
}

/** A NIP-47 transaction from an lnd payment (`type: "outgoing"`). */
function outgoingTx(pay: LndTrackedPayment): Record<string, unknown> {
  const state = pay.status === 'SUCCEEDED' ? 'settled' : pay.status === 'FAILED' ? 'failed' : 'pending';
  const t: Record<string, unknown> = {
    type: 'outgoing',
    state,
    payment_hash: pay.payment_hash,
    amount: Number(pay.value_msat ?? 0),
    fees_paid: Number(pay.fee_msat ?? 0),
    created_at: Math.floor(Number(pay.creation_time_ns ?? 0) / 1e9),
  };
  if (pay.payment_request) t.invoice = pay.payment_request;
  if (state === 'settled') {
    t.preimage = pay.payment_preimage;
    const resolved = (pay.htlcs ?? [])
      .filter((h) => h.status === 'SUCCEEDED')
      .map((h) => Math.floor(Number(h.resolve_time_ns ?? 0) / 1e9));
    t.settled_at = resolved.length > 0 ? Math.max(...resolved) : now();
  }
  return t;
}
