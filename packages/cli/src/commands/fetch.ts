import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BudgetLimits, L402Client, type PaymentReceipt } from '@farebox/client';
import { FileClientStore } from '@farebox/client/node';
import { FareboxError } from '@farebox/core';
import { type Io, printJson } from '../io.js';
import { LazyWallet } from '../wallet.js';

export const fetchHelp = `Usage: farebox fetch <url> [options]

Calls a URL like curl and pays an L402 challenge by itself, within a budget.
Prints the response body on stdout and what was paid on stderr.

Options:
  -X, --request <method>   HTTP method (default GET, or POST with -d)
  -H, --header <h: v>      add a header (repeatable)
  -d, --data <data|@file>  request body (@file reads a file)
  --max-sats <n>           most to pay for this call (default: FAREBOX_MAX_SATS or 1000)
  --wallet <connection>    wallet to pay with (default: FAREBOX_WALLET; else the
                           target's dev wallet when it runs the dev node)
  --dry-run                show what would be paid, pay nothing
  -o, --output <file>      write the body to a file
  --json                   print {status, headers, body, paid} as JSON
  -h, --help               this help

Budget (environment): FAREBOX_MAX_SATS_PER_DAY, FAREBOX_MAX_SATS_TOTAL,
FAREBOX_ALLOW_HOSTS, FAREBOX_DENY_HOSTS (comma-separated). Receipts and tokens
are kept in $FAREBOX_HOME (default ~/.farebox).

Exit codes: 0 success, 2 usage, 3 refused by budget or approval,
4 payment failed or refused by the server, 5 HTTP error status, 1 other failure.
`;

export const FetchExit = { OK: 0, FAILED: 1, USAGE: 2, BUDGET: 3, PAYMENT: 4, HTTP: 5 } as const;

/** Where the CLI keeps tokens and receipts. */
export function fareboxHome(env: Record<string, string | undefined>): string {
  return env.FAREBOX_HOME ?? join(env.HOME ?? homedir(), '.farebox');
}

/** Budget limits from the environment. */
export function budgetFromEnv(env: Record<string, string | undefined>, maxSats?: number): BudgetLimits {
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const list = (v: string | undefined) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  const b: BudgetLimits = {};
  const perRequest = maxSats ?? num(env.FAREBOX_MAX_SATS) ?? 1000;
  b.perRequestSats = perRequest;
  const day = num(env.FAREBOX_MAX_SATS_PER_DAY);
  if (day !== undefined) b.perDaySats = day;
  const total = num(env.FAREBOX_MAX_SATS_TOTAL);
  if (total !== undefined) b.totalSats = total;
  const allow = list(env.FAREBOX_ALLOW_HOSTS);
  if (allow) b.allowHosts = allow;
  const deny = list(env.FAREBOX_DENY_HOSTS);
  if (deny) b.denyHosts = deny;
  return b;
}

const BUDGET_CODES = new Set(['BUDGET_EXCEEDED', 'HOST_NOT_ALLOWED', 'APPROVAL_DENIED']);
const PAYMENT_CODES = new Set(['PAYMENT_FAILED', 'INVALID_CHALLENGE', 'PAID_BUT_REJECTED']);

export async function fetchCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      request: { type: 'string', short: 'X' },
      header: { type: 'string', short: 'H', multiple: true },
      data: { type: 'string', short: 'd' },
      'max-sats': { type: 'string' },
      wallet: { type: 'string' },
      'dry-run': { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(fetchHelp);
    return FetchExit.OK;
  }
  const [url] = positionals;
  if (!url) {
    io.stderr(fetchHelp);
    return FetchExit.USAGE;
  }
  const headers = new Headers();
  for (const h of values.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) {
      io.stderr(`farebox fetch: bad header "${h}" (expected "Name: value")\n`);
      return FetchExit.USAGE;
    }
    headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
  }
  let body: string | Uint8Array | undefined;
  if (values.data !== undefined) {
    body = values.data.startsWith('@') ? new Uint8Array(await readFile(values.data.slice(1))) : values.data;
    if (!headers.has('content-type')) {
      // Sniffed the same way whether the data is inline or from a file.
      const head = typeof body === 'string' ? body : new TextDecoder().decode(body.subarray(0, 64));
      const text = head.trim();
      headers.set(
        'content-type',
        text.startsWith('{') || text.startsWith('[')
          ? 'application/json'
          : 'application/x-www-form-urlencoded',
      );
    }
  }
  const method = values.request ?? (body !== undefined ? 'POST' : 'GET');
  const maxSats = values['max-sats'] === undefined ? undefined : Number(values['max-sats']);
  if (maxSats !== undefined && !(maxSats >= 0)) {
    io.stderr('farebox fetch: --max-sats must be a number ≥ 0\n');
    return FetchExit.USAGE;
  }

  let devWalletUrl: string | undefined;
  const target = new URL(url);
  const observe: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const hint = res.headers.get('x-farebox-dev-wallet');
    if (hint?.startsWith('/')) devWalletUrl = new URL(hint, target.origin).href;
    return res;
  };
  const wallet = new LazyWallet(values.wallet ?? io.env.FAREBOX_WALLET, () => devWalletUrl);
  const home = fareboxHome(io.env);
  const paid: PaymentReceipt[] = [];
  const client = new L402Client({
    wallet,
    fetch: observe,
    store: new FileClientStore(join(home, 'client.json')),
    budget: budgetFromEnv(io.env, maxSats),
    onPayment: (r) => paid.push(r),
  });
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body as BodyInit;
  try {
    if (values['dry-run']) {
      const q = await client.quote(url, init);
      if (values.json) printJson(io, q);
      else if (!q.paymentRequired) io.stderr(`no payment needed (HTTP ${q.status})\n`);
      else
        io.stderr(
          `would pay ${q.quote.amountSats} sats to ${q.quote.host} (${q.quote.network}) for ${q.quote.method} ${new URL(q.quote.url).pathname}\n`,
        );
      return FetchExit.OK;
    }
    const res = await client.fetch(url, init);
    const bytes = new Uint8Array(await res.arrayBuffer());
    for (const r of paid) {
      const notice = wallet.notice ? ` · ${wallet.notice}` : '';
      io.stderr(
        `paid ${Number(r.amountMsat) / 1000} sats (fee ${Number(r.feeMsat) / 1000}) to ${r.host} for ${r.method} ${r.path}${notice}\n`,
      );
    }
    if (values.output) await writeFile(values.output, bytes);
    if (values.json) {
      const text = new TextDecoder().decode(bytes);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep text
      }
      printJson(io, {
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: values.output ? `(written to ${values.output})` : parsed,
        paid: paid.map((r) => ({
          sats: Number(r.amountMsat) / 1000,
          feeSats: Number(r.feeMsat) / 1000,
          host: r.host,
          path: r.path,
          paymentHash: r.paymentHash,
        })),
      });
    } else if (!values.output) {
      io.stdout(new TextDecoder().decode(bytes));
    }
    return res.status >= 400 ? FetchExit.HTTP : FetchExit.OK;
  } catch (e) {
    const code = e instanceof FareboxError ? e.code : undefined;
    if (values.json)
      printJson(io, { error: e instanceof FareboxError ? e.toJSON() : { message: (e as Error).message } });
    io.stderr(`farebox fetch: ${code ? `${code}: ` : ''}${(e as Error).message}\n`);
    if (code && BUDGET_CODES.has(code)) return FetchExit.BUDGET;
    if (code && PAYMENT_CODES.has(code)) return FetchExit.PAYMENT;
    return FetchExit.FAILED;
  } finally {
    await wallet.close();
  }
}
