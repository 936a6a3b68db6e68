// Baselines for the `lightning` benchmark: the same invoice and payment calls without
// farebox's adapters. lnd REST through a bare keep-alive `https.request`; lnd gRPC through
// the `lightning` npm package (Alex Bosworth's, already installed: farebox takes lnd's
// .proto files from it); LNbits through bare `fetch`.
import https from 'node:https';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** lnd REST with nothing but node:https: `{ createInvoice, pay, close }`. */
export function rawLndRest({ rest, macaroonHex, certPem }) {
  const u = new URL(rest);
  const agent = new https.Agent({ keepAlive: true, ca: certPem, maxSockets: 16 });
  const call = (method, path, body, { stream = false } = {}) =>
    new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: u.hostname,
          port: u.port,
          method,
          path,
          agent,
          headers: { 'grpc-metadata-macaroon': macaroonHex, 'content-type': 'application/json' },
        },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            buf += c;
            if (!stream) return;
            // NDJSON: stop at the first final payment update.
            for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (!line.trim()) continue;
              const j = JSON.parse(line);
              if (j.error) return reject(new Error(j.error.message));
              const st = j.result?.status;
              if (st === 'SUCCEEDED') {
                resolve(j.result);
                return res.destroy();
              }
              if (st === 'FAILED') return reject(new Error(j.result.failure_reason));
            }
          });
          res.on('end', () => {
            if (stream) return reject(new Error('payment stream ended without a final state'));
            const j = JSON.parse(buf || '{}');
            if (res.statusCode !== 200) return reject(new Error(j.message ?? `HTTP ${res.statusCode}`));
            resolve(j);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  return {
    createInvoice: (msat, memo) =>
      call('POST', '/v1/invoices', { value_msat: String(msat), memo, expiry: '3600' }),
    pay: (request) =>
      call(
        'POST',
        '/v2/router/send',
        { payment_request: request, timeout_seconds: 60, fee_limit_sat: '10', no_inflight_updates: true },
        { stream: true },
      ),
    close: () => agent.destroy(),
  };
}

/** lnd gRPC through the `lightning` npm package: `{ createInvoice, pay, close }`. */
export function rawLndGrpc({ socket, macaroonBase64, certBase64 }) {
  const ln = require('lightning');
  const { lnd } = ln.authenticatedLndGrpc({ socket, macaroon: macaroonBase64, cert: certBase64 });
  return {
    createInvoice: (msat, memo) =>
      ln.createInvoice({
        lnd,
        mtokens: String(msat),
        description: memo,
        expires_at: new Date(Date.now() + 3600e3).toISOString(),
      }),
    pay: (request) => ln.pay({ lnd, request, max_fee: 10 }),
    close: () => {
      for (const c of Object.values(lnd)) c?.close?.();
    },
  };
}

/** LNbits with bare fetch: `{ createInvoice, pay }` (invoice key creates, admin key pays). */
export function rawLnbits({ url, invoiceKey, adminKey }) {
  const post = async (key, body) => {
    const r = await fetch(`${url}/api/v1/payments`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const j = await r.json();
    if (r.status >= 300) throw new Error(`LNbits ${r.status}: ${JSON.stringify(j)}`);
    return j;
  };
  return {
    createInvoice: (msat, memo) => post(invoiceKey, { out: false, amount: Number(msat) / 1000, memo }),
    pay: (bolt11) => post(adminKey, { out: true, bolt11 }),
    close: () => {},
  };
}
