/**
 * LangChain.js tools (`@langchain/core` is an optional peer dependency): fetch that pays,
 * quote and discover as `DynamicStructuredTool`s, the same functions the MCP server's tools
 * run. Each answers with the result as a JSON string.
 *
 * @module
 */
import { tool } from '@langchain/core/tools';
import * as z from 'zod';
import { discoverInput, fetchInput, quoteInput, TOOLS } from '../schemas.js';
import { FareboxToolkit, type FareboxToolkitOptions } from '../toolkit.js';

/**
 * LangChain tools: `l402_fetch`, `l402_quote`, `l402_discover`.
 *
 * @example
 * ```ts
 * import { fareboxLangChainTools } from '@farebox/mcp/langchain';
 * import { FareboxToolkit } from '@farebox/mcp';
 * const tools = fareboxLangChainTools(new FareboxToolkit({ wallet, budget: { perDaySats: 1000 } }));
 * const out = JSON.parse(await tools[2].invoke({ url_or_domain: 'api.example.com' }));
 * ```
 */
export function fareboxLangChainTools(toolkit: FareboxToolkit | FareboxToolkitOptions) {
  const t = toolkit instanceof FareboxToolkit ? toolkit : new FareboxToolkit(toolkit);
  return [
    tool(async (input) => JSON.stringify(await t.fetch(input)), {
      name: 'l402_fetch',
      description: TOOLS.l402_fetch.description,
      schema: z.object(fetchInput),
    }),
    tool(async (input) => JSON.stringify(await t.quote(input)), {
      name: 'l402_quote',
      description: TOOLS.l402_quote.description,
      schema: z.object(quoteInput),
    }),
    tool(async (input) => JSON.stringify(await t.discover(input)), {
      name: 'l402_discover',
      description: TOOLS.l402_discover.description,
      schema: z.object(discoverInput),
    }),
  ] as const;
}
