// A pay-per-request API on plain node:http: `node examples/node/server.mjs` (after `npm run build`).
import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';

const node = new DevNode(); // an in-process Lightning node: regtest invoices, no real money
const paywall = new Paywall({
  secret: crypto.getRandomValues(new Uint8Array(32)),
  lightning: node,
  devWallet: node, // lets the payment page and `farebox fetch` pay from the dev wallet
  routes: [{ method: 'GET', path: '/joke', price: 21 }],
});

const joke = () => Response.json({ joke: 'Why did the node go offline? Channel issues.' });
const { url } = await serve(paywall, joke, { port: Number(process.env.PORT ?? 8402) });
console.log(`${url}/joke (${DEV_NODE_NOTICE})`);
