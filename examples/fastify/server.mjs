// A pay-per-request API with Fastify: `node examples/fastify/server.mjs` (after `npm run build`).
import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { l402 } from '@farebox/server/fastify';
import Fastify from 'fastify';

const node = new DevNode(); // an in-process Lightning node: regtest invoices, no real money
const paywall = new Paywall({
  secret: crypto.getRandomValues(new Uint8Array(32)),
  lightning: node,
  devWallet: node, // lets the payment page and `farebox fetch` pay from the dev wallet
  routes: [{ method: 'GET', path: '/joke', price: 21 }],
});

const app = Fastify();
await app.register(l402(paywall));
app.get('/joke', async () => ({ joke: 'Why did the node go offline? Channel issues.' }));

const port = Number(process.env.PORT ?? 8402);
await app.listen({ port, host: '127.0.0.1' });
console.log(`http://127.0.0.1:${port}/joke (${DEV_NODE_NOTICE})`);
