#!/usr/bin/env node
// One command for the benchmarks: `npm run bench [-- name…]`. Installs the baselines into
// bench/node_modules on first use (they are never farebox dependencies), builds, runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const all = ['core'];
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const which = names.length ? names : all;

if (!existsSync(`${here}node_modules/macaroon`)) {
  console.error('bench: installing baselines into bench/node_modules …');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', here], { stdio: 'inherit' });
}
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
for (const name of which) {
  if (!all.includes(name)) throw new Error(`unknown benchmark ${name}; known: ${all.join(', ')}`);
  console.error(`\n== bench ${name} ==`);
  execFileSync(process.execPath, [`${here}${name}.mjs`], { stdio: 'inherit' });
}
