// Invoices and payments through each Lightning backend (issue 3), on the real regtest
// network (scripts/regtest; brought up when down) and the in-process dev node.
//   npm run bench -- lightning
//
//   lnd REST   bob issues (LndRest), alice pays bob's invoices
//   lnd gRPC   bob issues (LndGrpc), alice pays bob's invoices
//   LNbits     the LNbits wallet (funded by bob's lnd) issues, and pays invoices of alice
//   dev node   DevNode issues and pays its own invoices (no network, no real money)
// Each beside a baseline measured in the same run without farebox's adapters: lnd REST through
// bare node:https, lnd gRPC through the `lightning` npm package, LNbits through bare fetch.
// Invoices: sequential (adapter and baseline calls alternating) and 8 in flight; payments:
// sequential (alternating) and, for the adapters, 5 in flight.
//
// Environment: BENCH_INVOICES (200), BENCH_PAYMENTS (50), BENCH_REGTEST=0 (dev node only).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { DevNode, LnbitsBackend } from '../packages/lightning/dist/index.js';
import { LndGrpc, LndRest } from '../packages/lightning/dist/node/index.js';
import { machineLoad } from './harness/proc.mjs';
import { rawLnbits, rawLndGrpc, rawLndRest } from './harness/raw-lightning.mjs';
import { regtestEnv } from './harness/regtest.mjs';
import { printTable, summarize, timeCalls, timeConcurrent } from './harness/stats.mjs';

const INVOICES = Number(process.env.BENCH_INVOICES ?? 200);
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 50);
const MSAT = 1000n;
const MEMO = 'farebox bench';
const results = {
  bench: 'lightning',
  node: process.version,
  cores: cpus().length,
  invoices: INVOICES,
  payments: PAYMENTS,
  rows: [],
};

let env;
try {
  env = await regtestEnv();
} catch (e) {
  console.error(`bench lightning: regtest unavailable, dev node only: ${e.message}`);
}

const backends = [];
const closers = [];
if (env) {
  const lndOpts = (who, hostKey) => ({
    host: env[`${who}_${hostKey}`].replace(/^https:\/\//, ''),
    macaroon: readFileSync(env[`${who}_MACAROON`]),
    cert: readFileSync(env[`${who}_CERT`], 'utf8'),
  });
  const rawRest = (who) =>
    rawLndRest({
      rest: env[`${who}_REST`],
      macaroonHex: readFileSync(env[`${who}_MACAROON`]).toString('hex'),
      certPem: readFileSync(env[`${who}_CERT`], 'utf8'),
    });
  const rawGrpc = (who) =>
    rawLndGrpc({
      socket: env[`${who}_GRPC`],
      macaroonBase64: readFileSync(env[`${who}_MACAROON`]).toString('base64'),
      certBase64: readFileSync(env[`${who}_CERT`]).toString('base64'),
    });
  const bobRest = new LndRest(lndOpts('BOB', 'REST'));
  const aliceRest = new LndRest(lndOpts('ALICE', 'REST'));
  const bobGrpc = new LndGrpc(lndOpts('BOB', 'GRPC'));
  const aliceGrpc = new LndGrpc(lndOpts('ALICE', 'GRPC'));
  const [rawBobRest, rawAliceRest, rawBobGrpc, rawAliceGrpc] = [
    rawRest('BOB'),
    rawRest('ALICE'),
    rawGrpc('BOB'),
    rawGrpc('ALICE'),
  ];
  closers.push(bobRest, aliceRest, bobGrpc, aliceGrpc, rawBobRest, rawAliceRest, rawBobGrpc, rawAliceGrpc);
  // Invoices to pay come from the payee's REST adapter (untimed).
  const bobInvoice = async () =>
    (await bobRest.createInvoice({ amountMsat: MSAT, memo: MEMO })).paymentRequest;
  const aliceInvoice = async () =>
    (await aliceRest.createInvoice({ amountMsat: MSAT, memo: MEMO })).paymentRequest;
  backends.push(
    {
      name: 'lnd REST',
      issue: () => bobRest.createInvoice({ amountMsat: MSAT, memo: MEMO }),
      pay: (r) => aliceRest.payInvoice(r),
      payee: bobInvoice,
      baseline: 'node:https',
      rawIssue: () => rawBobRest.createInvoice(MSAT, MEMO),
      rawPay: (r) => rawAliceRest.pay(r),
    },
    {
      name: 'lnd gRPC',
      issue: () => bobGrpc.createInvoice({ amountMsat: MSAT, memo: MEMO }),
      pay: (r) => aliceGrpc.payInvoice(r),
      payee: bobInvoice,
      baseline: 'lightning pkg',
      rawIssue: () => rawBobGrpc.createInvoice(MSAT, MEMO),
      rawPay: (r) => rawAliceGrpc.pay(r),
    },
  );
  if (env.LNBITS_URL) {
    const lnbits = new LnbitsBackend({
      url: env.LNBITS_URL,
      key: env.LNBITS_INVOICE_KEY,
      adminKey: env.LNBITS_ADMIN_KEY,
    });
    const raw = rawLnbits({
      url: env.LNBITS_URL,
      invoiceKey: env.LNBITS_INVOICE_KEY,
      adminKey: env.LNBITS_ADMIN_KEY,
    });
    closers.push(lnbits);
    backends.push({
      name: 'LNbits',
      issue: () => lnbits.createInvoice({ amountMsat: MSAT, memo: MEMO }),
      pay: (r) => lnbits.payInvoice(r),
      payee: aliceInvoice,
      baseline: 'fetch',
      rawIssue: () => raw.createInvoice(MSAT, MEMO),
      rawPay: (r) => raw.pay(r),
    });
  }
}
const dev = new DevNode();
backends.push({
  name: 'dev node',
  issue: () => dev.createInvoice({ amountMsat: MSAT, memo: MEMO }),
  pay: (r) => dev.payInvoice(r),
  payee: async () => (await dev.createInvoice({ amountMsat: MSAT, memo: MEMO })).paymentRequest,
});

const invoicesFor = async (b, n) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await b.payee());
  return out;
};

/** `n` sequential calls of `fn`, each followed by one of `base` when given; summaries of both. */
async function alternate(n, fn, base) {
  const a = [];
  const b = [];
  for (let i = 0; i < n; i++) {
    a.push(...(await timeCalls(1, () => fn(i))));
    if (base) b.push(...(await timeCalls(1, () => base(i))));
  }
  return [summarize(a), base ? summarize(b) : undefined];
}

const rows = [];
const record = (b, op, mode, s, base) => {
  results.rows.push({ backend: b.name, op, mode, ...s, ...(base ? { baseline: b.baseline, base } : {}) });
  rows.push([
    b.name,
    op,
    mode,
    s.n,
    s.perSec,
    s.p50Ms,
    s.p99Ms,
    base ? b.baseline : '—',
    base?.perSec,
    base?.p50Ms,
    base?.p99Ms,
  ]);
  console.error(
    `  ${b.name} ${op} ${mode}: ${s.perSec}/s p50 ${s.p50Ms} ms${base ? ` (${b.baseline}: ${base.perSec}/s p50 ${base.p50Ms} ms)` : ''}`,
  );
};

try {
  results.load1 = machineLoad().load1;
  for (const b of backends) {
    console.error(`\n${b.name}:`);
    // Warm-up: connections, TLS, proto loading, JIT.
    for (let i = 0; i < 5; i++) await b.issue();
    if (b.rawIssue) for (let i = 0; i < 5; i++) await b.rawIssue();
    await b.pay(await b.payee());
    if (b.rawPay) await b.rawPay(await b.payee());

    // Sequential calls alternate adapter and baseline, so both meet the same node and machine.
    const [seq, seqBase] = await alternate(INVOICES, () => b.issue(), b.rawIssue && (() => b.rawIssue()));
    record(b, 'invoice', 'sequential', seq, seqBase);
    const c8 = await timeConcurrent(INVOICES, 8, () => b.issue());
    const c8Base = b.rawIssue ? await timeConcurrent(INVOICES, 8, () => b.rawIssue()) : undefined;
    record(
      b,
      'invoice',
      '8 in flight',
      summarize(c8.ms, c8.wallMs),
      c8Base && summarize(c8Base.ms, c8Base.wallMs),
    );

    let todo = await invoicesFor(b, PAYMENTS);
    const more = b.rawPay ? await invoicesFor(b, PAYMENTS) : [];
    const [pay, payBase] = await alternate(
      PAYMENTS,
      (i) => b.pay(todo[i]),
      b.rawPay && ((i) => b.rawPay(more[i])),
    );
    record(b, 'payment', 'sequential', pay, payBase);
    todo = await invoicesFor(b, PAYMENTS);
    const p5 = await timeConcurrent(PAYMENTS, 5, (i) => b.pay(todo[i]));
    record(b, 'payment', '5 in flight', summarize(p5.ms, p5.wallMs));
  }
} finally {
  for (const c of closers) await c.close?.();
}

console.log(
  `\nlightning: ${INVOICES} invoices and ${PAYMENTS} payments of 1 sat per backend and mode (load ${results.load1})`,
);
printTable(
  ['backend', 'op', 'mode', 'n', 'per s', 'p50 ms', 'p99 ms', 'baseline', 'per s', 'p50 ms', 'p99 ms'],
  rows,
);
console.log(JSON.stringify(results));
// gRPC channels and keep-alive sockets may hold the loop open.
process.exit(0);
