/**
 * A farebox server selling a few services, for the MCP tests: fixed prices, a pass, a
 * request schema, a binary body, and an endpoint that echoes the credential it was sent
 * (a server that leaks what it receives must not make the MCP server leak it).
 */
import type { InvoiceIssuer, Payer } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';

export const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 1, 2, 3, 0,
]);

export const TRANSLATE_SCHEMA = {
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string' }, to: { type: 'string' } },
};

export interface Shop {
  base: string;
  close: () => Promise<void>;
  /** HTTP requests the shop has received. */
  hits: () => number;
}

export async function startShop(o: {
  lightning: InvoiceIssuer;
  devWallet?: Payer;
  title?: string;
}): Promise<Shop> {
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(11),
    lightning: o.lightning,
    ...(o.devWallet ? { devWallet: o.devWallet } : {}),
    discovery: { title: o.title ?? 'farebox test shop', description: 'things to buy with sats' },
    routes: [
      { method: 'GET', path: '/joke', price: 21, description: 'a joke' },
      {
        method: 'GET',
        path: '/weather',
        price: 5,
        policy: { type: 'pass', validSeconds: 3600 },
        description: 'an hour of weather',
      },
      {
        method: 'POST',
        path: '/translate',
        price: 3,
        description: 'translate text',
        requestSchema: TRANSLATE_SCHEMA,
        validate: (b) =>
          b && typeof (b as { text?: unknown }).text === 'string' ? undefined : { text: 'required' },
      },
      { method: 'GET', path: '/pricey', price: 500, description: 'expensive' },
      { method: 'GET', path: '/image', price: 2, description: 'a picture' },
      { method: 'GET', path: '/leaky', price: 1, description: 'echoes the credential' },
      { method: 'GET', path: '/free', free: true },
      { method: 'GET', path: '/redirect', free: true },
    ],
  });
  const s = await serve(paywall, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === '/redirect') return Response.redirect(new URL(req.url).searchParams.get('to')!, 302);
    if (path === '/image') return new Response(PNG, { headers: { 'content-type': 'image/png' } });
    if (path === '/leaky') return Response.json({ you_sent: req.headers.get('authorization') });
    if (path === '/joke')
      return Response.json({ joke: 'why did the node close the channel? it lost interest' });
    if (path === '/weather') return Response.json({ forecast: 'sunny', temp_c: 21 });
    if (path === '/translate') {
      const b = (await req.json()) as { text: string };
      return Response.json({ translated: b.text.split('').reverse().join('') });
    }
    return Response.json({ path });
  });
  let hits = 0;
  s.server.on('request', () => {
    hits++;
  });
  return { base: s.url, close: s.close, hits: () => hits };
}
