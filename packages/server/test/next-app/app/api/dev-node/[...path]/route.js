import { devNodeHandler } from '@farebox/lightning';
import { node } from '../../../../lib/paywall.js';

export const dynamic = 'force-dynamic';

// The dev node over HTTP, so the test (another process) can pay this server's invoices with
// `DevNodeClient`. Only when the test sets a token: never expose a wallet by default.
const token = process.env.FAREBOX_DEV_NODE_TOKEN;
const serveNode = token ? devNodeHandler(node, { token }) : undefined;

async function handler(req) {
  if (!serveNode) return new Response('not found', { status: 404 });
  // devNodeHandler routes on `/v1/…`: strip this route's prefix.
  const url = new URL(req.url);
  url.pathname = url.pathname.replace(/^\/api\/dev-node/, '');
  const init = { method: req.method, headers: req.headers, signal: req.signal };
  if (req.method === 'POST') init.body = await req.text();
  return serveNode(new Request(url, init));
}

export { handler as GET, handler as POST };
