import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { L402Client } from '@farebox/client';
import { FileClientStore } from '@farebox/client/node';
import { type Io, printJson } from '../io.js';
import { budgetFromEnv, fareboxHome } from './fetch.js';

export const receiptsHelp = `Usage: farebox receipts [--json]

Lists the payments farebox fetch made (time, host, path, amount, fee, payment
hash) and their totals, from $FAREBOX_HOME (default ~/.farebox).
`;

export const budgetHelp = `Usage: farebox budget [--json]

Shows what is left of the budget (FAREBOX_MAX_SATS, FAREBOX_MAX_SATS_PER_DAY,
FAREBOX_MAX_SATS_TOTAL) and what was spent in the last hour, day and in total.
`;

function client(io: Io): L402Client {
  const noWallet = {
    backend: 'none',
    payInvoice: async () => {
      throw new Error('no wallet');
    },
    getBalance: async () => ({ balanceMsat: 0n }),
  };
  return new L402Client({
    wallet: noWallet,
    store: new FileClientStore(join(fareboxHome(io.env), 'client.json')),
    budget: budgetFromEnv(io.env),
  });
}

function opts(argv: string[]) {
  return parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  }).values;
}

export async function receiptsCommand(argv: string[], io: Io): Promise<number> {
  const v = opts(argv);
  if (v.help) {
    io.stdout(receiptsHelp);
    return 0;
  }
  const r = await client(io).receipts();
  if (v.json) {
    printJson(io, r);
    return 0;
  }
  for (const x of r.receipts) {
    io.stdout(
      `${new Date(x.time * 1000).toISOString()}  ${String(Number(x.amountMsat) / 1000).padStart(8)} sats  fee ${Number(x.feeMsat) / 1000}  ${x.method} ${x.host}${x.path}${x.status === 'rejected' ? '  (REFUSED by the server)' : ''}\n`,
    );
  }
  io.stdout(`${r.count} payment(s), ${r.totalSats} sats, fees ${r.feesSats} sats\n`);
  return 0;
}

export async function budgetCommand(argv: string[], io: Io): Promise<number> {
  const v = opts(argv);
  if (v.help) {
    io.stdout(budgetHelp);
    return 0;
  }
  const c = client(io);
  const rem = await c.remaining();
  if (v.json) {
    printJson(io, { limits: c.budget.limits, remaining: rem });
    return 0;
  }
  const l = c.budget.limits;
  const line = (name: string, cap: number | undefined, left: number | undefined, spent: number) =>
    `${name.padEnd(12)} ${cap === undefined ? 'no limit' : `${left} of ${cap} sats left`}  (spent ${spent})\n`;
  io.stdout(`per request  ${l.perRequestSats ?? 'no limit'} sats max\n`);
  io.stdout(line('last hour', l.perHourSats, rem.hourSats, rem.spentHourSats));
  io.stdout(line('last day', l.perDaySats, rem.daySats, rem.spentDaySats));
  io.stdout(line('total', l.totalSats, rem.totalSats, rem.spentTotalSats));
  return 0;
}
