// A pay-per-request API with Hono on Node: `node examples/hono/server.mjs` (after `npm run build`).

import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { l402 } from '@farebox/server/hono';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';

const node = new DevNode(); // an in-process Lightning node: regtest invoices, no real money
const paywall = new Paywall({
  secret: crypto.getRandomValues(new Uint8Array(32)),
  lightning: node,
  devWallet: node, // lets the payment page and `farebox fetch` pay from the dev wallet
  routes: [{ method: 'GET', path: '/joke', price: 21 }],
});

const app = new Hono();
app.use(l402(paywall, { ip: (c) => getConnInfo(c).remote.address }));
app.get('/joke', (c) => c.json({ joke: 'Why did the node go offline? Channel issues.' }));

const port = Number(process.env.PORT ?? 8402);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
  console.log(`http://127.0.0.1:${port}/joke (${DEV_NODE_NOTICE})`),
);
