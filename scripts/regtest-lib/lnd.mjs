// A minimal lnd REST client (node:https with the node's self-signed cert as CA).

import fs from 'node:fs';
import { request, requestJson, requestNdjson } from './util.mjs';

export class LndRest {
  /**
   * @param {{ rest: string, cert: string, macaroon?: string }} node
   *   rest: https://127.0.0.1:PORT; cert: tls.cert path; macaroon: admin.macaroon path
   */
  constructor({ rest, cert, macaroon }) {
    this.rest = rest;
    this.certPath = cert;
    this.macaroonPath = macaroon;
  }

  ca() {
    return fs.readFileSync(this.certPath);
  }

  headers() {
    if (!this.macaroonPath) return {};
    return { 'Grpc-Metadata-macaroon': fs.readFileSync(this.macaroonPath).toString('hex') };
  }

  get(path, opts = {}) {
    return requestJson(this.rest + path, { ca: this.ca(), headers: this.headers(), ...opts });
  }

  post(path, body, opts = {}) {
    return requestJson(this.rest + path, {
      method: 'POST',
      body,
      ca: this.ca(),
      headers: this.headers(),
      ...opts,
    });
  }

  /** Wallet state without a macaroon: NON_EXISTING, LOCKED, UNLOCKED, RPC_ACTIVE, SERVER_ACTIVE, WAITING_TO_START. */
  async state() {
    const res = await request(`${this.rest}/v1/state`, { ca: this.ca(), timeoutMs: 5000 });
    if (res.status !== 200) throw new Error(`GET /v1/state: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    return res.json().state;
  }

  getInfo() {
    return this.get('/v1/getinfo');
  }

  /** Pay a BOLT11 invoice with /v2/router/send; resolves the final Payment (throws unless SUCCEEDED). */
  async payInvoice(paymentRequest, { timeoutSeconds = 30, feeLimitSat = 100 } = {}) {
    const payment = await requestNdjson(
      `${this.rest}/v2/router/send`,
      {
        body: {
          payment_request: paymentRequest,
          timeout_seconds: timeoutSeconds,
          fee_limit_sat: String(feeLimitSat),
          no_inflight_updates: true,
        },
        ca: this.ca(),
        headers: this.headers(),
        timeoutMs: (timeoutSeconds + 15) * 1000,
      },
      (msg) => {
        if (msg.error) throw new Error(`/v2/router/send: ${msg.error.message ?? JSON.stringify(msg.error)}`);
        const p = msg.result;
        if (p && (p.status === 'SUCCEEDED' || p.status === 'FAILED')) return p;
        return undefined;
      },
    );
    if (payment.status !== 'SUCCEEDED') {
      throw new Error(`payment ${payment.payment_hash} ${payment.status}: ${payment.failure_reason}`);
    }
    return payment;
  }

  addInvoice(valueSat, memo = '') {
    return this.post('/v1/invoices', { value: String(valueSat), memo });
  }

  /** A route to `pubkey` for `amtSat`, or undefined when there is none yet. */
  async route(pubkey, amtSat) {
    const res = await request(`${this.rest}/v1/graph/routes/${pubkey}/${amtSat}`, {
      ca: this.ca(),
      headers: this.headers(),
    });
    if (res.status !== 200) return undefined;
    const routes = res.json().routes;
    return routes?.length ? routes[0] : undefined;
  }
}

/** Funding txid (display hex) from a ChannelPoint's base64 `funding_txid_bytes` (little-endian). */
export function fundingTxid(channelPoint) {
  if (channelPoint.funding_txid_str) return channelPoint.funding_txid_str;
  return Buffer.from(channelPoint.funding_txid_bytes, 'base64').reverse().toString('hex');
}
