/**
 * The agent's walk through a shop, the same over stdio, Streamable HTTP, the dev node and
 * regtest: discover → quote → fetch (pays) → fetch again (the pass is reused) → … → the
 * budget runs out → refused with a clear message.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { TestClient } from './mcp-client.js';
import { PNG, TRANSLATE_SCHEMA } from './shop.js';

export const TOOL_NAMES = [
  'l402_budget',
  'l402_discover',
  'l402_fetch',
  'l402_quote',
  'l402_receipts',
  'wallet_balance',
];

/** Budget the scenario expects: 40 sats in total. */
export const SCENARIO_ENV = {
  FAREBOX_MAX_SATS_TOTAL: '40',
  FAREBOX_MAX_SATS_PER_CALL: '100',
  FAREBOX_ALLOW_PRIVATE_NETWORKS: '1',
};

export async function scenario(
  t: TestClient,
  base: string,
  o: { devWallet: boolean; network: string },
): Promise<void> {
  const { tools } = await t.client.listTools();
  expect(tools.map((x) => x.name).sort()).toEqual(TOOL_NAMES);
  const fetchTool = tools.find((x) => x.name === 'l402_fetch')!;
  expect(Object.keys(fetchTool.inputSchema.properties ?? {}).sort()).toEqual([
    'body',
    'headers',
    'max_sats',
    'method',
    'url',
  ]);
  expect(fetchTool.outputSchema?.properties).toHaveProperty('paid');
  expect(fetchTool.description).toMatch(/pays it/);

  // discover
  const d = await t.call('l402_discover', { url_or_domain: base });
  expect(d.isError).toBe(false);
  expect(d.data.source).toBe('well-known');
  expect(d.data.title).toBe('farebox test shop');
  const byPath = Object.fromEntries(d.data.services.map((s: { path: string }) => [s.path, s]));
  expect(byPath['/weather']).toMatchObject({
    method: 'GET',
    url: `${base}/weather`,
    price_sats: 5,
    pricing: 'fixed',
    policy: { type: 'pass', valid_seconds: 3600 },
  });
  expect(byPath['/translate'].request_schema).toEqual(TRANSLATE_SCHEMA);
  expect(byPath['/free'].pricing).toBe('free');

  // quote: the price, nothing paid
  const q = await t.call('l402_quote', { url: `${base}/weather` });
  expect(q.data).toMatchObject({
    outcome: 'ok',
    payment_required: true,
    price_sats: 5,
    invoice: { amount_sats: 5, network: o.network, description: 'an hour of weather' },
    within_budget: true,
    needs_approval: false,
  });
  expect(q.data.message).toContain('Nothing was paid');
  expect((await t.call('l402_receipts')).data.count).toBe(0);

  // fetch: pays
  const f1 = await t.call('l402_fetch', { url: `${base}/weather` });
  expect(f1.isError).toBe(false);
  expect(f1.data).toMatchObject({ outcome: 'ok', status: 200, reused_token: false });
  expect(f1.data.body).toMatchObject({ kind: 'json', json: { forecast: 'sunny', temp_c: 21 } });
  expect(f1.data.paid).toHaveLength(1);
  expect(f1.data.paid[0]).toMatchObject({ sats: 5, method: 'GET', path: '/weather' });
  expect(f1.data.paid[0].payment_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(f1.data.headers).toMatchObject({ payment_challenge: false });
  if (o.devWallet) expect(f1.data.dev_wallet).toBe('dev wallet: no real money');
  else expect(f1.data.dev_wallet).toBeUndefined();

  // fetch again: the pass is reused, no new payment
  const f2 = await t.call('l402_fetch', { url: `${base}/weather` });
  expect(f2.data).toMatchObject({ outcome: 'ok', status: 200, reused_token: true, paid: [] });
  expect(f2.data.message).toContain('used a token paid earlier (no new payment)');

  // a POST with a JSON body (request schema)
  const f3 = await t.call('l402_fetch', { url: `${base}/translate`, body: { text: 'sats' } });
  expect(f3.data.body.json).toEqual({ translated: 'stas' });
  expect(f3.data.paid[0].sats).toBe(3);

  const f4 = await t.call('l402_fetch', { url: `${base}/joke` });
  expect(f4.data.paid[0].sats).toBe(21);

  const b = await t.call('l402_budget');
  expect(b.data.limits).toMatchObject({ total_sats: 40, per_call_sats: 100 });
  expect(b.data.remaining.total_sats).toBe(40 - 29 - feesOf(f1, f3, f4));
  expect(b.data.spent.total_sats).toBe(29 + feesOf(f1, f3, f4));

  // the budget runs out: refused, clearly, nothing paid
  const f5 = await t.call('l402_fetch', { url: `${base}/joke` });
  expect(f5.isError).toBe(true);
  expect(f5.data.outcome).toBe('refused');
  expect(f5.data.error.code).toBe('BUDGET_EXCEEDED');
  expect(f5.data.message).toMatch(/would exceed the total budget of 40 sats.*Nothing was paid/);
  expect(f5.data.paid).toEqual([]);
  const q2 = await t.call('l402_quote', { url: `${base}/joke` });
  expect(q2.data).toMatchObject({ payment_required: true, within_budget: false });
  expect(q2.data.budget_problem).toMatch(/total budget/);

  // max_sats: a call may ask for less than the budget allows
  const f6 = await t.call('l402_fetch', { url: `${base}/image`, max_sats: 1 });
  expect(f6.data.outcome).toBe('refused');
  expect(f6.data.message).toMatch(/max_sats of this call \(1 sats\)/);

  // a binary body is saved to a file
  const f7 = await t.call('l402_fetch', { url: `${base}/image` });
  expect(f7.data.body).toMatchObject({ kind: 'binary', content_type: 'image/png', bytes: PNG.length });
  expect(new Uint8Array(await readFile(f7.data.body.saved_to))).toEqual(PNG);

  // a server echoing the credential does not make us leak it
  const f8 = await t.call('l402_fetch', { url: `${base}/leaky` });
  expect(f8.data.paid[0].sats).toBe(1);
  expect(f8.data.body.json.you_sent).toBe('[redacted]');

  const r = await t.call('l402_receipts');
  expect(r.data.count).toBe(5);
  expect(r.data.total_sats).toBe(5 + 3 + 21 + 2 + 1);
  for (const p of r.data.payments) {
    expect(Object.keys(p).sort()).toEqual([
      'fee_sats',
      'host',
      'method',
      'path',
      'payment_hash',
      'sats',
      'status',
      'time',
    ]);
  }
}

function feesOf(...rs: { data: { paid: { fee_sats: number }[] } }[]): number {
  return rs.reduce((s, r) => s + r.data.paid.reduce((x, p) => x + p.fee_sats, 0), 0);
}

/** Every preimage and macaroon in a client store file. */
export async function storeSecrets(path: string): Promise<string[]> {
  const d = JSON.parse(await readFile(path, 'utf8')) as {
    tokens: { macaroon: string; preimage: string }[];
    receipts: { preimage: string }[];
  };
  const out = new Set<string>();
  for (const r of d.receipts) out.add(r.preimage);
  for (const t of d.tokens) {
    if (t.macaroon) out.add(t.macaroon);
    if (t.preimage) out.add(t.preimage);
  }
  return [...out].filter(Boolean);
}

/** Asserts none of `secrets` appears in any output. */
export function expectNoSecrets(outputs: string[], secrets: string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  const all = outputs.join('\n');
  for (const s of secrets) {
    expect(all.includes(s), `a secret leaked: ${s.slice(0, 12)}…`).toBe(false);
    // also as it would look JSON-escaped
    expect(all.includes(JSON.stringify(s).slice(1, -1))).toBe(false);
  }
  expect(all).not.toMatch(/"preimage"\s*:\s*"[0-9a-f]{64}"/);
  expect(all).not.toMatch(/"macaroon"\s*:\s*"[A-Za-z0-9+/=_-]{20,}"/);
}
