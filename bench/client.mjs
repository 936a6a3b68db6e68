// The paying client's own cost (issue 5), wallet excluded: a local L402 server whose invoices
// were signed beforehand, and a wallet that returns each invoice's preimage from a map at once.
//   npm run bench -- client
//
// Sequential calls (one in flight), each mode with the same global fetch (undici):
//   free         plain fetch of a free route (one round trip; reference)
//   cached       client.fetch with a cached `pass` token  vs  plain fetch sending the same header
//   paid         client.fetch paying a per-request route (402, pay, retry)  vs  a hand-written
//                plain-fetch L402 exchange (fetch, regex the header, look the preimage up, fetch)
// Reported: wall time per call (p50/p99) and CPU of the client process per call; the client's
// overhead is the difference to its plain-fetch baseline. The client keeps receipts, so the
// paid mode also reports its first and last calls (cost growing with the receipts kept).
//
// With --profile, the paid client.fetch calls run once more under the V8 profiler and the
// client's hottest functions are printed.
//
// When hyperfine is installed, the CLI's start-up is timed too (`farebox invoice decode`
// beside `node -e 0`): what an agent shelling out to `farebox` pays per call before any HTTP.
//
// Environment: BENCH_CALLS (1000 per mode).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { L402Client } from '../packages/client/dist/index.js';
import { encodeInvoice, randomBytes, sha256, toHex } from '../packages/core/dist/index.js';
import { freePort, machineLoad, startPeer, stopPeer, waitForHttp } from './harness/proc.mjs';
import { profileSection, summarizeProfile } from './harness/profile.mjs';
import { percentile, printTable, round } from './harness/stats.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const calls = Number(process.env.BENCH_CALLS ?? 1000);
const WARM = Math.min(100, calls);
const tmp = mkdtempSync(join(tmpdir(), 'farebox-bench-client-'));
const results = { bench: 'client', node: process.version, cores: cpus().length, calls };
let server;

// --- invoices signed beforehand, and the instant wallet ------------------------------------
const nodeKey = randomBytes(32);
const wantProfile = process.argv.includes('--profile') || process.env.BENCH_PROFILE === '1';
const needed = (wantProfile ? 3 : 2) * (calls + WARM) + 10;
const pool = [];
const preimages = new Map();
console.error(`bench client: signing ${needed} invoices beforehand …`);
for (let i = 0; i < needed; i++) {
  const preimage = randomBytes(32);
  const paymentHash = sha256(preimage);
  const paymentRequest = encodeInvoice(
    {
      network: 'regtest',
      amountMsat: 1000n,
      paymentHash,
      paymentSecret: randomBytes(32),
      description: 'farebox client bench',
      expirySeconds: 3600,
    },
    nodeKey,
  );
  const hash = toHex(paymentHash);
  pool.push({
    paymentRequest,
    paymentHash: hash,
    amountMsat: '1000',
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  preimages.set(paymentRequest, { preimage: toHex(preimage), paymentHash: hash });
}
const wallet = {
  backend: 'bench-instant',
  network: 'regtest',
  async payInvoice(invoice) {
    const p = preimages.get(invoice);
    if (!p) throw new Error('unknown invoice');
    return { preimage: p.preimage, paymentHash: p.paymentHash, amountMsat: 1000n, feeMsat: 0n };
  },
  async getBalance() {
    return { balanceMsat: 10n ** 12n };
  },
};

/** Runs `n` sequential calls; per-call wall ms and client CPU µs per call. */
async function run(n, fn) {
  const ms = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fn();
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    ms.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuUsPerCall: round((cpu.user + cpu.system) / n, 1) };
}

/** hyperfine: `node -e 0` vs `farebox invoice decode <bolt11>`; undefined without hyperfine. */
function cliStartup(invoice) {
  const cli = fileURLToPath(new URL('../packages/cli/bin/farebox.js', import.meta.url));
  const out = join(tmp, 'hyperfine.json');
  try {
    execFileSync(
      'hyperfine',
      [
        '--warmup',
        '3',
        '--runs',
        '20',
        '--style',
        'none',
        '--export-json',
        out,
        '-n',
        'node -e 0',
        `${process.execPath} -e 0`,
        '-n',
        'farebox invoice decode',
        `${process.execPath} ${cli} invoice decode ${invoice}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch (e) {
    if (e.code === 'ENOENT') {
      console.error('bench client: hyperfine not installed; CLI start-up left out');
      return undefined;
    }
    throw e;
  }
  const r = JSON.parse(readFileSync(out, 'utf8')).results.map((x) => ({
    command: x.command,
    meanMs: round(x.mean * 1000, 1),
    stddevMs: round(x.stddev * 1000, 1),
    minMs: round(x.min * 1000, 1),
  }));
  console.log('\nCLI start-up (hyperfine, 20 runs after 3 warm-ups):');
  printTable(
    ['command', 'mean ms', '± ms', 'min ms'],
    r.map((x) => [x.command, x.meanMs, x.stddevMs, x.minMs]),
  );
  return r;
}

try {
  const port = await freePort();
  const poolFile = join(tmp, 'pool.json');
  writeFileSync(poolFile, JSON.stringify(pool));
  const logFile = join(tmp, 'server.log');
  server = startPeer(process.execPath, [join(here, 'targets/client-target.mjs'), String(port), poolFile], {
    logFile,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/free`, { child: server, logFile });

  // The "cached" baseline replays a pass token bought with plain fetch; the client buys its own.
  const passClient = new L402Client({ wallet, budget: { perRequestSats: 100, perDaySats: 1_000_000 } });
  let passAuth;
  {
    const r = await fetch(`${base}/pass/a`);
    await r.arrayBuffer();
    const www = r.headers.get('www-authenticate');
    const mac = /macaroon="([^"]+)"/.exec(www)[1];
    const inv = /invoice="([^"]+)"/.exec(www)[1];
    passAuth = `L402 ${mac}:${preimages.get(inv).preimage}`;
  }
  await (await passClient.fetch(`${base}/pass/a`)).arrayBuffer(); // pays once, then cached

  const paidClient = new L402Client({ wallet, budget: { perRequestSats: 100, perDaySats: 1_000_000 } });
  const manualPaid = async () => {
    const r = await fetch(`${base}/paid`);
    await r.arrayBuffer();
    const www = r.headers.get('www-authenticate');
    const mac = /macaroon="([^"]+)"/.exec(www)[1];
    const inv = /invoice="([^"]+)"/.exec(www)[1];
    const { preimage } = await wallet.payInvoice(inv);
    return fetch(`${base}/paid`, { headers: { authorization: `L402 ${mac}:${preimage}` } });
  };
  const modes = [
    ['free: plain fetch', () => fetch(`${base}/free`)],
    ['cached: plain fetch + header', () => fetch(`${base}/pass/a`, { headers: { authorization: passAuth } })],
    ['cached: client.fetch', () => passClient.fetch(`${base}/pass/a`)],
    ['paid: plain-fetch L402', manualPaid],
    ['paid: client.fetch', () => paidClient.fetch(`${base}/paid`)],
  ];
  // Warm-up calls count as receipts for the paid client too; the growth figure says how much that matters.
  for (const [, fn] of modes) await run(WARM, fn);
  results.load1 = machineLoad().load1;
  const out = new Map();
  for (const [name, fn] of modes) {
    const r = await run(calls, fn);
    out.set(name, r);
    console.error(
      `  ${name.padEnd(30)} p50 ${round(percentile(r.ms, 50))} ms, ${r.cpuUsPerCall} µs CPU/call`,
    );
  }
  const row = (name, baseName) => {
    const r = out.get(name);
    const b = baseName ? out.get(baseName) : undefined;
    const p50 = percentile(r.ms, 50);
    const p99 = percentile(r.ms, 99);
    return [
      name,
      round(p50 * 1000, 0),
      round(p99 * 1000, 0),
      r.cpuUsPerCall,
      b ? `+${round((p50 - percentile(b.ms, 50)) * 1000, 0)}` : '—',
      b ? `+${round(r.cpuUsPerCall - b.cpuUsPerCall, 1)}` : '—',
    ];
  };
  console.log(
    `\nclient: ${calls} sequential calls per mode, instant wallet, local farebox server (load ${results.load1})`,
  );
  printTable(
    ['mode', 'p50 µs', 'p99 µs', 'client CPU µs/call', 'added p50 µs', 'added CPU µs'],
    [
      row('free: plain fetch'),
      row('cached: plain fetch + header'),
      row('cached: client.fetch', 'cached: plain fetch + header'),
      row('paid: plain-fetch L402'),
      row('paid: client.fetch', 'paid: plain-fetch L402'),
    ],
  );
  const paidMs = out.get('paid: client.fetch').ms;
  const chunk = Math.max(1, Math.floor(calls / 5));
  const early = percentile(paidMs.slice(0, chunk), 50);
  const late = percentile(paidMs.slice(-chunk), 50);
  console.log(
    `\npaid client.fetch p50: first ${chunk} calls ${round(early * 1000, 0)} µs, last ${chunk} calls ${round(late * 1000, 0)} µs (receipts kept: ${WARM} → ${WARM + calls})`,
  );
  results.modes = Object.fromEntries(
    [...out].map(([k, r]) => [
      k,
      {
        p50Ms: round(percentile(r.ms, 50)),
        p99Ms: round(percentile(r.ms, 99)),
        cpuUsPerCall: r.cpuUsPerCall,
      },
    ]),
  );
  if (wantProfile) {
    const file = join(tmp, 'client.cpuprofile');
    const fresh = new L402Client({ wallet, budget: { perRequestSats: 100, perDaySats: 1_000_000 } });
    await run(WARM, () => fresh.fetch(`${base}/paid`));
    await profileSection(file, () => run(calls, () => fresh.fetch(`${base}/paid`)));
    const p = summarizeProfile(file, { top: 24, focus: /packages\/|node_modules\/|undici:fetch:/ });
    results.profile = p;
    console.log(`\nprofile of ${calls} paid client.fetch calls (client process; idle ${p.idlePct}%)`);
    printTable(
      ['incl %', 'function (file:function:line)'],
      p.inclusive.map((f) => [f.pct, f.where]),
    );
  }
  results.cli = cliStartup(pool[pool.length - 1].paymentRequest);
  results.paidGrowth = {
    firstP50Ms: round(early),
    lastP50Ms: round(late),
    receiptsFrom: WARM,
    receiptsTo: WARM + calls,
  };
} finally {
  await stopPeer(server);
  rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(results));
