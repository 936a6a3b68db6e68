/**
 * A local HTTP server reproducing Core Lightning's clnrest API (ElementsProject/lightning at
 * 090f4b0e, 2026-08):
 *
 * - transport: `plugins/rest-plugin/src/{handlers,shared,structs}.rs`: `POST /v1/<method>`,
 *   rune in the `rune` header (missing → 403 `{code:1501,"Not authorized: Missing rune"}`,
 *   refused by `checkrune` → 401 with checkrune's error), success → HTTP 201 + the RPC result,
 *   RPC error → HTTP 500 + `{code, message, data}` (cln-rpc `RpcError`), unknown method
 *   (-32601) → 404;
 * - checkrune errors: `lightningd/runes.c` (`Not authorized: Not derived from master`; a
 *   malformed rune fails `param_rune`, whose message echoes the rune only on nodes run with
 *   `--developer`, `common/json_command.c`);
 * - params and results: `doc/schemas/{invoice,listinvoices,waitinvoice,xpay,pay,listpays,getinfo,
 *   listfunds}.json` (unknown or missing params fail like `common/json_param.c`); `listpays`
 *   lists one entry per payment attempt, in creation order, with the fields its schema allows
 *   for the entry's `status` (`preimage` and `completed_at` only once `complete`);
 * - payment errors: `plugins/xpay/xpay.c` (207 "Invoice expired N seconds ago", 219 "Already
 *   paid this invoice successfully", 203 "Destination said it doesn't know invoice: …" when
 *   the payee fails the HTLC) and askrene's `explain_failure.c` (215 when the source's
 *   capacity is short, 205 otherwise); codes from `common/jsonrpc_errors.h`;
 * - payments in flight: a destination made with `holds: true` keeps the HTLC (and the
 *   `xpay`/`pay` call) pending until the test calls `settlePayment` or `failPayment`;
 * - `waitinvoice`: `lightningd/invoice.c` (903 "invoice expired during wait" with the invoice
 *   as `data`, -1 "Label not found").
 *
 * Invoices are real BOLT11 strings signed with a random node key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeInvoice, encodeInvoice, isHex, randomBytes, sha256, toHex, utf8 } from '@farebox/core';
import {
  MockBackend,
  otherNodeInvoice,
  type RecordedRequest,
  type RemoteInvoiceOptions,
} from './mock-common.js';

/** One payment attempt, as `listpays` reports it. */
interface Pay {
  createdIndex: number;
  updatedIndex?: number;
  paymentHash: string;
  bolt11: string;
  destination: string;
  status: 'pending' | 'complete' | 'failed';
  createdAt: number;
  completedAt?: number;
  preimage?: string;
  amountMsat: bigint;
  amountSentMsat: bigint;
}

interface Inv {
  label: string;
  bolt11: string;
  paymentHash: string;
  preimage: string;
  amountMsat?: bigint;
  description: string;
  expiresAt: number;
  createdIndex: number;
  status: 'unpaid' | 'paid' | 'expired';
  payIndex?: number;
  receivedMsat?: bigint;
  paidAt?: number;
}

/** Params each RPC takes (the `request.properties` of its schema) and those it requires. */
const PARAMS: Record<string, { allowed: string[]; required: string[] }> = {
  invoice: {
    allowed: [
      'amount_msat',
      'label',
      'description',
      'expiry',
      'fallbacks',
      'preimage',
      'exposeprivatechannels',
      'cltv',
      'deschashonly',
    ],
    required: ['amount_msat', 'label', 'description'],
  },
  listinvoices: {
    allowed: ['label', 'invstring', 'payment_hash', 'offer_id', 'index', 'start', 'limit'],
    required: [],
  },
  waitinvoice: { allowed: ['label'], required: ['label'] },
  xpay: {
    allowed: [
      'invstring',
      'amount_msat',
      'maxfee',
      'layers',
      'retry_for',
      'partial_msat',
      'maxdelay',
      'payer_note',
      'label',
      'localinvreqid',
    ],
    required: ['invstring'],
  },
  pay: {
    allowed: [
      'bolt11',
      'amount_msat',
      'label',
      'riskfactor',
      'maxfeepercent',
      'retry_for',
      'maxdelay',
      'exemptfee',
      'localinvreqid',
      'exclude',
      'maxfee',
      'description',
      'partial_msat',
    ],
    required: ['bolt11'],
  },
  listpays: { allowed: ['bolt11', 'payment_hash', 'status', 'index', 'start', 'limit'], required: [] },
  getinfo: { allowed: [], required: [] },
  listfunds: { allowed: ['spent'], required: [] },
};

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown = null,
  ) {
    super(message);
  }
}

const now = () => Math.floor(Date.now() / 1000);

/** The mock node. Start with {@link MockCln.start}; `close()` when done. */
export class MockCln extends MockBackend {
  /** Whether the node has the xpay plugin (CLN ≥ 24.11); without it `xpay` is an unknown command. */
  hasXpay = true;
  /** Spendable outgoing capacity, msat (listfunds' CHANNELD_NORMAL `our_amount_msat`). */
  spendableMsat: bigint;
  /** The node id, as CLN's `getinfo` calls it. */
  readonly pubkey = this.nodeId;
  protected readonly failureAnswers = {
    html: { contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' },
    http500: { contentType: 'text/plain', body: 'Internal Server Error' },
  };
  readonly #rune: string;
  readonly #developer: boolean;
  readonly #invoices = new Map<string, Inv>();
  readonly #waiters = new Map<string, Set<() => void>>();
  /** Destinations "on the network" this node can route to: payment hash → preimage, fee, whether they hold HTLCs. */
  readonly #network = new Map<string, { preimage: string; feeMsat: bigint; holds: boolean }>();
  /** Payment hashes this node paid. */
  readonly #paid = new Set<string>();
  /** Payment attempts, in creation order (listpays). */
  readonly #pays: Pay[] = [];
  /** Attempts held by their destination: payment hash → how the held call ends. */
  readonly #held = new Map<string, { settle(): void; fail(): void }>();
  #created = 0;
  #payIndex = 0;
  #payCreated = 0;
  #payUpdated = 0;

  private constructor(opts: { rune: string; developer?: boolean; spendableMsat?: bigint }) {
    super();
    this.#rune = opts.rune;
    this.#developer = opts.developer ?? false;
    this.spendableMsat = opts.spendableMsat ?? 5_000_000_000n;
  }

  static async start(opts: { rune: string; developer?: boolean; spendableMsat?: bigint }): Promise<MockCln> {
    const m = new MockCln(opts);
    await m.listen();
    return m;
  }

  /** Someone pays our invoice. */
  markPaid(paymentHash: string, amountMsat?: bigint): void {
    const inv = this.#byHash(paymentHash);
    inv.status = 'paid';
    inv.payIndex = ++this.#payIndex;
    inv.receivedMsat = amountMsat ?? inv.amountMsat ?? 1000n;
    inv.paidAt = now();
    this.#wake(inv.label);
  }

  /** Our invoice expires. */
  expire(paymentHash: string): void {
    const inv = this.#byHash(paymentHash);
    inv.status = 'expired';
    this.#wake(inv.label);
  }

  /**
   * An invoice of another node. `reachable` ones are routable from this node for `feeMsat`;
   * `timestamp` in the past makes an expired one.
   */
  remoteInvoice(o: RemoteInvoiceOptions & { feeMsat?: bigint; holds?: boolean }) {
    const { invoice: bolt11, paymentHash, preimage } = otherNodeInvoice(o);
    if (o.reachable ?? true)
      this.#network.set(paymentHash, { preimage, feeMsat: o.feeMsat ?? 0n, holds: o.holds ?? false });
    return { bolt11, paymentHash, preimage };
  }

  /** The destination of a held payment releases the preimage: the attempt completes. */
  settlePayment(paymentHash: string): void {
    const h = this.#held.get(paymentHash);
    if (!h) throw new Error(`mock-cln: no payment in flight for ${paymentHash}`);
    h.settle();
  }

  /** The destination of a held payment fails the HTLC: the attempt fails, the funds come back. */
  failPayment(paymentHash: string): void {
    const h = this.#held.get(paymentHash);
    if (!h) throw new Error(`mock-cln: no payment in flight for ${paymentHash}`);
    h.fail();
  }

  /** Resolves once an attempt to pay `paymentHash` is in flight. */
  async inFlight(paymentHash: string): Promise<void> {
    for (let i = 0; i < 500 && !this.#held.has(paymentHash); i++) await new Promise((r) => setTimeout(r, 10));
    if (!this.#held.has(paymentHash)) throw new Error(`mock-cln: no payment in flight for ${paymentHash}`);
  }

  #byHash(paymentHash: string): Inv {
    for (const inv of this.#invoices.values()) if (inv.paymentHash === paymentHash) return inv;
    throw new Error(`mock-cln: no invoice ${paymentHash}`);
  }

  #wake(label: string): void {
    for (const w of this.#waiters.get(label) ?? []) w();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };

    // shared.rs path_to_rest_map_and_params: only POST /v1/<method>.
    const m = /^\/v1\/([a-z0-9-]+)$/.exec(rec.path);
    if (!m?.[1]) return send(404, { code: -32601, message: 'Path not found', data: null });
    if (rec.method !== 'POST') {
      return send(405, {
        code: -32601,
        message: 'Path invalid, http_method must be POST for CLN methods',
        data: null,
      });
    }
    const method = m[1];
    // verify_rune: missing → 403; checkrune failure → 401 with its error.
    const rune = req.headers.rune;
    if (typeof rune !== 'string')
      return send(403, { code: 1501, message: 'Not authorized: Missing rune', data: null });
    if (rune !== this.#rune) {
      if (!/^[A-Za-z0-9_=-]+$/.test(rune)) {
        const message = this.#developer
          ? `rune: should be base64 string: invalid token '"${rune}"'`
          : 'rune: should be base64 string: invalid token (see logs for details)';
        return send(401, { code: -32602, message, data: null });
      }
      return send(401, { code: 1501, message: 'Not authorized: Not derived from master', data: null });
    }
    let params: Record<string, unknown> = {};
    if (rec.body !== '') {
      try {
        params = JSON.parse(rec.body);
      } catch (e) {
        return send(500, {
          code: null,
          message: `Could not parse \`${rec.body}\` JSON request: ${e}`,
          data: null,
        });
      }
    }
    try {
      const spec = PARAMS[method];
      if (!spec || (method === 'xpay' && !this.hasXpay))
        throw new RpcError(-32601, `Unknown command '${method}'`);
      for (const k of Object.keys(params)) {
        if (!spec.allowed.includes(k))
          throw new RpcError(
            -32602,
            `unknown parameter: ${k}, this may be caused by a failure to autodetect key=value-style parameters. Please try using the -k flag and explicit key=value pairs of parameters.`,
          );
      }
      for (const k of spec.required) {
        if (params[k] === undefined) throw new RpcError(-32602, `missing required parameter: ${k}`);
      }
      if (method === 'waitinvoice') return this.#waitinvoice(String(params.label), req, send);
      // A payment held by its destination answers when it ends; the caller may be gone by then.
      const result = await this.#rpc(method, params);
      if (!res.destroyed) send(201, result);
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      if (res.destroyed) return;
      return send(e.code === -32601 ? 404 : 500, { code: e.code, message: e.message, data: e.data });
    }
  }

  #rpc(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'getinfo':
        return {
          id: this.pubkey,
          alias: 'SILENTARTIST-v26.09',
          color: this.pubkey.slice(2, 8),
          num_peers: 1,
          num_pending_channels: 0,
          num_active_channels: 1,
          num_inactive_channels: 0,
          address: [],
          binding: [{ type: 'ipv4', address: '127.0.0.1', port: 19846 }],
          version: 'v26.09',
          blockheight: 114,
          network: 'regtest',
          fees_collected_msat: 0,
          'lightning-dir': '/tmp/l1/regtest',
          our_features: {
            init: '08a0000a8a5961',
            node: '88a0000a8a5961',
            channel: '',
            invoice: '02000002024100',
          },
        };
      case 'invoice':
        return this.#invoice(p);
      case 'listinvoices': {
        const all = [...this.#invoices.values()].filter(
          (i) =>
            (p.payment_hash === undefined || i.paymentHash === String(p.payment_hash).toLowerCase()) &&
            (p.label === undefined || i.label === String(p.label)),
        );
        return { invoices: all.map((i) => this.#entry(i)) };
      }
      case 'xpay':
        return this.#pay(String(p.invstring), p, 'xpay');
      case 'pay':
        return this.#pay(String(p.bolt11), p, 'pay');
      case 'listpays':
        return this.#listpays(p);
      case 'listfunds':
        return {
          outputs: [
            {
              txid: '9860f25fc55272e7250d4829e0ebf37f524c3a57ef6841e9585a2132c19b0f06',
              output: 0,
              amount_msat: 497105000,
              scriptpubkey: '512073c774833ecca0547ce8ecd2ffc856ac1f7889f15ac1cf80b13aa3cc61601ca0',
              address: 'bcrt1pw0rhfqe7ejs9gl8ganf0ljzk4s0h3z03ttqulq93823ucctqrjsq4ew6qm',
              status: 'confirmed',
              blockheight: 110,
              reserved: false,
            },
          ],
          channels: [
            {
              peer_id: '038194b5f32bdf0aa59812c86c4ef7ad2f294104fa027d1ace9b469bb6f88cf37b',
              connected: true,
              state: 'CHANNELD_NORMAL',
              channel_id: '2c383675809577b343f57acbea98d51dd913817874a3b621173f3fe2ea519c45',
              short_channel_id: '116x1x1',
              our_amount_msat: Number(this.spendableMsat),
              amount_msat: 10_000_000_000,
              funding_txid: '6958d6b2c23a79254dfd48b9b3d2a357c8c12c52a8bbd90bf48bd04e55996368',
              funding_output: 1,
            },
            {
              peer_id: '02287bfac8b99b35477ebe9334eede1e32b189e24644eb701c079614712331cec0',
              connected: false,
              state: 'CLOSINGD_COMPLETE',
              channel_id: '473851bb98a42329724d897b5ea85fcda29e9973b70e4e7b2bbce82ff996c601',
              short_channel_id: '108x1x0',
              our_amount_msat: 500000000,
              amount_msat: 1000000000,
              funding_txid: 'df0d67b5c14dc69c1f7dea24111e4557aaa9a01bca5c683cd81efda21f12031f',
              funding_output: 0,
            },
          ],
        };
      default:
        throw new RpcError(-32601, `Unknown command '${method}'`);
    }
  }

  #invoice(p: Record<string, unknown>) {
    const label = String(p.label);
    if (this.#invoices.has(label)) throw new RpcError(900, `Duplicate label '${label}'`);
    const description = String(p.description);
    const preimage = randomBytes(32);
    const paymentHash = toHex(sha256(preimage));
    const paymentSecret = randomBytes(32);
    const timestamp = now();
    const expiry = typeof p.expiry === 'number' ? p.expiry : 604800;
    const fields: Parameters<typeof encodeInvoice>[0] = {
      network: 'regtest',
      paymentHash,
      paymentSecret,
      timestamp,
      expirySeconds: expiry,
    };
    if (p.deschashonly === true) fields.descriptionHash = sha256(utf8(description));
    else fields.description = description;
    const amount = p.amount_msat === 'any' ? undefined : BigInt(String(p.amount_msat).replace(/msat$/, ''));
    if (amount !== undefined) fields.amountMsat = amount;
    const inv: Inv = {
      label,
      bolt11: encodeInvoice(fields, this.nodeKey),
      paymentHash,
      preimage: toHex(preimage),
      description,
      expiresAt: timestamp + expiry,
      createdIndex: ++this.#created,
      status: 'unpaid',
    };
    if (amount !== undefined) inv.amountMsat = amount;
    this.#invoices.set(label, inv);
    return {
      payment_hash: paymentHash,
      expires_at: inv.expiresAt,
      bolt11: inv.bolt11,
      payment_secret: toHex(paymentSecret),
      created_index: inv.createdIndex,
    };
  }

  /** An invoice as listinvoices/waitinvoice show it (status-dependent fields per the schema). */
  #entry(i: Inv): Record<string, unknown> {
    const e: Record<string, unknown> = { label: i.label, bolt11: i.bolt11, payment_hash: i.paymentHash };
    if (i.amountMsat !== undefined) e.amount_msat = Number(i.amountMsat);
    e.status = i.status;
    if (i.status === 'paid') {
      e.pay_index = i.payIndex;
      e.amount_received_msat = Number(i.receivedMsat);
      e.paid_at = i.paidAt;
      e.payment_preimage = i.preimage;
    }
    e.description = i.description;
    e.expires_at = i.expiresAt;
    e.created_index = i.createdIndex;
    if (i.status === 'paid') e.updated_index = i.payIndex;
    return e;
  }

  #waitinvoice(label: string, req: IncomingMessage, send: (status: number, body: unknown) => void): void {
    const inv = this.#invoices.get(label);
    if (!inv) {
      send(500, { code: -1, message: 'Label not found', data: null });
      return;
    }
    const answer = () => {
      if (inv.status === 'paid') send(201, this.#entry(inv));
      else send(500, { code: 903, message: 'invoice expired during wait', data: this.#entry(inv) });
    };
    if (inv.status !== 'unpaid') {
      answer();
      return;
    }
    const set = this.#waiters.get(label) ?? new Set<() => void>();
    this.#waiters.set(label, set);
    const waiter = () => {
      set.delete(waiter);
      answer();
    };
    set.add(waiter);
    req.socket.once('close', () => set.delete(waiter));
  }

  /** xpay's checks in its order: expiry, routing (source capacity, then destination), then the onion's fate. */
  #pay(invstring: string, p: Record<string, unknown>, method: 'xpay' | 'pay') {
    let inv: ReturnType<typeof decodeInvoice>;
    try {
      inv = decodeInvoice(invstring);
    } catch {
      throw new RpcError(
        -32602,
        `${method === 'xpay' ? 'invstring' : 'bolt11'}: Unparsable invoice (see logs for details)`,
      );
    }
    if (now() > inv.expiresAt)
      throw new RpcError(207, `Invoice expired ${now() - inv.expiresAt} seconds ago`);
    const amount =
      inv.amountMsat ?? (p.amount_msat === undefined ? undefined : BigInt(String(p.amount_msat)));
    if (amount === undefined)
      throw new RpcError(-32602, 'amount_msat: Must specify amount_msat for invoice without amount');
    if (inv.amountMsat !== undefined && p.amount_msat !== undefined) {
      throw new RpcError(-32602, 'amount_msat: Cannot specify amount_msat for invoice with amount');
    }
    const dest = this.#network.get(inv.paymentHash);
    const fee = dest?.feeMsat ?? 0n;
    if (amount + fee > this.spendableMsat) {
      throw new RpcError(
        215,
        `Failed: We could not find a usable set of paths.  Total source capacity is only ${this.spendableMsat}msat (in 1 channels).`,
      );
    }
    const maxfee = p.maxfee === undefined ? undefined : BigInt(String(p.maxfee));
    if (!dest || (maxfee !== undefined && fee > maxfee)) {
      throw new RpcError(
        205,
        'Failed: We could not find a usable set of paths.  The shortest path is 116x1x1, but 116x1x1/1 exceeds htlc_maximum_msat ~990000000msat',
      );
    }
    // injectpaymentonion finds the hash already paid (xpay.c update_knowledge_from_error).
    if (this.#paid.has(inv.paymentHash)) throw new RpcError(219, 'Already paid this invoice successfully');
    if (this.#held.has(inv.paymentHash)) throw new RpcError(200, 'Already have a payment in progress');
    this.spendableMsat -= amount + fee;
    const attempt: Pay = {
      createdIndex: ++this.#payCreated,
      paymentHash: inv.paymentHash,
      bolt11: invstring,
      destination: inv.payee,
      status: 'pending',
      createdAt: now(),
      amountMsat: amount,
      amountSentMsat: amount + fee,
    };
    this.#pays.push(attempt);
    const result = () => {
      if (method === 'xpay') {
        return {
          payment_preimage: dest.preimage,
          failed_parts: 0,
          successful_parts: 1,
          amount_msat: Number(amount),
          amount_sent_msat: Number(amount + fee),
        };
      }
      return {
        destination: inv.payee,
        payment_hash: inv.paymentHash,
        created_at: attempt.createdAt,
        parts: 1,
        amount_msat: Number(amount),
        amount_sent_msat: Number(amount + fee),
        payment_preimage: dest.preimage,
        status: 'complete',
      };
    };
    const complete = () => {
      this.#paid.add(inv.paymentHash);
      attempt.status = 'complete';
      attempt.preimage = dest.preimage;
      attempt.completedAt = now();
      attempt.updatedIndex = ++this.#payUpdated;
    };
    if (!dest.holds) {
      complete();
      return result();
    }
    return new Promise((resolve, reject) => {
      this.#held.set(inv.paymentHash, {
        settle: () => {
          this.#held.delete(inv.paymentHash);
          complete();
          resolve(result());
        },
        fail: () => {
          this.#held.delete(inv.paymentHash);
          this.spendableMsat += amount + fee;
          attempt.status = 'failed';
          attempt.updatedIndex = ++this.#payUpdated;
          reject(
            new RpcError(
              203,
              "Destination said it doesn't know invoice: WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS",
            ),
          );
        },
      });
    });
  }

  /**
   * listpays (`plugins/xpay/listpays.c`): the attempts matching `payment_hash` / `bolt11` /
   * `status`, fields in its order; `amount_msat` and `amount_sent_msat` count only parts that
   * did not fail, `preimage` and `completed_at` come with success.
   */
  #listpays(p: Record<string, unknown>) {
    if (p.payment_hash !== undefined && (typeof p.payment_hash !== 'string' || !isHex(p.payment_hash, 32))) {
      // param_sha256 through command_fail_badparam (common/json_command.c).
      const message = this.#developer
        ? `payment_hash: should be a 32 byte hex value: invalid token '${JSON.stringify(p.payment_hash)}'`
        : 'payment_hash: should be a 32 byte hex value: invalid token (see logs for details)';
      throw new RpcError(-32602, message);
    }
    const pays = this.#pays.filter(
      (a) =>
        (p.payment_hash === undefined || a.paymentHash === String(p.payment_hash).toLowerCase()) &&
        (p.bolt11 === undefined || a.bolt11 === p.bolt11) &&
        (p.status === undefined || a.status === p.status),
    );
    return {
      pays: pays.map((a) => {
        const e: Record<string, unknown> = {
          bolt11: a.bolt11,
          destination: a.destination,
          payment_hash: a.paymentHash,
          status: a.status,
          created_at: a.createdAt,
        };
        if (a.status === 'complete') {
          e.completed_at = a.completedAt;
          e.preimage = a.preimage;
        }
        if (a.status !== 'failed') e.amount_msat = Number(a.amountMsat);
        e.amount_sent_msat = a.status === 'failed' ? 0 : Number(a.amountSentMsat);
        e.created_index = a.createdIndex;
        if (a.updatedIndex !== undefined) e.updated_index = a.updatedIndex;
        return e;
      }),
    };
  }
}
