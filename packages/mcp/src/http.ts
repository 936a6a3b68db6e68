/**
 * The MCP server over Streamable HTTP: a Web Standards handler (`Request` → `Response`) with
 * a required bearer token and stateful sessions (one MCP server per session, so the server
 * can send requests such as elicitation back to the client), and `serveMcpHttp` to run it
 * on Node's `http`, on loopback by default.
 *
 * @module
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { listen } from '@farebox/lightning/node';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

/** Handler options. */
export interface McpHttpOptions {
  /** The bearer token clients must send (`Authorization: Bearer <token>`). */
  token: string;
  /** Creates the MCP server of a new session. */
  createServer: () => McpServer;
  /** The endpoint path (default `/mcp`). */
  path?: string;
  /** Most sessions at once (default 32). */
  maxSessions?: number;
  /** `Host` header values accepted (DNS-rebinding protection), e.g. `127.0.0.1:8403`. */
  allowedHosts?: string[];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status, headers });
}

/**
 * @example
 * ```ts
 * import { createFareboxMcpServer, createMcpHttpHandler, FareboxToolkit } from '@farebox/mcp';
 * const toolkit = new FareboxToolkit();
 * const mcp = createMcpHttpHandler({ token: 'long-random-token', createServer: () => createFareboxMcpServer(toolkit) });
 * // mcp.handler(request) → Promise<Response>
 * ```
 */
export function createMcpHttpHandler(o: McpHttpOptions): {
  handler: (req: Request) => Promise<Response>;
  close: () => Promise<void>;
  sessions: () => number;
} {
  if (typeof o.token !== 'string' || o.token.length < 16) {
    throw new TypeError('"token" must be a string of at least 16 characters');
  }
  const expected = digest(`Bearer ${o.token}`);
  const path = o.path ?? '/mcp';
  const max = o.maxSessions ?? 32;
  const sessions = new Map<
    string,
    { transport: WebStandardStreamableHTTPServerTransport; server: McpServer }
  >();

  const handler = async (req: Request): Promise<Response> => {
    if (new URL(req.url).pathname !== path) return jsonRpcError(404, -32000, 'not found');
    // Compared as digests: constant time, whatever the lengths.
    if (!timingSafeEqual(digest(req.headers.get('authorization') ?? ''), expected)) {
      return jsonRpcError(401, -32001, 'a bearer token is required', {
        'www-authenticate': 'Bearer realm="farebox-mcp"',
      });
    }
    const sid = req.headers.get('mcp-session-id');
    if (sid) {
      const s = sessions.get(sid);
      if (!s) return jsonRpcError(404, -32001, 'session not found');
      return s.transport.handleRequest(req);
    }
    if (req.method !== 'POST') return jsonRpcError(400, -32000, 'no session: send initialize first');
    if (sessions.size >= max) return jsonRpcError(503, -32000, 'too many sessions');
    const server = o.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
      ...(o.allowedHosts ? { enableDnsRebindingProtection: true, allowedHosts: o.allowedHosts } : {}),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const res = await transport.handleRequest(req);
    if (!transport.sessionId) await server.close(); // not an initialize: nothing to keep
    return res;
  };

  return {
    handler,
    sessions: () => sessions.size,
    close: async () => {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((s) => s.server.close().catch(() => {})));
    },
  };
}

/** Options for {@link serveMcpHttp}. */
export interface ServeMcpHttpOptions extends Omit<McpHttpOptions, 'allowedHosts'> {
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Port (default 8403; 0 = any free port). */
  port?: number;
}

/**
 * Serves the MCP endpoint on Node's `http`.
 *
 * @example
 * ```ts
 * import { createFareboxMcpServer, FareboxToolkit, serveMcpHttp } from '@farebox/mcp';
 * const toolkit = new FareboxToolkit();
 * const s = await serveMcpHttp({ token: 'long-random-token', createServer: () => createFareboxMcpServer(toolkit) });
 * console.error(`MCP on ${s.url}`);
 * ```
 */
export async function serveMcpHttp(
  o: ServeMcpHttpOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  let allowed: string[] | undefined;
  const mcp = createMcpHttpHandler(o);
  const inner = mcp.handler;
  const host = o.host ?? '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const s = await listen(
    (req) => {
      if (loopback && allowed && !allowed.includes(req.headers.get('host') ?? '')) {
        return Promise.resolve(jsonRpcError(403, -32000, 'invalid Host header'));
      }
      return inner(req);
    },
    { host, port: o.port ?? 8403 },
  );
  // DNS-rebinding protection on loopback: the allowed Host values depend on the port.
  const port = (s.server.address() as AddressInfo).port;
  allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}${o.path ?? '/mcp'}`,
    close: async () => {
      await mcp.close();
      await s.close();
    },
  };
}
