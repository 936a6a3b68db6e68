/**
 * The farebox MCP server: the toolkit's functions as MCP tools (official SDK, `registerTool`
 * with zod input and output schemas), with payments above the approval threshold put to the
 * user through MCP elicitation when the client supports it.
 *
 * @module
 */
import type { Quote } from '@farebox/client';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  balanceOutput,
  budgetInput,
  budgetOutput,
  discoverInput,
  discoverOutput,
  fetchInput,
  fetchOutput,
  quoteInput,
  quoteOutput,
  receiptsOutput,
  TOOLS,
} from './schemas.js';
import type { ApprovalAnswer, FareboxToolkit } from './toolkit.js';

/** How long a human has to answer an approval request (ms). */
const APPROVAL_TIMEOUT_MS = 5 * 60_000;

function result(value: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
    ...(isError ? { isError: true } : {}),
  };
}

const failed = (v: { outcome?: string }) => v.outcome === 'error' || v.outcome === 'refused';

/** Server options. */
export interface FareboxMcpServerOptions {
  /** Server name announced to clients (default `farebox`). */
  name?: string;
  version?: string;
}

/**
 * Creates the MCP server (connect it to a transport: stdio, Streamable HTTP, …).
 *
 * @example
 * ```ts
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 * import { createFareboxMcpServer, FareboxToolkit } from '@farebox/mcp';
 * const server = createFareboxMcpServer(new FareboxToolkit({ budget: { perRequestSats: 50 } }));
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createFareboxMcpServer(toolkit: FareboxToolkit, o: FareboxMcpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: o.name ?? 'farebox', version: o.version ?? '0.1.0' },
    {
      instructions:
        'farebox pays for L402 (HTTP 402 + Lightning) APIs within a budget set by the operator. Use l402_discover ' +
        'to see what a host sells, l402_quote to learn a price without paying, l402_fetch to call (and pay), ' +
        'l402_budget and l402_receipts to check spending. Respect refusals: do not try to get around a budget, ' +
        'an approval or an address refusal.',
    },
  );

  server.registerTool(
    'l402_fetch',
    {
      ...TOOLS.l402_fetch,
      inputSchema: fetchInput,
      outputSchema: fetchOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async (args, extra) => {
      const approve = async (q: Quote): Promise<ApprovalAnswer> => {
        if (!server.server.getClientCapabilities()?.elicitation) return 'unavailable';
        try {
          const r = await server.server.elicitInput(
            {
              mode: 'form',
              message:
                `Pay ${q.amountSats} sats (${q.network}) to ${q.host} for ${q.method} ${new URL(q.url).pathname}?` +
                (q.description ? ` The invoice says: “${q.description}”.` : ''),
              requestedSchema: {
                type: 'object',
                properties: {
                  approve: {
                    type: 'boolean',
                    title: 'Approve this payment',
                    description: `${q.amountSats} sats to ${q.host}`,
                  },
                },
                required: ['approve'],
              },
            },
            { relatedRequestId: extra.requestId, timeout: APPROVAL_TIMEOUT_MS },
          );
          return r.action === 'accept' && r.content?.approve === true ? 'accept' : 'decline';
        } catch {
          return 'decline';
        }
      };
      const v = await toolkit.fetch(args, { approve });
      return result(v, failed(v));
    },
  );

  server.registerTool(
    'l402_quote',
    {
      ...TOOLS.l402_quote,
      inputSchema: quoteInput,
      outputSchema: quoteOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args) => {
      const v = await toolkit.quote(args);
      return result(v, failed(v));
    },
  );

  server.registerTool(
    'l402_discover',
    {
      ...TOOLS.l402_discover,
      inputSchema: discoverInput,
      outputSchema: discoverOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args) => {
      const v = await toolkit.discover(args);
      return result(v, failed(v));
    },
  );

  server.registerTool(
    'l402_budget',
    {
      ...TOOLS.l402_budget,
      inputSchema: budgetInput,
      outputSchema: budgetOutput,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (args) => {
      const v = await toolkit.budget(args);
      return result(v, failed(v));
    },
  );

  server.registerTool(
    'l402_receipts',
    {
      ...TOOLS.l402_receipts,
      outputSchema: receiptsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => result(await toolkit.receipts()),
  );

  server.registerTool(
    'wallet_balance',
    {
      ...TOOLS.wallet_balance,
      outputSchema: balanceOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const v = await toolkit.balance();
      return result(v, v.outcome === 'error');
    },
  );

  return server;
}
