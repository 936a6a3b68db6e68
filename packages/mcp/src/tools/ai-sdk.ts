/**
 * Vercel AI SDK tools (`ai` is an optional peer dependency): fetch that pays, quote and
 * discover, the same functions the MCP server's tools run.
 *
 * @module
 */
import { tool } from 'ai';
import * as z from 'zod';
import { discoverInput, fetchInput, quoteInput, TOOLS } from '../schemas.js';
import { FareboxToolkit, type FareboxToolkitOptions } from '../toolkit.js';

/**
 * AI SDK tool definitions: `l402_fetch`, `l402_quote`, `l402_discover`.
 *
 * @example
 * ```ts
 * import { generateText } from 'ai';
 * import { fareboxAiSdkTools } from '@farebox/mcp/ai-sdk';
 * import { FareboxToolkit } from '@farebox/mcp';
 * const tools = fareboxAiSdkTools(new FareboxToolkit({ wallet, budget: { perRequestSats: 50 } }));
 * // await generateText({ model, tools, prompt: 'What does api.example.com sell?' });
 * ```
 */
export function fareboxAiSdkTools(toolkit: FareboxToolkit | FareboxToolkitOptions) {
  const t = toolkit instanceof FareboxToolkit ? toolkit : new FareboxToolkit(toolkit);
  return {
    l402_fetch: tool({
      ...TOOLS.l402_fetch,
      inputSchema: z.object(fetchInput),
      execute: (input) => t.fetch(input),
    }),
    l402_quote: tool({
      ...TOOLS.l402_quote,
      inputSchema: z.object(quoteInput),
      execute: (input) => t.quote(input),
    }),
    l402_discover: tool({
      ...TOOLS.l402_discover,
      inputSchema: z.object(discoverInput),
      execute: (input) => t.discover(input),
    }),
  };
}
