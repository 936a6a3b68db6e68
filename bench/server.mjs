// The paywall's per-request cost (issue 4): a paid request through the engine with the Node
// `http` adapter beside the same handler without the paywall, and challenge issuance.
//   npm run bench -- server
//
// Over HTTP (wrk, one server process per subject, same flags for all):
//   plain    node:http writing the answer itself (reference)
//   bridge   the same web handler through farebox's Node bridge, no paywall  ← the baseline
//   paid     `serve(paywall, handler)`: a `pass` route, dev node, memory store, a valid token
//   402s     the same paywall without a token: every request mints an invoice and a macaroon
// Throughput with -t2 -c16; latency without queueing with -t1 -c1. In process (no HTTP):
// `paywall.handle()` with the token vs calling the handler, and challenges per second.
//
// Environment: BENCH_SECONDS (10), BENCH_ROUNDS (2, best kept), BENCH_WARMUP (3).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevNode } from '../packages/lightning/dist/index.js';
import { Paywall } from '../packages/server/dist/index.js';
import { devWalletPayer, obtainToken, readChallenge } from './harness/l402.mjs';
import { freePort, machineLoad, startPeer, stopPeer, waitForHttp } from './harness/proc.mjs';
import { measureAsync, printTable, round } from './harness/stats.mjs';
import { requireWrk, runWrk } from './harness/wrk.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const PATH = '/svc/joke';

requireWrk();
const tmp = mkdtempSync(join(tmpdir(), 'farebox-bench-server-'));
const peers = [];
const results = { bench: 'server', node: process.version, cores: cpus().length, seconds, rounds };

async function startTarget(mode) {
  const port = await freePort();
  const logFile = join(tmp, `${mode}.log`);
  const child = startPeer(process.execPath, [join(here, 'targets/server-target.mjs'), mode, String(port)], {
    logFile,
  });
  peers.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${PATH}`, { child, logFile });
  return { mode, url, child };
}

const load = async (t, { connections = 16, threads = 2, headers = {}, secs = seconds, quiet } = {}) => {
  const load1 = machineLoad().load1;
  const r = await runWrk(`${t.url}${PATH}`, {
    threads,
    connections,
    seconds: secs,
    headers,
    rssPid: t.child.pid,
  });
  r.load1 = load1;
  if (!quiet)
    console.error(
      `  ${t.name.padEnd(26)} -t${threads} -c${connections}: ${r.rps} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.cpuUsPerReq} µs CPU/req, non-2xx ${r.non2xx}, load ${load1}`,
    );
  return r;
};
const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));

try {
  // --- over HTTP -------------------------------------------------------------------------
  const plain = { ...(await startTarget('plain')), name: 'plain node:http (ref)' };
  const bridge = { ...(await startTarget('bridge')), name: 'handler, no paywall' };
  const paywalled = await startTarget('paywall');
  const authorization = await obtainToken(`${paywalled.url}${PATH}`, devWalletPayer(paywalled.url));
  const paid = { ...paywalled, name: 'paid, through paywall', headers: { authorization } };
  const challenge = { ...paywalled, name: '402 challenge (no token)', headers: {} };
  const subjects = [plain, bridge, paid];

  console.error(`\nthroughput: wrk -t2 -c16 -d${seconds}s after ${warmup} s warm-up, ${rounds} round(s):`);
  for (const s of [...subjects, challenge]) await load(s, { headers: s.headers, secs: warmup, quiet: true });
  const c16 = new Map(subjects.map((s) => [s.name, []]));
  for (let i = 0; i < rounds; i++)
    for (const s of subjects) c16.get(s.name).push(await load(s, { headers: s.headers }));
  console.error(`\nlatency without queueing: wrk -t1 -c1 -d${seconds}s:`);
  const c1 = new Map();
  for (const s of subjects) c1.set(s.name, await load(s, { headers: s.headers, connections: 1, threads: 1 }));
  console.error('\nchallenge issuance (every answer a 402 with a fresh dev-node invoice):');
  const ch = await load(challenge, { headers: {} });

  const b16 = best(c16.get(bridge.name));
  const b1 = c1.get(bridge.name);
  const rows = subjects.map((s) => {
    const r = best(c16.get(s.name));
    const l = c1.get(s.name);
    return [
      s.name,
      r.rps,
      `${Math.round((100 * r.rps) / b16.rps)}%`,
      r.p50Ms,
      r.p99Ms,
      r.cpuUsPerReq,
      l.rps,
      round(l.p50Ms * 1000, 0),
      round(l.p99Ms * 1000, 0),
      s === bridge || s === plain ? '—' : `+${round((l.p50Ms - b1.p50Ms) * 1000, 0)}`,
      s === bridge || s === plain ? '—' : `+${round((l.p99Ms - b1.p99Ms) * 1000, 0)}`,
    ];
  });
  console.log(`\nserver: Node http adapter (wrk; c16 best of ${rounds}; c1 = one connection, no queueing)`);
  printTable(
    [
      'subject',
      'c16 req/s',
      'vs baseline',
      'p50 ms',
      'p99 ms',
      'CPU µs/req',
      'c1 req/s',
      'c1 p50 µs',
      'c1 p99 µs',
      'added p50 µs',
      'added p99 µs',
    ],
    rows,
  );
  console.log(
    `\n402 challenges over HTTP (dev node): ${ch.rps}/s, p50 ${ch.p50Ms} ms, p99 ${ch.p99Ms} ms, ${ch.cpuUsPerReq} µs CPU each (non-2xx ${ch.non2xx} of ${ch.requests})`,
  );
  results.http = {
    c16: Object.fromEntries([...c16].map(([k, v]) => [k, { ...best(v), allRps: v.map((r) => r.rps) }])),
    c1: Object.fromEntries(c1),
    challenges: ch,
  };
  for (const p of peers) await stopPeer(p);

  // --- in process (no HTTP): the engine alone ----------------------------------------------
  const node = new DevNode();
  const paywall = new Paywall({
    secret: crypto.getRandomValues(new Uint8Array(32)),
    lightning: node,
    routes: [{ path: '/svc/*', price: 1, policy: { type: 'pass', validSeconds: 3600 } }],
  });
  const BODY = '{"ok":true,"joke":"a farebox bench answer"}';
  const handler = () => new Response(BODY, { headers: { 'content-type': 'application/json' } });
  const url = `http://127.0.0.1${PATH}`;
  const first = await paywall.handle(new Request(url), handler);
  const c = readChallenge(first);
  const token = `L402 ${c.macaroon}:${(await node.payInvoice(c.invoice)).preimage}`;
  const check = await paywall.handle(new Request(url, { headers: { authorization: token } }), handler);
  if (check.status !== 200) throw new Error(`in-process token refused: ${check.status}`);
  const secs = Math.max(1, Math.min(3, seconds / 3));
  const base = await measureAsync(
    'handler alone',
    () => handler(new Request(url, { headers: { authorization: token } })),
    {
      seconds: secs,
    },
  );
  const engine = await measureAsync(
    'paywall.handle (paid)',
    () => paywall.handle(new Request(url, { headers: { authorization: token } }), handler),
    { seconds: secs },
  );
  const issue = await measureAsync('paywall.handle (402)', () => paywall.handle(new Request(url), handler), {
    seconds: secs,
  });
  console.log('\nin process, one core (no HTTP):');
  printTable(
    ['call', 'ops/s', 'µs/op', 'added µs'],
    [
      [base.name, Math.round(base.opsPerSec), round(base.usPerOp, 1), '—'],
      [
        engine.name,
        Math.round(engine.opsPerSec),
        round(engine.usPerOp, 1),
        `+${round(engine.usPerOp - base.usPerOp, 1)}`,
      ],
      [issue.name, Math.round(issue.opsPerSec), round(issue.usPerOp, 1), ''],
    ],
  );
  results.inProcess = { base, engine, issue };

  const pb = best(c16.get(paid.name));
  const pc1 = c1.get(paid.name);
  results.goals = {
    addedP50UsC1: round((pc1.p50Ms - b1.p50Ms) * 1000, 0),
    addedUsInProcess: round(engine.usPerOp - base.usPerOp, 1),
    throughputVsUnprotected: round(pb.rps / b16.rps, 2),
    met: {
      overheadP50: (pc1.p50Ms - b1.p50Ms) * 1000 < 100,
      throughput: pb.rps / b16.rps >= 0.8,
    },
  };
  console.log(
    `\ngoals: added p50 ${results.goals.addedP50UsC1} µs over HTTP at c1, ${results.goals.addedUsInProcess} µs in process (goal < 100); throughput ${Math.round(100 * results.goals.throughputVsUnprotected)}% of unprotected (goal ≥ 80%)`,
  );
} finally {
  for (const p of peers) await stopPeer(p);
  rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(results, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
