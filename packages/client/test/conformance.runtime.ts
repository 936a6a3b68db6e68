/**
 * The client's conformance suite for every runtime (Node, Bun, Deno, workerd, Chromium): the
 * paying client and `wrapFetch` against a farebox paywall and against a server written like
 * the seed tutorial's (a bare payment hash in the JSON body), both in the same process on the
 * dev node, reached through the client's `fetch` option. No sockets: only Web Standards.
 *
 * Run by `npm run test:runtimes` (runtime-tests/run.mjs).
 */
import { DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { assert, equal, rejectsCode, type Suite, suite } from '../../../runtime-tests/harness.js';
import { L402Client, wrapFetch } from '../src/index.js';

const BASE = 'https://api.example';

/**
 * A server like the seed's Worker: 402 with `payment_request`/`payment_hash` in the JSON body
 * and a token-less `WWW-Authenticate`, then 200 when the body carries a paid `payment_hash`
 * (checked once: the fixed version of the seed).
 */
function seedServer(node: DevNode): (req: Request) => Promise<Response> {
  const served = new Set<string>();
  return async (req) => {
    const body = (await req.json().catch(() => null)) as { prompt?: string; payment_hash?: string } | null;
    if (!body?.prompt) return Response.json({ error: 'prompt is required' }, { status: 400 });
    const hash = body.payment_hash;
    if (hash) {
      const st = await node.lookupInvoice(hash).catch(() => undefined);
      if (st?.state === 'settled' && !served.has(hash)) {
        served.add(hash);
        return Response.json({ result: `This is your paid API response for: ${body.prompt}` });
      }
      return Response.json({ error: 'payment not confirmed yet' }, { status: 402 });
    }
    const inv = await node.createInvoice({ amountMsat: 21_000n, memo: 'API query' });
    return Response.json(
      {
        status: 'payment_required',
        price_sats: 21,
        payment_request: inv.paymentRequest,
        payment_hash: inv.paymentHash,
      },
      {
        status: 402,
        headers: {
          'WWW-Authenticate': `L402 invoice="${inv.paymentRequest}", payment_hash="${inv.paymentHash}"`,
        },
      },
    );
  };
}

/**
 * The suite.
 *
 * @example
 * ```ts
 * const report = await run([clientConformance()], { runtime: 'chromium' });
 * ```
 */
export function clientConformance(): Suite {
  const seller = new DevNode({ production: false });
  const buyer = new DevNode({ production: false });
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(9),
    lightning: seller,
    routes: [
      { method: 'POST', path: '/answer', price: 21 },
      { method: 'GET', path: '/pass', price: 5, policy: { type: 'pass', validSeconds: 3600 } },
    ],
  });
  let served = 0;
  const farebox = (input: string | URL | Request, init?: RequestInit) =>
    paywall.handle(new Request(input, init), async (req) => {
      served++;
      return Response.json({ ok: true, body: req.method === 'POST' ? await req.text() : '' });
    });
  const seed = seedServer(seller);
  const seedFetch = (input: string | URL | Request, init?: RequestInit) => seed(new Request(input, init));
  const post = (prompt: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });

  return suite('client', (test) => {
    test('pays a 402 through the wallet and retries with the L402 credential', async () => {
      const client = new L402Client({ wallet: buyer, fetch: farebox, budget: { perRequestSats: 50 } });
      const res = await client.fetch(`${BASE}/answer`, post('hello'));
      equal(res.status, 200);
      equal(((await res.json()) as { body: string }).body, '{"prompt":"hello"}');
      const r = await client.receipts();
      equal(r.count, 1);
      equal(r.totalSats, 21);
    });

    test('a pass token is cached and reused: one payment for many calls', async () => {
      const client = new L402Client({ wallet: buyer, fetch: farebox });
      for (let i = 0; i < 3; i++) equal((await client.fetch(`${BASE}/pass`)).status, 200, `call ${i}`);
      equal((await client.receipts()).count, 1);
    });

    test('the budget refuses before paying', async () => {
      const before = (await buyer.getBalance()).balanceMsat;
      const client = new L402Client({ wallet: buyer, fetch: farebox, budget: { perRequestSats: 10 } });
      await rejectsCode(client.fetch(`${BASE}/answer`, post('too dear')), 'BUDGET_EXCEEDED');
      equal((await buyer.getBalance()).balanceMsat, before, 'nothing paid');
    });

    test('pays a seed-style server: payment_hash sent back in the JSON body', async () => {
      const client = new L402Client({ wallet: buyer, fetch: seedFetch });
      const res = await client.fetch(`${BASE}/`, post('what is lightning?'));
      equal(res.status, 200);
      equal(
        ((await res.json()) as { result: string }).result,
        'This is your paid API response for: what is lightning?',
      );
    });

    test('wrapFetch: a fetch that pays', async () => {
      const pay = wrapFetch(farebox, { wallet: buyer, budget: { perDaySats: 1000 } });
      const before = served;
      equal((await pay(`${BASE}/answer`, post('wrapped'))).status, 200);
      equal(served, before + 1);
      assert((await pay.client.receipts()).count === 1, 'one receipt');
    });
  });
}
