/**
 * The `farebox` command line: a thin shell that parses arguments and calls the libraries.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { FareboxError } from '@farebox/core';
import { Exit, type Io } from './io.js';

export type { Io } from './io.js';

export const help = `farebox — pay-per-request HTTP APIs over Bitcoin Lightning (L402)

Usage: farebox <command> [options]

Commands:
  gateway --demo           a paid reverse proxy in front of a sample API, on the dev node
  gateway -c <file>        sell any upstream HTTP service per request (YAML/JSON config)
  services                 the paid AI services of the seeds (music, 3D models)
  init worker <dir>        a Cloudflare Worker that sells an endpoint (LNbits, L402)
  demo                     one L402 payment start to finish, in one process
  fetch <url>              call a URL like curl, paying L402 challenges within a budget
  mcp [--http]             the MCP server: agents discover, quote and pay L402 APIs
  receipts                 payments made by farebox fetch, with totals
  budget                   what is left of the spending budget
  token decode <token>     decode an L402 macaroon, credential or challenge
  invoice decode <bolt11>  decode and check a BOLT11 invoice

Options:
  --json      machine-readable output (every command)
  -h, --help  help for farebox or a command
  --version   print the version

Exit codes: 0 success, 1 failure, 2 usage error (fetch has more: see its --help).
`;

type Simple = (args: string[], flags: { json: boolean }, io: Io) => Promise<number>;
type Full = (argv: string[], io: Io) => Promise<number>;

/** Commands that parse only --json/--help themselves. */
function simple(run: Simple, helpText: string): { run: Full; help: string } {
  return {
    help: helpText,
    run: async (argv, io) => {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.help) {
        io.stdout(helpText);
        return Exit.OK;
      }
      return run(positionals, { json: values.json === true }, io);
    },
  };
}

type Loaded = { run: Full; help: string };

// Each command loads on use, so `farebox invoice decode` does not load the gateway, the MCP
// SDK or the generators.
const commands: Record<string, () => Promise<Loaded>> = {
  demo: async () => {
    const m = await import('./commands/demo.js');
    return simple(m.demo, m.demoHelp);
  },
  fetch: async () => {
    const m = await import('./commands/fetch.js');
    return { run: m.fetchCommand, help: m.fetchHelp };
  },
  gateway: async () => {
    const m = await import('./commands/gateway.js');
    return { run: m.gatewayCommand, help: m.gatewayHelp };
  },
  init: async () => {
    const m = await import('./commands/init.js');
    return { run: m.initCommand, help: m.initHelp };
  },
  mcp: async () => {
    const m = await import('./commands/mcp.js');
    return { run: m.mcpCommand, help: m.mcpHelp };
  },
  receipts: async () => {
    const m = await import('./commands/receipts.js');
    return { run: m.receiptsCommand, help: m.receiptsHelp };
  },
  budget: async () => {
    const m = await import('./commands/receipts.js');
    return { run: m.budgetCommand, help: m.budgetHelp };
  },
  services: async () => {
    const m = await import('./commands/services.js');
    return { run: m.servicesCommand, help: m.servicesHelp };
  },
  'token decode': async () => {
    const m = await import('./commands/token-decode.js');
    return simple(m.tokenDecode, m.tokenDecodeHelp);
  },
  'invoice decode': async () => {
    const m = await import('./commands/invoice-decode.js');
    return simple(m.invoiceDecode, m.invoiceDecodeHelp);
  },
};

/** Runs the CLI with `argv` (without the node and script paths); resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const two = words.slice(0, 2).join(' ');
  const key = commands[two] ? two : (words[0] ?? '');
  const load = commands[key];
  if (!load) {
    if (argv.includes('--version')) {
      io.stdout('farebox 0.1.0\n');
      return Exit.OK;
    }
    if (words.length === 0) {
      io.stdout(help);
      return argv.includes('--help') || argv.includes('-h') ? Exit.OK : Exit.USAGE;
    }
    io.stderr(`farebox: unknown command "${words.join(' ')}"\n\n${help}`);
    return Exit.USAGE;
  }
  // Drop the command words (first occurrences) and keep everything else in order.
  const rest = [...argv];
  for (const w of key.split(' ')) rest.splice(rest.indexOf(w), 1);
  const json = rest.includes('--json');
  const cmd = await load();
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof FareboxError) {
      if (json) io.stdout(`${JSON.stringify({ error: e.toJSON() })}\n`);
      io.stderr(`farebox: ${e.code}: ${e.message}\n`);
      return Exit.FAILED;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`farebox: ${(e as Error).message}\n\n${cmd.help}`);
      return Exit.USAGE;
    }
    io.stderr(`farebox: ${(e as Error).message ?? String(e)}\n`);
    return Exit.FAILED;
  }
}
