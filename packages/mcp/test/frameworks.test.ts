/**
 * The Vercel AI SDK and LangChain.js tools run the same functions as the MCP tools: called
 * here through each framework's own entry points against a farebox server on the dev node.
 */
import { DevNode } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscoverOutput, FareboxToolkit, type FetchOutput, type QuoteOutput } from '../src/index.js';
import { fareboxAiSdkTools } from '../src/tools/ai-sdk.js';
import { fareboxLangChainTools } from '../src/tools/langchain.js';
import { type Shop, startShop } from './support/shop.js';

describe('framework tools', () => {
  const node = new DevNode({ production: false });
  const payer = new DevNode({ production: false });
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop({ lightning: node });
  });
  afterAll(async () => {
    await shop.close();
    await node.close();
    await payer.close();
  });

  it('Vercel AI SDK: tool() definitions whose execute pays', async () => {
    const toolkit = new FareboxToolkit({
      wallet: payer,
      allowPrivateNetworks: true,
      budget: { perRequestSats: 50 },
    });
    const tools = fareboxAiSdkTools(toolkit);
    expect(Object.keys(tools)).toEqual(['l402_fetch', 'l402_quote', 'l402_discover']);
    expect(tools.l402_fetch.description).toMatch(/L402 Lightning invoice/);
    const opts = { toolCallId: 'call-1', messages: [] };
    const found = (await tools.l402_discover.execute!({ url_or_domain: shop.base }, opts)) as DiscoverOutput;
    expect(found.services.find((s) => s.path === '/joke')?.price_sats).toBe(21);
    const quote = (await tools.l402_quote.execute!({ url: `${shop.base}/joke` }, opts)) as QuoteOutput;
    expect(quote).toMatchObject({ payment_required: true, price_sats: 21, within_budget: true });
    const paid = (await tools.l402_fetch.execute!({ url: `${shop.base}/joke` }, opts)) as FetchOutput;
    expect(paid).toMatchObject({ outcome: 'ok', status: 200 });
    expect(paid.paid[0]?.sats).toBe(21);
    const over = (await tools.l402_fetch.execute!({ url: `${shop.base}/pricey` }, opts)) as FetchOutput;
    expect(over.outcome).toBe('refused');
    expect(over.message).toMatch(/per-request budget of 50 sats/);
    // the input schema is the same zod schema the MCP server uses
    const schema = tools.l402_fetch.inputSchema as { safeParse: (v: unknown) => { success: boolean } };
    expect(schema.safeParse({ url: 'x', method: 'BREW' }).success).toBe(false);
    await toolkit.close();
  });

  it('LangChain.js: DynamicStructuredTools whose invoke pays', async () => {
    const tools = fareboxLangChainTools({ wallet: payer, allowPrivateNetworks: true });
    expect(tools.map((t) => t.name)).toEqual(['l402_fetch', 'l402_quote', 'l402_discover']);
    const [fetchTool, quoteTool, discoverTool] = tools;
    const found = JSON.parse(await discoverTool.invoke({ url_or_domain: shop.base }));
    expect(found.source).toBe('well-known');
    const quote = JSON.parse(await quoteTool.invoke({ url: `${shop.base}/translate`, body: { text: 'hi' } }));
    expect(quote.price_sats).toBe(3);
    const r = JSON.parse(await fetchTool.invoke({ url: `${shop.base}/translate`, body: { text: 'hello' } }));
    expect(r.body.json).toEqual({ translated: 'olleh' });
    expect(r.paid[0].sats).toBe(3);
    await expect(fetchTool.invoke({ url: 42 } as never)).rejects.toThrow();
  });
});
