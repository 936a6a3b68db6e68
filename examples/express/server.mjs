// A pay-per-request API with Express: `node examples/express/server.mjs` (after `npm run build`).
import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { l402 } from '@farebox/server/express';
import express from 'express';

const node = new DevNode(); // an in-process Lightning node: regtest invoices, no real money
const paywall = new Paywall({
  secret: crypto.getRandomValues(new Uint8Array(32)),
  lightning: node,
  devWallet: node, // lets the payment page and `farebox fetch` pay from the dev wallet
  routes: [{ method: 'GET', path: '/joke', price: 21 }],
});

const app = express();
app.use(l402(paywall)); // before any body parser: it hands the body on as req.body
app.get('/joke', (req, res) =>
  res.json({
    joke: 'Why did the node go offline? Channel issues.',
    paid: `${req.l402?.receipt?.amountMsat} msat`,
  }),
);

const port = Number(process.env.PORT ?? 8402);
app.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/joke (${DEV_NODE_NOTICE})`));
