/**
 * The API the browser calls cross-origin: a paywall on the dev node with CORS on and the dev
 * wallet endpoint (no real money), served by Node.
 *
 * @module
 */
import { DevNode } from '../../packages/lightning/src/index.js';
import { serve } from '../../packages/server/src/adapters/node.js';
import { Paywall } from '../../packages/server/src/index.js';

/** Starts the API; resolves to its URL and a closer. */
export async function startApi(): Promise<{ url: string; close(): Promise<void> }> {
  const node = new DevNode({ production: false });
  const paywall = new Paywall({
    secret: crypto.getRandomValues(new Uint8Array(32)),
    lightning: node,
    devWallet: node,
    cors: true,
    routes: [{ method: 'POST', path: '/answer', price: 21 }],
  });
  const s = await serve(paywall, async (req) => Response.json(await req.json()));
  return {
    url: s.url,
    close: async () => {
      await s.close();
      await node.close();
    },
  };
}
