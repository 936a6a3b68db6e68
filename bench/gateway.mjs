// The gateway beside Aperture (issue 6): paid-request throughput, latency and memory of a
// reverse proxy on loopback, all driven by the same wrk against the same upstream.
//   npm run bench -- gateway [--profile]
//
//   (a) the upstream alone (bench/upstream/main.go, Go net/http): the baseline
//   (b) `farebox gateway --config <tmp yaml>`: dev node backend, `pass` policy, SQLite store
//       (the default store) and, at 16 connections, the memory store
//   (c) Aperture v0.5.0 (built by bench/build-aperture.sh, run as a peer, never vendored),
//       issuing invoices through bob's lnd on the regtest network, paid by alice
//   (ref) bench/targets/node-proxy.mjs: a bare Node reverse proxy, no paywall (Node's floor)
// Every proxied request carries a valid paid token. RSS is sampled from /proc during the
// 1,000-connection run. With --profile (or automatically when farebox is slower than
// Aperture or adds ≥ 2 ms p99) the gateway runs once more under `node --cpu-prof` and the
// hottest functions are printed.
//
// Environment: BENCH_SECONDS (10), BENCH_ROUNDS (2, runs at 16 connections; the best is
// kept), BENCH_WARMUP (3 s per subject), BENCH_REGTEST=0 (skip Aperture), APERTURE_BIN.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devWalletPayer, obtainToken } from './harness/l402.mjs';
import { freePort, machineLoad, rssMb, startPeer, stopPeer, tailOf, waitForHttp } from './harness/proc.mjs';
import { newestProfile, summarizeProfile } from './harness/profile.mjs';
import { regtestEnv } from './harness/regtest.mjs';
import { printTable, round } from './harness/stats.mjs';
import { startUpstream } from './harness/upstream.mjs';
import { requireWrk, runWrk } from './harness/wrk.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const wantProfile = process.argv.includes('--profile') || process.env.BENCH_PROFILE === '1';
const PRICE_SATS = 1;
const VALID_SECONDS = 3600;
const PATH = '/svc/joke';

requireWrk();
const tmp = mkdtempSync(join(tmpdir(), 'farebox-bench-gateway-'));
const peers = [];
const cleanup = async () => {
  for (const p of peers.reverse()) await stopPeer(p);
};
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));

// --- farebox gateway ---------------------------------------------------------------
async function startFarebox(upstreamUrl, { store, profileDir } = {}) {
  const port = await freePort();
  const dir = join(tmp, `farebox-${store}-${port}`);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    [
      `listen: 127.0.0.1:${port}`,
      'backend: dev',
      `store: ${store === 'sqlite' ? `sqlite:${join(dir, 'gateway.db')}` : 'memory'}`,
      'services:',
      '  - name: svc',
      '    path: /svc/*',
      `    upstream: ${upstreamUrl}`,
      `    price: ${PRICE_SATS}`,
      `    policy: { pass: ${VALID_SECONDS} }`,
      '',
    ].join('\n'),
  );
  const args = [];
  if (profileDir) args.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  args.push(join(root, 'packages/cli/bin/farebox.js'), 'gateway', '--config', config);
  const logFile = join(dir, 'stderr.log');
  const child = startPeer(process.execPath, args, {
    logFile,
    env: { ...process.env, NODE_ENV: 'development' },
  });
  peers.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { child, logFile });
  // Pay once through the gateway's dev wallet (x-farebox-dev-wallet), as a client would.
  const authorization = await obtainToken(`${url}${PATH}`, devWalletPayer(url));
  return { name: `farebox (${store} store)`, url, child, authorization, logFile };
}

// --- Aperture --------------------------------------------------------------------------
function apertureBinary() {
  if (process.env.APERTURE_BIN) return process.env.APERTURE_BIN;
  const cached = join(
    process.env.FAREBOX_CACHE ?? join(homedir(), '.cache', 'farebox'),
    'bin/aperture-v0.5.0/aperture',
  );
  if (existsSync(cached)) return cached;
  // Builds from the Go module proxy once (~5 min) and caches outside the repository.
  return execFileSync('bash', [join(here, 'build-aperture.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .pop();
}

async function startAperture(upstreamAddr, env) {
  const bin = apertureBinary();
  const { LndRest } = await import('../packages/lightning/dist/node/index.js');
  const port = await freePort();
  const dir = join(tmp, 'aperture');
  const home = join(dir, 'home');
  mkdirSync(join(home, '.aperture'), { recursive: true }); // its default data dir must exist
  const config = join(dir, 'aperture.yaml');
  const macdir = join(env.BOB_MACAROON, '..'); // invoice.macaroon lives beside admin.macaroon
  // Keys are Aperture's lowercased Go field names (`dbfile` would be silently ignored).
  writeFileSync(
    config,
    [
      `listenaddr: "127.0.0.1:${port}"`,
      'insecure: true',
      'debuglevel: "info"',
      `basedir: "${join(home, '.aperture')}"`,
      'dbbackend: "sqlite"',
      'sqlite:',
      `  databasefilename: "${join(dir, 'aperture.db')}"`,
      'authenticator:',
      '  network: "regtest"',
      `  lndhost: "${env.BOB_GRPC}"`,
      `  tlspath: "${env.BOB_CERT}"`,
      `  macdir: "${macdir}"`,
      'services:',
      '  - name: "svc"',
      '    hostregexp: ".*"',
      "    pathregexp: '^/svc/.*$'",
      `    address: "${upstreamAddr}"`,
      '    protocol: http',
      `    price: ${PRICE_SATS}`,
      `    timeout: ${VALID_SECONDS}`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'stderr.log');
  const child = startPeer(bin, [`--configfile=${config}`], { logFile, env: { ...process.env, HOME: home } });
  peers.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${PATH}`, { child, logFile, timeoutMs: 30_000 });
  // Pay Aperture's invoice (bob's lnd) from alice over the real channel.
  const alice = new LndRest({
    host: env.ALICE_REST.replace(/^https:\/\//, ''),
    macaroon: readFileSync(env.ALICE_MACAROON),
    cert: readFileSync(env.ALICE_CERT, 'utf8'),
  });
  const authorization = await obtainToken(
    `${url}${PATH}`,
    async (invoice) => (await alice.payInvoice(invoice)).preimage,
  );
  await alice.close();
  return { name: 'Aperture v0.5.0', url, child, authorization, logFile };
}

// --- a bare Node proxy (reference) ---------------------------------------------------------
async function startNodeProxy(upstreamAddr) {
  const port = await freePort();
  const logFile = join(tmp, 'node-proxy.log');
  const child = startPeer(
    process.execPath,
    [join(here, 'targets/node-proxy.mjs'), `127.0.0.1:${port}`, upstreamAddr],
    {
      logFile,
    },
  );
  peers.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${PATH}`, { child, logFile });
  return { name: 'ref: bare Node proxy', url, child };
}

// --- the run -------------------------------------------------------------------------
const load = async (subject, connections, { quiet, ...extra } = {}) => {
  const loadBefore = machineLoad().load1;
  const r = await runWrk(`${subject.url}${PATH}`, {
    connections,
    seconds,
    headers: subject.authorization ? { authorization: subject.authorization } : {},
    rssPid: subject.child.pid,
    ...extra,
  });
  r.load1 = loadBefore;
  const bad = r.non2xx + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write;
  const note = bad ? ` (${r.non2xx} non-2xx, socket errors ${JSON.stringify(r.socketErrors)})` : '';
  if (!quiet)
    console.error(
      `  ${subject.name.padEnd(28)} c${connections}: ${r.rps} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.cpuUsPerReq} µs CPU/req, load ${loadBefore}${note}`,
    );
  return r;
};
const warm = (s) => load(s, 16, { seconds: warmup, quiet: true });

const results = { bench: 'gateway', node: process.version, cores: cpus().length, seconds, rounds };
try {
  const up = await startUpstream({ logFile: join(tmp, 'upstream.log') });
  peers.push(up.child);
  const upstream = { name: `upstream alone (${up.kind})`, url: up.url, child: up.child };
  results.upstream = up.kind;
  const subjects = [upstream];
  subjects.push(await startFarebox(up.url, { store: 'sqlite' }));
  subjects.push(await startFarebox(up.url, { store: 'memory' }));
  let apertureSkipped;
  try {
    const env = await regtestEnv();
    if (env) subjects.push(await startAperture(up.addr, env));
    else apertureSkipped = 'BENCH_REGTEST=0';
  } catch (e) {
    apertureSkipped = e.message.split('\n')[0];
    console.error(`bench gateway: Aperture left out: ${e.message}`);
  }
  subjects.push(await startNodeProxy(up.addr));
  for (const s of subjects) s.idleRssMb = round(rssMb(s.child.pid), 1);

  console.error(`\nwrk -t2 -c16 -d${seconds}s after ${warmup} s of warm-up, ${rounds} round(s), best kept:`);
  const c16 = new Map(subjects.map((s) => [s.name, []]));
  for (const s of subjects) await warm(s);
  for (let i = 0; i < rounds; i++) for (const s of subjects) c16.get(s.name).push(await load(s, 16));
  const c1Secs = Math.max(3, Math.round(seconds / 2));
  console.error(`\nlatency without queueing: wrk -t1 -c1 -d${c1Secs}s:`);
  const c1 = new Map();
  for (const s of subjects) c1.set(s.name, await load(s, 1, { threads: 1, seconds: c1Secs }));
  console.error(`\nwrk -t2 -c1000 -d${seconds}s --timeout 10s (RSS sampled):`);
  const c1k = new Map();
  for (const s of subjects) c1k.set(s.name, await load(s, 1000, { timeoutS: 10 }));

  const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const base16 = best(c16.get(upstream.name));
  const base1k = c1k.get(upstream.name);
  const rows = [];
  results.subjects = [];
  for (const s of subjects) {
    const b = best(c16.get(s.name));
    const k = c1k.get(s.name);
    const one = c1.get(s.name);
    const base1 = c1.get(upstream.name);
    const isBase = s === upstream;
    results.subjects.push({
      c1: { ...one, addedP50Ms: round(one.p50Ms - base1.p50Ms), addedP99Ms: round(one.p99Ms - base1.p99Ms) },
      name: s.name,
      c16: {
        ...b,
        addedP99Ms: isBase ? 0 : round(b.p99Ms - base16.p99Ms),
        allRps: c16.get(s.name).map((r) => r.rps),
      },
      c1000: { ...k, addedP99Ms: isBase ? 0 : round(k.p99Ms - base1k.p99Ms) },
      idleRssMb: s.idleRssMb,
    });
    const plus = (v) => (isBase ? '—' : `${v >= 0 ? '+' : ''}${round(v, 2)}`);
    rows.push([
      s.name,
      b.rps,
      b.p50Ms,
      b.p99Ms,
      plus(b.p99Ms - base16.p99Ms),
      b.cpuUsPerReq,
      round(one.p50Ms * 1000, 0),
      round(one.p99Ms * 1000, 0),
      plus((one.p99Ms - base1.p99Ms) * 1000),
      k.rps,
      k.p99Ms,
      plus(k.p99Ms - base1k.p99Ms),
      k.non2xx + k.socketErrors.timeout,
      s.idleRssMb,
      k.rssMaxMb,
    ]);
  }
  if (apertureSkipped) results.apertureSkipped = apertureSkipped;
  console.log(
    `\ngateway: paid requests through each proxy (wrk -t2 -d${seconds}s; c16 best of ${rounds}; c1 = wrk -t1 -c1, no queueing; added = vs the upstream alone)`,
  );
  printTable(
    [
      'subject',
      'c16 req/s',
      'p50 ms',
      'p99 ms',
      'added p99',
      'CPU µs/req',
      'c1 p50 µs',
      'c1 p99 µs',
      'added µs',
      'c1000 req/s',
      'p99 ms',
      'added p99',
      'errors',
      'idle RSS MB',
      'RSS@1k MB',
    ],
    rows,
  );

  const fb = results.subjects.find((s) => s.name.startsWith('farebox (sqlite'));
  const ap = results.subjects.find((s) => s.name.startsWith('Aperture'));
  results.goals = {
    throughputVsAperture: ap ? round(fb.c16.rps / ap.c16.rps, 2) : undefined,
    addedP99MsC16: fb.c16.addedP99Ms,
    addedP99MsC1: fb.c1.addedP99Ms,
    rssAt1kMb: fb.c1000.rssMaxMb,
    met: {
      throughput: ap ? fb.c16.rps >= ap.c16.rps : undefined,
      addedP99: fb.c16.addedP99Ms < 2 && fb.c1.addedP99Ms < 2,
      rss: fb.c1000.rssMaxMb < 150,
    },
  };
  console.log(
    `\ngoals (farebox, SQLite store): throughput ${results.goals.throughputVsAperture ?? 'n/a'}x Aperture (goal ≥ 1), added p99 ${fb.c16.addedP99Ms} ms at c16 and ${fb.c1.addedP99Ms} ms at c1 (goal < 2), RSS at 1k connections ${fb.c1000.rssMaxMb} MB (goal < 150)`,
  );

  if (wantProfile || !results.goals.met.throughput || !results.goals.met.addedP99) {
    for (const s of subjects.filter((x) => x.name.startsWith('farebox'))) await stopPeer(s.child);
    results.profile = {};
    for (const store of ['sqlite', 'memory']) {
      const profDir = join(tmp, `profile-${store}`);
      mkdirSync(profDir, { recursive: true });
      const prof = await startFarebox(up.url, { store, profileDir: profDir });
      prof.name = `farebox (${store}) --cpu-prof`;
      console.error(`\nprofiling the farebox gateway (${store} store) under c16 load …`);
      await warm(prof);
      await load(prof, 16);
      await stopPeer(prof.child, 15_000);
      const file = newestProfile(profDir);
      if (!file) {
        console.error(`no profile written; gateway log:\n${tailOf(prof.logFile)}`);
        continue;
      }
      const p = summarizeProfile(file, {
        top: 24,
        // farebox's code, its dependencies, and the Node calls farebox makes per request
        focus:
          /packages\/|node_modules\/|:flushHeaders:|:onSocketNT:|:randomBytes:|readablestream.js:ReadableStream:/,
      });
      results.profile[store] = p;
      console.log(`\nfarebox gateway (${store} store) CPU profile under c16 load; idle ${p.idlePct}%`);
      printTable(
        ['incl %', 'farebox / dependency function (file:function:line)'],
        p.inclusive.map((f) => [f.pct, f.where]),
      );
      console.log('');
      printTable(
        ['self %', 'hottest functions, any code'],
        p.self.slice(0, 12).map((f) => [f.pct, f.where]),
      );
    }
  }
} finally {
  await cleanup();
  if (!process.env.BENCH_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(results));
