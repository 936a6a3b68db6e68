// A pay-per-request API as a plain fetch handler: `export default { fetch }` is what
// Cloudflare Workers, `deno serve` and `bun` run. On Node: `node examples/fetch/server.mjs`.
import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { paywallFetch } from '@farebox/server/fetch';

const node = new DevNode(); // an in-process Lightning node: regtest invoices, no real money
const paywall = new Paywall({
  secret: crypto.getRandomValues(new Uint8Array(32)),
  lightning: node,
  devWallet: node, // lets the payment page and `farebox fetch` pay from the dev wallet
  routes: [{ method: 'GET', path: '/joke', price: 21 }],
  notice: DEV_NODE_NOTICE,
});

// On Cloudflare, pass { ipHeader: 'cf-connecting-ip' } to count free tiers and rate limits per client.
export default {
  fetch: paywallFetch(paywall, () => Response.json({ joke: 'Why did the node go offline? Channel issues.' })),
};
