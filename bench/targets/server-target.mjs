// The servers of the `server` benchmark, one per process so wrk measures each alone:
//   node server-target.mjs <mode> <port>
//   plain    node:http writing the answer directly (reference)
//   bridge   the same web handler through farebox's Node bridge (toRequest/writeResponse), no paywall
//   paywall  `serve(paywall, handler)` from @farebox/server/node: a `pass` route on the dev node,
//            with the dev wallet at /.well-known/l402/dev-pay so the bench can buy a token
import { createServer } from 'node:http';
import { DevNode } from '../../packages/lightning/dist/index.js';
import { serve, toRequest, writeResponse } from '../../packages/server/dist/adapters/node.js';
import { Paywall } from '../../packages/server/dist/index.js';

const [mode, portText] = process.argv.slice(2);
// Exit on SIGTERM through process.exit so that `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
const port = Number(portText);
const BODY = '{"ok":true,"joke":"a farebox bench answer"}';
const handler = () => new Response(BODY, { headers: { 'content-type': 'application/json' } });

if (mode === 'plain') {
  const body = Buffer.from(BODY);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
} else if (mode === 'bridge') {
  const server = createServer(async (req, res) => {
    await writeResponse(res, await handler(toRequest(req)));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
} else if (mode === 'paywall') {
  const node = new DevNode();
  const paywall = new Paywall({
    secret: crypto.getRandomValues(new Uint8Array(32)),
    lightning: node,
    devWallet: node,
    routes: [{ path: '/svc/*', price: 1, policy: { type: 'pass', validSeconds: 3600 } }],
  });
  await serve(paywall, handler, { port, host: '127.0.0.1' });
} else {
  throw new Error(`unknown mode ${mode} (plain, bridge, paywall)`);
}
