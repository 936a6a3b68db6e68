/**
 * A local HTTP server reproducing Phoenixd's HTTP API (ACINQ/phoenixd at 402c2eac, 2026-05;
 * reference https://phoenix.acinq.co/server/api):
 *
 * - routes, parameters and errors: `src/commonMain/kotlin/fr/acinq/phoenixd/Api.kt`: Basic
 *   auth where only the password counts (`http-password` for everything,
 *   `http-password-limited-access` for all but `payinvoice` & co.), 401 text "Invalid
 *   authentication (use basic auth with the http password set in phoenix.conf)", unknown
 *   endpoint 404 "Unknown endpoint (check api doc)", payment not found 404 "Not found",
 *   form-encoded POST parameters, `description` at most 128 characters, exactly one of
 *   `description` / `descriptionHash`; `GET /payments/outgoingbyhash/{paymentHash}` answers,
 *   of all attempts to pay the hash, the first succeeded one, else pending, else failed
 *   (404 "Not found" when there is none);
 * - JSON shapes: `.../json/JsonSerializers.kt` (`GeneratedInvoice`, `IncomingPayment` sent
 *   as the `ApiType` sealed class, so with `"type": "incoming_payment"`, `PaymentSent`,
 *   `PaymentFailed`, `Balance`, `NodeInfo`, `OutgoingPayment` with `"type": "outgoing_payment"`,
 *   `preimage` only once succeeded, `completedAt` once succeeded or failed),
 *   `explicitNulls = false` (nulls left out), `MilliSatoshi` fields (`fees`) in msat,
 *   `Satoshi` fields in sat;
 * - outgoing payments: lightning-kmp's `OutgoingPaymentHandler` stores an attempt before
 *   sending, and also when it fails for lack of funds or of a route; "already been paid" is
 *   refused before anything is stored. A destination made with `holds: true` keeps the HTLC
 *   (and the `payinvoice` call) pending until the test calls `settlePayment` or `failPayment`;
 * - payment failure texts: lightning-kmp `FinalFailure` and part failures
 *   (`OutgoingPaymentFailure.explain()`): "this invoice has already been paid", "not enough
 *   funds in wallet to afford payment", "the recipient was offline or did not have enough
 *   liquidity to receive the payment", "recipient node rejected the payment". Phoenixd
 *   does not check expiry before sending; the payee rejects an expired invoice.
 *
 * Invoices are real BOLT11 strings signed with a random node key.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeInvoice, encodeInvoice, isHex, randomBytes, sha256, toHex } from '@farebox/core';
import {
  MockBackend,
  otherNodeInvoice,
  type RecordedRequest,
  type RemoteInvoiceOptions,
} from './mock-common.js';

interface Incoming {
  paymentHash: string;
  preimage: string;
  externalId?: string;
  description?: string;
  invoice: string;
  requestedSat?: number;
  receivedSat: number;
  fees: number;
  expiresAt: number;
  completedAt?: number;
  createdAt: number;
}

/** An attempt to pay (lightning-kmp `LightningOutgoingPayment`). */
interface Outgoing {
  paymentId: string;
  paymentHash: string;
  invoice: string;
  status: 'pending' | 'succeeded' | 'failed';
  preimage?: string;
  /** Sat that left the wallet (`sent`). */
  sentSat: number;
  /** msat. */
  fees: number;
  createdAt: number;
  completedAt?: number;
}

const UNAUTHORIZED = 'Invalid authentication (use basic auth with the http password set in phoenix.conf)';

/** The mock node. Start with {@link MockPhoenixd.start}; `close()` when done. */
export class MockPhoenixd extends MockBackend {
  /** `availableBalanceForSend`, sat. */
  balanceSat = 100_000;
  /** Whether the node has `GET /payments/outgoingbyhash/{paymentHash}` (older phoenixd did not). */
  hasOutgoingByHash = true;
  protected readonly failureAnswers = {
    html: { contentType: 'text/html', body: '<html><body>proxy login</body></html>' },
    http500: { contentType: 'text/plain; charset=UTF-8', body: '' },
  };
  readonly #password: string;
  readonly #limitedPassword: string;
  readonly #incoming = new Map<string, Incoming>();
  readonly #network = new Map<string, { preimage: string; feeSat: number; holds: boolean }>();
  readonly #paid = new Set<string>();
  readonly #outgoing: Outgoing[] = [];
  /** Attempts held by their destination: payment hash → how the held call ends. */
  readonly #held = new Map<string, { settle(): void; fail(): void }>();

  private constructor(opts: { password: string; limitedPassword: string }) {
    super();
    this.#password = opts.password;
    this.#limitedPassword = opts.limitedPassword;
  }

  static async start(opts: { password: string; limitedPassword: string }): Promise<MockPhoenixd> {
    const m = new MockPhoenixd(opts);
    await m.listen();
    return m;
  }

  /** A payer pays our invoice; phoenixd deducts `feesMsat` (e.g. liquidity fees). */
  markPaid(paymentHash: string, o: { receivedSat?: number; feesMsat?: number } = {}): void {
    const p = this.#incoming.get(paymentHash);
    if (!p) throw new Error(`mock-phoenixd: no invoice ${paymentHash}`);
    p.receivedSat = o.receivedSat ?? p.requestedSat ?? 1;
    p.fees = o.feesMsat ?? 0;
    p.completedAt = Date.now();
  }

  /** Our invoice's expiry passes. */
  expire(paymentHash: string): void {
    const p = this.#incoming.get(paymentHash);
    if (!p) throw new Error(`mock-phoenixd: no invoice ${paymentHash}`);
    p.expiresAt = Date.now() - 1000;
  }

  /** An invoice of another node, routable for `feeSat` when `reachable`; `holds` keeps HTLCs pending. */
  remoteInvoice(o: RemoteInvoiceOptions & { feeSat?: number; holds?: boolean }) {
    const remote = otherNodeInvoice(o);
    if (o.reachable ?? true)
      this.#network.set(remote.paymentHash, {
        preimage: remote.preimage,
        feeSat: o.feeSat ?? 0,
        holds: o.holds ?? false,
      });
    return remote;
  }

  /** The destination of a held payment releases the preimage. */
  settlePayment(paymentHash: string): void {
    const h = this.#held.get(paymentHash);
    if (!h) throw new Error(`mock-phoenixd: no payment in flight for ${paymentHash}`);
    h.settle();
  }

  /** The destination of a held payment fails the HTLC. */
  failPayment(paymentHash: string): void {
    const h = this.#held.get(paymentHash);
    if (!h) throw new Error(`mock-phoenixd: no payment in flight for ${paymentHash}`);
    h.fail();
  }

  /** Resolves once an attempt to pay `paymentHash` is in flight. */
  async inFlight(paymentHash: string): Promise<void> {
    for (let i = 0; i < 500 && !this.#held.has(paymentHash); i++) await new Promise((r) => setTimeout(r, 10));
    if (!this.#held.has(paymentHash))
      throw new Error(`mock-phoenixd: no payment in flight for ${paymentHash}`);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    const text = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8', ...headers }).end(body);
    };
    const json = (body: unknown): void => {
      res
        .writeHead(200, { 'content-type': 'application/json; charset=UTF-8' })
        .end(JSON.stringify(body, null, 4));
    };

    const url = new URL(rec.path, 'http://x');
    const route = routeOf(rec.method, url.pathname);
    if (route === undefined || (route === 'outgoingbyhash' && !this.hasOutgoingByHash))
      return text(404, 'Unknown endpoint (check api doc)');
    if (route === 'wrong-method') return text(405, 'Invalid http method (use the correct GET/POST)');

    // Ktor basic auth: the user name is ignored, only the password is checked.
    const password = basicPassword(req.headers.authorization);
    const full = password === this.#password;
    if (!full && password !== this.#limitedPassword) {
      return text(401, UNAUTHORIZED, { 'www-authenticate': 'Basic realm="Ktor Server", charset=UTF-8' });
    }
    if (route === 'payinvoice' && !full) {
      return text(401, UNAUTHORIZED, { 'www-authenticate': 'Basic realm="Ktor Server", charset=UTF-8' });
    }
    // call.receiveParameters(): form parameters only for a form content type.
    const form = /^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')
      ? new URLSearchParams(rec.body)
      : new URLSearchParams();
    try {
      switch (route) {
        case 'getinfo':
          return json({
            nodeId: this.nodeId,
            channels: [
              {
                state: 'Normal',
                channelId: 'f9b1ca5c7ed0a5bd6b7e1bd1d1fa36c2b7b1a5f8a77b2e0c8dcbd5bbf2a7b3f1',
                balanceSat: this.balanceSat,
                inboundLiquiditySat: 2_000_000,
                capacitySat: 2_200_000,
                fundingTxId: '8a54b2e8e3c5a93d1b1f0a4a7e5a8c1b3d5f7e9a1c3e5b7d9f1a3c5e7b9d1f3a',
              },
            ],
            chain: 'regtest',
            blockHeight: 2_870,
            version: '0.8.0-ee3a4d5',
          });
        case 'getbalance':
          return json({ balanceSat: this.balanceSat, feeCreditSat: 42 });
        case 'createinvoice':
          return json(this.#createInvoice(form));
        case 'incoming': {
          const hash = url.pathname.split('/')[3] ?? '';
          if (!isHex(hash, 32))
            throw new BadRequest("Request parameter paymentHash couldn't be parsed/converted to hex32");
          const p = this.#incoming.get(hash.toLowerCase());
          if (!p) return text(404, 'Not found');
          return json(incomingJson(p));
        }
        case 'outgoingbyhash': {
          const hash = url.pathname.split('/')[3] ?? '';
          if (!isHex(hash, 32))
            throw new BadRequest("Request parameter paymentHash couldn't be parsed/converted to hex32");
          const rank = { succeeded: 3, pending: 2, failed: 1 } as const;
          let best: Outgoing | undefined;
          for (const o of this.#outgoing) {
            if (o.paymentHash !== hash.toLowerCase()) continue;
            if (!best || rank[o.status] > rank[best.status]) best = o;
          }
          if (!best) return text(404, 'Not found');
          return json(outgoingJson(best));
        }
        case 'payinvoice': {
          const answer = await this.#payInvoice(form);
          if (!res.destroyed) json(answer);
          return;
        }
      }
    } catch (e) {
      if (e instanceof BadRequest) return text(400, e.message);
      throw e;
    }
  }

  #createInvoice(form: URLSearchParams) {
    const description = form.get('description');
    const descriptionHash = form.get('descriptionHash');
    if (description !== null && description.length > 128) {
      throw new BadRequest('Request parameter description is too long (max 128 characters)');
    }
    if ((description === null) === (descriptionHash === null)) {
      throw new BadRequest('Must provide either a description or descriptionHash');
    }
    const amountSat = optionalLong(form, 'amountSat');
    const expiry = optionalLong(form, 'expirySeconds') ?? 3600;
    const preimage = randomBytes(32);
    const paymentHash = toHex(sha256(preimage));
    const createdAt = Date.now();
    const fields: Parameters<typeof encodeInvoice>[0] = {
      network: 'regtest',
      paymentHash,
      paymentSecret: randomBytes(32),
      timestamp: Math.floor(createdAt / 1000),
      expirySeconds: expiry,
    };
    if (description !== null) fields.description = description;
    if (descriptionHash !== null) {
      if (!isHex(descriptionHash, 32))
        throw new BadRequest("Request parameter descriptionHash couldn't be parsed/converted to hex32");
      fields.descriptionHash = descriptionHash;
    }
    if (amountSat !== undefined) fields.amountMsat = BigInt(amountSat) * 1000n;
    const invoice = encodeInvoice(fields, this.nodeKey);
    const p: Incoming = {
      paymentHash,
      preimage: toHex(preimage),
      invoice,
      receivedSat: 0,
      fees: 0,
      expiresAt: createdAt + expiry * 1000,
      createdAt,
    };
    if (description !== null) p.description = description;
    if (amountSat !== undefined) p.requestedSat = amountSat;
    const externalId = form.get('externalId');
    if (externalId !== null) p.externalId = externalId;
    this.#incoming.set(paymentHash, p);
    // GeneratedInvoice(amountSat?, paymentHash, serialized); a null amount is left out.
    return amountSat === undefined
      ? { paymentHash, serialized: invoice }
      : { amountSat, paymentHash, serialized: invoice };
  }

  #payInvoice(form: URLSearchParams) {
    const text = form.get('invoice');
    if (text === null) throw new BadRequest('Request parameter invoice is missing');
    let inv: ReturnType<typeof decodeInvoice>;
    try {
      inv = decodeInvoice(text);
    } catch {
      throw new BadRequest("Request parameter invoice couldn't be parsed/converted to bolt11invoice");
    }
    const override = optionalLong(form, 'amountSat');
    const amountMsat = override !== undefined ? BigInt(override) * 1000n : inv.amountMsat;
    if (amountMsat === undefined) throw new BadRequest('Request parameter amountSat is missing');
    const failed = (reason: string) => ({ paymentHash: inv.paymentHash, reason });
    // Checked before anything is stored (OutgoingPaymentHandler.sendPayment).
    if (this.#paid.has(inv.paymentHash)) return failed('this invoice has already been paid');
    const attempt: Outgoing = {
      paymentId: randomUUID(),
      paymentHash: inv.paymentHash,
      invoice: text,
      status: 'pending',
      sentSat: Number(amountMsat / 1000n),
      fees: 0,
      createdAt: Date.now(),
    };
    this.#outgoing.push(attempt);
    const fail = (reason: string) => {
      attempt.status = 'failed';
      attempt.completedAt = Date.now();
      return failed(reason);
    };
    const dest = this.#network.get(inv.paymentHash);
    const feeSat = dest?.feeSat ?? 0;
    if (amountMsat + BigInt(feeSat) * 1000n > BigInt(this.balanceSat) * 1000n) {
      return fail('not enough funds in wallet to afford payment');
    }
    if (!dest)
      return fail('the recipient was offline or did not have enough liquidity to receive the payment');
    if (Math.floor(Date.now() / 1000) >= inv.expiresAt) return fail('recipient node rejected the payment');
    const spent = Number(amountMsat / 1000n) + feeSat;
    this.balanceSat -= spent;
    const succeed = () => {
      this.#paid.add(inv.paymentHash);
      attempt.status = 'succeeded';
      attempt.preimage = dest.preimage;
      attempt.sentSat = spent;
      attempt.fees = feeSat * 1000;
      attempt.completedAt = Date.now();
      return {
        recipientAmountSat: Number(amountMsat / 1000n),
        routingFeeSat: feeSat,
        paymentId: attempt.paymentId,
        paymentHash: inv.paymentHash,
        paymentPreimage: dest.preimage,
      };
    };
    if (!dest.holds) return succeed();
    return new Promise<Record<string, unknown>>((resolve) => {
      this.#held.set(inv.paymentHash, {
        settle: () => {
          this.#held.delete(inv.paymentHash);
          resolve(succeed());
        },
        fail: () => {
          this.#held.delete(inv.paymentHash);
          this.balanceSat += spent;
          resolve(fail('recipient node rejected the payment'));
        },
      });
    });
  }
}

class BadRequest extends Error {}

function routeOf(method: string, path: string) {
  const routes: Array<[string, RegExp, string]> = [
    ['GET', /^\/getinfo$/, 'getinfo'],
    ['GET', /^\/getbalance$/, 'getbalance'],
    ['POST', /^\/createinvoice$/, 'createinvoice'],
    ['GET', /^\/payments\/incoming\/[^/]+$/, 'incoming'],
    ['POST', /^\/payinvoice$/, 'payinvoice'],
    ['GET', /^\/payments\/outgoingbyhash\/[^/]+$/, 'outgoingbyhash'],
  ];
  const hit = routes.find(([, re]) => re.test(path));
  if (!hit) return undefined;
  return hit[0] === method ? hit[2] : 'wrong-method';
}

function basicPassword(header: string | undefined): string | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : decoded.slice(i + 1);
}

function optionalLong(form: URLSearchParams, name: string): number | undefined {
  const v = form.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v))
    throw new BadRequest(`Request parameter ${name} couldn't be parsed/converted to integer`);
  return Number(v);
}

/** `ApiType.IncomingPayment`, polymorphic (`type`), nulls left out. */
function incomingJson(p: Incoming): Record<string, unknown> {
  const o: Record<string, unknown> = {
    type: 'incoming_payment',
    subType: 'lightning',
    paymentHash: p.paymentHash,
    preimage: p.preimage,
  };
  if (p.externalId !== undefined) o.externalId = p.externalId;
  if (p.description !== undefined) o.description = p.description;
  o.invoice = p.invoice;
  o.isPaid = p.completedAt !== undefined;
  o.isExpired = Date.now() > p.expiresAt;
  if (p.requestedSat !== undefined) o.requestedSat = p.requestedSat;
  o.receivedSat = p.receivedSat;
  o.fees = p.fees;
  o.expiresAt = p.expiresAt;
  if (p.completedAt !== undefined) o.completedAt = p.completedAt;
  o.createdAt = p.createdAt;
  return o;
}

/** `ApiType.OutgoingPayment` of a Lightning payment, polymorphic (`type`), nulls left out. */
function outgoingJson(o: Outgoing): Record<string, unknown> {
  const j: Record<string, unknown> = {
    type: 'outgoing_payment',
    subType: 'lightning',
    paymentId: o.paymentId,
    paymentHash: o.paymentHash,
  };
  if (o.preimage !== undefined) j.preimage = o.preimage;
  j.isPaid = o.status === 'succeeded';
  j.sent = o.sentSat;
  j.fees = o.fees;
  j.invoice = o.invoice;
  if (o.completedAt !== undefined) j.completedAt = o.completedAt;
  j.createdAt = o.createdAt;
  return j;
}
