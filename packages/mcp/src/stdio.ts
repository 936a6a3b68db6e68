/**
 * The MCP server over stdio (the default for `"command": "npx", "args": ["farebox", "mcp"]`):
 * the protocol on stdin/stdout, so nothing else may write to stdout. Closing waits for the
 * requests already received to be answered (a client that writes its requests and then ends
 * stdin still gets its answers), up to a grace period.
 *
 * @module
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type Id = string | number;

const idOf = (m: JSONRPCMessage): Id | undefined =>
  'id' in m && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : undefined;

/**
 * Connects `server` to this process's stdin and stdout.
 *
 * @example
 * ```ts
 * import { createFareboxMcpServer, FareboxToolkit, serveMcpStdio } from '@farebox/mcp';
 * const s = await serveMcpStdio(createFareboxMcpServer(new FareboxToolkit()));
 * // … once stdin ends: await s.close();
 * ```
 */
export async function serveMcpStdio(
  server: McpServer,
  o: { graceMs?: number } = {},
): Promise<{ close: () => Promise<void> }> {
  const transport = new StdioServerTransport();
  await server.connect(transport);
  // Requests received and not yet answered.
  const pending = new Set<Id>();
  let idle: (() => void) | undefined;
  const receive = transport.onmessage;
  transport.onmessage = (m: JSONRPCMessage) => {
    const id = idOf(m);
    if (id !== undefined && 'method' in m) pending.add(id);
    receive?.(m);
  };
  const send = transport.send.bind(transport);
  transport.send = async (m) => {
    await send(m);
    const id = idOf(m);
    if (id !== undefined && !('method' in m) && pending.delete(id) && pending.size === 0) idle?.();
  };
  return {
    close: async () => {
      if (pending.size) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((r) => {
            idle = r;
          }),
          new Promise<void>((r) => {
            timer = setTimeout(r, o.graceMs ?? 30_000);
          }),
        ]);
        clearTimeout(timer);
      }
      await server.close();
    },
  };
}
