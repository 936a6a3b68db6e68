import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';

// One dev node and paywall per server process, shared by every route however Next bundles them.
const key = Symbol.for('farebox.example.paywall');
globalThis[key] ??= (() => {
  const node = new DevNode(); // an in-process Lightning node: regtest invoices, no real money
  console.log(DEV_NODE_NOTICE); // `next dev` may print it twice: a worker loads routes too
  return new Paywall({
    secret: crypto.getRandomValues(new Uint8Array(32)),
    lightning: node,
    devWallet: node, // lets the payment page and `farebox fetch` pay from the dev wallet
    routes: [{ method: 'GET', path: '/api/joke', price: 21 }],
    notice: DEV_NODE_NOTICE,
  });
})();

/** @type {Paywall} */
export const paywall = globalThis[key];
