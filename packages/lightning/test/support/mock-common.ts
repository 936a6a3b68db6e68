/**
 * What the local servers reproducing a backend's HTTP API (`mock-blink.ts`, `mock-cln.ts`,
 * `mock-phoenixd.ts`) and their tests share: a server on 127.0.0.1 with a node key that
 * records every request and can misbehave on demand (an HTML page, a bare HTTP 500, no
 * answer), invoices of other nodes to pay, and the checks the tests make of every
 * adapter's errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DecodedInvoice,
  decodeInvoice,
  encodeInvoice,
  type FareboxError,
  fromHex,
  randomBytes,
  sha256,
  toHex,
} from '@farebox/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { expect } from 'vitest';
import type { CreatedInvoice, InvoiceStatus, Payer } from '../../src/types.js';

/** A request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** How the server misbehaves, for transport-failure tests. */
export type FailureMode = 'none' | 'html' | 'http500' | 'hang';

/** The answer of a failure mode: its content type and body. */
export type FailureAnswer = { contentType: string; body: string };

/**
 * A local HTTP server standing for a backend: it records requests and answers through
 * {@link MockBackend.handle} unless {@link MockBackend.failure} says otherwise. Its node
 * signs the invoices it makes with `nodeKey`. Subclasses start it with
 * {@link MockBackend.listen}; `close()` when done.
 */
export abstract class MockBackend {
  url = '';
  readonly requests: RecordedRequest[] = [];
  failure: FailureMode = 'none';
  readonly nodeKey = randomBytes(32);
  readonly nodeId = toHex(secp256k1.getPublicKey(this.nodeKey, true));
  readonly #server: Server;
  readonly #listeners: Array<{ key: string; resolve: (r: RecordedRequest) => void }> = [];

  constructor() {
    this.#server = createServer((req, res) => void this.#serve(req, res));
  }

  /** The answers of the `html` and `http500` failure modes (a `hang` never answers). */
  protected abstract readonly failureAnswers: Record<'html' | 'http500', FailureAnswer>;

  /** Answers a request that no failure mode caught. */
  protected abstract handle(
    req: IncomingMessage,
    res: ServerResponse,
    rec: RecordedRequest,
  ): void | Promise<void>;

  /** What {@link MockBackend.nextRequest} matches a request by: its path, unless a subclass says otherwise. */
  protected requestKey(rec: RecordedRequest): string {
    return rec.path;
  }

  /** Listens on a free port of 127.0.0.1; `url` becomes its address followed by `path`. */
  protected async listen(path = ''): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Resolves at the next request whose key ({@link MockBackend.requestKey}) is `key`. */
  nextRequest(key: string): Promise<RecordedRequest> {
    return new Promise((resolve) => this.#listeners.push({ key, resolve }));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(rec);
    const key = this.requestKey(rec);
    for (const l of this.#listeners.splice(0)) {
      if (l.key === key) l.resolve(rec);
      else this.#listeners.push(l);
    }
    if (this.failure === 'hang') return; // never answers; close() drops the socket
    if (this.failure === 'html' || this.failure === 'http500') {
      const { contentType, body } = this.failureAnswers[this.failure];
      res.writeHead(this.failure === 'html' ? 200 : 500, { 'content-type': contentType }).end(body);
      return;
    }
    await this.handle(req, res, rec);
  }
}

/** What a mock's `remoteInvoice` takes, besides the fee of the route to it. */
export interface RemoteInvoiceOptions {
  amountMsat?: bigint;
  /** Whether the mock's node can route to it (default true). */
  reachable?: boolean;
  /** When it was made, unix seconds (default now; in the past for an expired one). */
  timestamp?: number;
  expirySeconds?: number;
}

/**
 * An invoice of another node (signed with a random key), and its preimage: what a mock's
 * `remoteInvoice` hands out for its node to pay.
 */
export function otherNodeInvoice(o: RemoteInvoiceOptions): {
  invoice: string;
  paymentHash: string;
  preimage: string;
} {
  const preimage = randomBytes(32);
  const paymentHash = toHex(sha256(preimage));
  const fields: Parameters<typeof encodeInvoice>[0] = {
    network: 'regtest',
    paymentHash,
    paymentSecret: randomBytes(32),
    description: 'remote',
    timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
    expirySeconds: o.expirySeconds ?? 3600,
  };
  if (o.amountMsat !== undefined) fields.amountMsat = o.amountMsat;
  return { invoice: encodeInvoice(fields, randomBytes(32)), paymentHash, preimage: toHex(preimage) };
}

/**
 * The `timestamp` and `expirySeconds` of an invoice that expired long ago (two hours
 * ago, ten minutes after it was made).
 */
export function expiredLongAgo(): { timestamp: number; expirySeconds: number } {
  return { timestamp: Math.floor(Date.now() / 1000) - 7200, expirySeconds: 600 };
}

/**
 * Checks an invoice the backend made: signed by its node (`payee`), for the amount and
 * description asked, expiring `expirySeconds` after it was made. Returns it decoded.
 */
export function expectIssued(
  inv: CreatedInvoice,
  o: { payee: string; amountMsat: bigint; description: string; expirySeconds: number },
): DecodedInvoice {
  const decoded = decodeInvoice(inv.paymentRequest);
  expect(decoded.payee).toBe(o.payee);
  expect(decoded.amountMsat).toBe(o.amountMsat);
  expect(decoded.description).toBe(o.description);
  expect(inv).toMatchObject({
    paymentHash: decoded.paymentHash,
    amountMsat: o.amountMsat,
    expiresAt: decoded.timestamp + o.expirySeconds,
  });
  return decoded;
}

/** Checks that an invoice reads settled, with a preimage of its payment hash. */
export function expectSettled(s: InvoiceStatus, paymentHash: string): void {
  expect(s.state).toBe('settled');
  expect(toHex(sha256(fromHex(s.preimage!)))).toBe(paymentHash);
}

/** Checks that paying an invoice works once and that paying it again is LN_ALREADY_PAID. */
export async function expectPaysOnce(payer: Payer, paymentRequest: string): Promise<void> {
  await payer.payInvoice(paymentRequest);
  expect((await failure(payer.payInvoice(paymentRequest))).code).toBe('LN_ALREADY_PAID');
}

/** The error a call fails with; fails the test if the call succeeds. */
export async function failure(p: Promise<unknown>): Promise<FareboxError> {
  try {
    await p;
  } catch (e) {
    return e as FareboxError;
  }
  throw new Error('expected the call to fail');
}

/** Checks that `secret` appears nowhere in the error: message, data, cause. */
export function expectNoSecret(e: FareboxError, secret: string): void {
  expect(e.message).not.toContain(secret);
  expect(JSON.stringify(e.data)).not.toContain(secret);
  expect(String((e.cause as Error | undefined)?.message ?? '')).not.toContain(secret);
}

/** The URL of a port on 127.0.0.1 that nothing listens on, followed by `path`. */
export async function closedPort(path = ''): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}${path}`;
}

/**
 * The transport failures every HTTP adapter maps alike: an HTML page (`call`) and a bare
 * HTTP 500 (`call`, with `data.status`) are LN_BAD_RESPONSE, a server that never answers
 * (`hang`, with a short timeout) LN_TIMEOUT, a closed port (`unreachable`) LN_UNREACHABLE;
 * no error holds `secret`.
 */
export async function expectTransportFailures(o: {
  mock: MockBackend;
  call: () => Promise<unknown>;
  hang: () => Promise<unknown>;
  unreachable: () => Promise<unknown>;
  secret: string;
}): Promise<void> {
  o.mock.failure = 'html';
  expect((await failure(o.call())).code).toBe('LN_BAD_RESPONSE');
  o.mock.failure = 'http500';
  const e500 = await failure(o.call());
  expect(e500.code).toBe('LN_BAD_RESPONSE');
  expect(e500.data.status).toBe(500);
  o.mock.failure = 'hang';
  const hung = await failure(o.hang());
  expect(hung.code).toBe('LN_TIMEOUT');
  const unreachable = await failure(o.unreachable());
  expect(unreachable.code).toBe('LN_UNREACHABLE');
  for (const err of [e500, hung, unreachable]) expectNoSecret(err, o.secret);
}
