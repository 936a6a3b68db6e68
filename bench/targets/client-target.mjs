// The local L402 server of the `client` benchmark. Its invoices come from a pool the bench
// signed beforehand (so the bench's wallet knows every preimage and pays instantly):
//   node client-target.mjs <port> <pool.json>
// Routes: /free (no payment), /paid (per-request: every call pays), /pass/* (a pass).
import { readFileSync } from 'node:fs';
import { serve } from '../../packages/server/dist/adapters/node.js';
import { Paywall } from '../../packages/server/dist/index.js';

const [portText, poolFile] = process.argv.slice(2);
const pool = JSON.parse(readFileSync(poolFile, 'utf8'));
let next = 0;

/** An invoice issuer handing out the pre-signed invoices in order. */
const issuer = {
  backend: 'bench-pool',
  async createInvoice() {
    const inv = pool[next++];
    if (!inv) throw new Error('invoice pool exhausted');
    return { ...inv, amountMsat: BigInt(inv.amountMsat) };
  },
  async lookupInvoice(paymentHash) {
    return { paymentHash, state: 'open' };
  },
  async waitForInvoice(paymentHash) {
    return { paymentHash, state: 'open' };
  },
  async getInfo() {
    return { backend: 'bench-pool', network: 'regtest' };
  },
};

const paywall = new Paywall({
  secret: crypto.getRandomValues(new Uint8Array(32)),
  lightning: issuer,
  routes: [
    { path: '/free', free: true },
    { path: '/paid', price: 1 },
    { path: '/pass/*', price: 1, policy: { type: 'pass', validSeconds: 3600 } },
  ],
});
const BODY = '{"ok":true,"joke":"a farebox bench answer"}';
await serve(paywall, () => new Response(BODY, { headers: { 'content-type': 'application/json' } }), {
  port: Number(portText),
  host: '127.0.0.1',
});
