import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  createFareboxMcpServer,
  loadConfig,
  serveMcpHttp,
  serveMcpStdio,
  toolkitFromConfig,
} from '@farebox/mcp';
import type { Io } from '../io.js';

export const mcpHelp = `Usage: farebox mcp [--http] [--port N] [--host H] [--config file]

Runs the farebox MCP server: tools for AI agents to discover, price and call
L402 APIs, paying within a budget (l402_fetch, l402_quote, l402_discover,
l402_budget, l402_receipts, wallet_balance).

By default it speaks MCP over stdio, for an MCP client's configuration:
  {"mcpServers": {"farebox": {"command": "npx", "args": ["farebox", "mcp"],
    "env": {"FAREBOX_WALLET": "nostr+walletconnect://…", "FAREBOX_MAX_SATS_PER_DAY": "1000"}}}}

Options:
  --http            serve Streamable HTTP instead (bearer token required)
  --port <n>        HTTP port (default 8403)
  --host <h>        HTTP interface (default 127.0.0.1, loopback)
  --config <file>   JSON config file (also FAREBOX_CONFIG); the environment wins
  -h, --help        this help

Environment: FAREBOX_WALLET (connection string; without it, a farebox dev
server's dev wallet may pay: no real money), FAREBOX_MAX_SATS_PER_CALL (100),
FAREBOX_MAX_SATS_PER_HOUR, FAREBOX_MAX_SATS_PER_DAY (1000),
FAREBOX_MAX_SATS_TOTAL, FAREBOX_MAX_SATS_PER_HOST, FAREBOX_ALLOW_HOSTS,
FAREBOX_DENY_HOSTS, FAREBOX_APPROVE_ABOVE_SATS (ask the user above this),
FAREBOX_ALLOW_AGENT_LOWER_BUDGET, FAREBOX_ALLOW_PRIVATE_NETWORKS (reach
loopback/private addresses, for demos), FAREBOX_MAX_RESPONSE_BYTES,
FAREBOX_HOME (tokens and receipts; default ~/.farebox), FAREBOX_MCP_TOKEN
(bearer token for --http; generated and printed when unset).
`;

/** Resolves when the process is asked to stop (or stdin ends, for stdio). */
function stopped(stdio: boolean): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => () => resolve(why);
    process.once('SIGINT', done('SIGINT'));
    process.once('SIGTERM', done('SIGTERM'));
    if (stdio) {
      process.stdin.once('end', done('stdin closed'));
      process.stdin.once('close', done('stdin closed'));
    }
  });
}

export async function mcpCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      http: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(mcpHelp);
    return 0;
  }
  const cfg = await loadConfig({ env: io.env, ...(values.config ? { file: values.config } : {}) });
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      io.stderr('farebox mcp: --port must be 0-65535\n');
      return 2;
    }
    cfg.http.port = port;
  }
  if (values.host) cfg.http.host = values.host;
  const toolkit = toolkitFromConfig(cfg);
  // stdout carries the protocol in stdio mode: everything human goes to stderr.
  const wallet = cfg.wallet ? 'wallet configured' : 'no wallet (dev wallets of farebox dev servers only)';
  try {
    if (!values.http) {
      const s = await serveMcpStdio(createFareboxMcpServer(toolkit));
      io.stderr(`farebox mcp: serving on stdio; ${wallet}\n`);
      await stopped(true);
      await s.close();
      return 0;
    }
    const generated = !cfg.http.token;
    const token = cfg.http.token ?? randomBytes(24).toString('base64url');
    toolkit.redactor.add(token);
    const s = await serveMcpHttp({
      token,
      host: cfg.http.host,
      port: cfg.http.port,
      createServer: () => createFareboxMcpServer(toolkit),
    });
    io.stderr(`farebox mcp: Streamable HTTP on ${s.url}; ${wallet}\n`);
    if (generated) io.stderr(`farebox mcp: bearer token (set FAREBOX_MCP_TOKEN to choose it): ${token}\n`);
    await stopped(false);
    await s.close();
    return 0;
  } finally {
    await toolkit.close();
  }
}
