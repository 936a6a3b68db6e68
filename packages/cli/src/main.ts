/**
 * The `farebox` command line: a thin shell that parses arguments and calls the libraries.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { FareboxError } from '@farebox/core';
import { demo, demoHelp } from './commands/demo.js';
import { invoiceDecode, invoiceDecodeHelp } from './commands/invoice-decode.js';
import { tokenDecode, tokenDecodeHelp } from './commands/token-decode.js';
import { Exit, type Io } from './io.js';

export type { Io } from './io.js';

export const help = `farebox — pay-per-request HTTP APIs over Bitcoin Lightning (L402)

Usage: farebox <command> [options]

Commands:
  demo                     one L402 payment start to finish, on the dev node
  token decode <token>     decode an L402 macaroon, credential or challenge
  invoice decode <bolt11>  decode and check a BOLT11 invoice

Options:
  --json      machine-readable output
  -h, --help  help for farebox or a command
  --version   print the version

Exit codes: 0 success, 1 failure, 2 usage error.
`;

type Command = (args: string[], flags: { json: boolean }, io: Io) => Promise<number>;

const commands: Record<string, { run: Command; help: string }> = {
  demo: { run: demo, help: demoHelp },
  'token decode': { run: tokenDecode, help: tokenDecodeHelp },
  'invoice decode': { run: invoiceDecode, help: invoiceDecodeHelp },
};

/** Runs the CLI with `argv` (without the node and script paths); resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (e) {
    io.stderr(`farebox: ${(e as Error).message}\n\n${help}`);
    return Exit.USAGE;
  }
  const { positionals, values } = parsed;
  if (values.version) {
    io.stdout('farebox 0.1.0\n');
    return Exit.OK;
  }
  const two = positionals.slice(0, 2).join(' ');
  const key = commands[two] ? two : (positionals[0] ?? '');
  const cmd = commands[key];
  if (!cmd) {
    if (positionals.length === 0 || values.help) {
      io.stdout(help);
      return positionals.length === 0 && !values.help ? Exit.USAGE : Exit.OK;
    }
    io.stderr(`farebox: unknown command "${positionals.join(' ')}"\n\n${help}`);
    return Exit.USAGE;
  }
  if (values.help) {
    io.stdout(cmd.help);
    return Exit.OK;
  }
  const rest = positionals.slice(key.split(' ').length);
  const json = values.json === true;
  try {
    return await cmd.run(rest, { json }, io);
  } catch (e) {
    if (e instanceof FareboxError) {
      if (json) io.stdout(`${JSON.stringify({ error: e.toJSON() })}\n`);
      io.stderr(`farebox: ${e.code}: ${e.message}\n`);
      return Exit.FAILED;
    }
    io.stderr(`farebox: ${(e as Error).message ?? String(e)}\n`);
    return Exit.FAILED;
  }
}
