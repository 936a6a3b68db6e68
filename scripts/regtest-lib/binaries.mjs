// Finds or builds the pinned btcd and lnd binaries, and the LNbits venv, in
// ${FAREBOX_CACHE:-$HOME/.cache/farebox}. Builds go to a temp dir that is
// renamed into place only when complete, so an interrupted build never leaves
// a half-filled cache.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, RegtestError, run, withLock } from './util.mjs';

export const BTCD_VERSION = 'v0.26.2';
export const LND_VERSION = 'v0.21.3-beta';
export const LNBITS_VERSION = '1.6.2';
export const LND_TAGS = 'signrpc walletrpc chainrpc invoicesrpc peersrpc';

export function cacheDir() {
  return process.env.FAREBOX_CACHE || path.join(os.homedir(), '.cache', 'farebox');
}

export function binDir(name, version) {
  return path.join(cacheDir(), 'bin', `${name}-${version}`);
}

export function binaryPaths() {
  const btcd = binDir('btcd', BTCD_VERSION);
  const lnd = binDir('lnd', LND_VERSION);
  return {
    btcd: path.join(btcd, 'btcd'),
    btcctl: path.join(btcd, 'btcctl'),
    lnd: path.join(lnd, 'lnd'),
    lncli: path.join(lnd, 'lncli'),
  };
}

async function versionMatches(bin, version) {
  if (!fs.existsSync(bin)) return false;
  try {
    const { code, stdout, stderr } = await run(bin, ['--version'], { timeoutMs: 20_000 });
    return code === 0 && `${stdout}${stderr}`.includes(version.replace(/^v/, ''));
  } catch {
    return false;
  }
}

function goCmd() {
  return process.env.GO || 'go';
}

async function mustRun(stepName, cmd, args, opts) {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    throw new RegtestError(stepName, `${cmd} ${args.join(' ')} exited with ${res.code}`, {
      logFile: opts.logFile,
    });
  }
  return res;
}

/** Remove what interrupted builds left (`<prefix>*` in `dir`). Call only while holding the build lock. */
function removeLeftovers(dir, prefix) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.startsWith(prefix)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  }
}

/** Replace `finalDir` with the complete `tmpDir` (rename is atomic on one filesystem). */
function promote(tmpDir, finalDir) {
  if (fs.existsSync(finalDir)) {
    const old = `${finalDir}.old-${process.pid}`;
    fs.renameSync(finalDir, old);
    fs.renameSync(tmpDir, finalDir);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmpDir, finalDir);
  }
}

export async function ensureBtcd() {
  const bins = binaryPaths();
  if ((await versionMatches(bins.btcd, BTCD_VERSION)) && fs.existsSync(bins.btcctl)) return bins;
  const cache = cacheDir();
  return withLock(path.join(cache, 'build', 'btcd.lock'), 'building btcd', async () => {
    if ((await versionMatches(bins.btcd, BTCD_VERSION)) && fs.existsSync(bins.btcctl)) return bins;
    const logFile = path.join(cache, 'build', `btcd-${BTCD_VERSION}.log`);
    fs.writeFileSync(logFile, '');
    log(`building btcd ${BTCD_VERSION} (first time, ~1 min; log ${logFile})…`);
    const started = Date.now();
    const finalDir = binDir('btcd', BTCD_VERSION);
    const tmpDir = `${finalDir}.tmp-${process.pid}`;
    removeLeftovers(path.dirname(finalDir), `${path.basename(finalDir)}.tmp-`);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    try {
      await mustRun(
        'build btcd',
        goCmd(),
        [
          'install',
          `github.com/btcsuite/btcd@${BTCD_VERSION}`,
          `github.com/btcsuite/btcd/cmd/btcctl@${BTCD_VERSION}`,
        ],
        { env: { ...process.env, GOBIN: tmpDir }, logFile, timeoutMs: 30 * 60_000 },
      );
      if (!(await versionMatches(path.join(tmpDir, 'btcd'), BTCD_VERSION))) {
        throw new RegtestError('build btcd', `built btcd does not report version ${BTCD_VERSION}`, {
          logFile,
        });
      }
      promote(tmpDir, finalDir);
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
    log(`btcd built in ${Math.round((Date.now() - started) / 1000)} s`);
    return bins;
  });
}

export async function ensureLnd() {
  const bins = binaryPaths();
  if ((await versionMatches(bins.lnd, LND_VERSION)) && fs.existsSync(bins.lncli)) return bins;
  const cache = cacheDir();
  return withLock(path.join(cache, 'build', 'lnd.lock'), 'building lnd', async () => {
    if ((await versionMatches(bins.lnd, LND_VERSION)) && fs.existsSync(bins.lncli)) return bins;
    const logFile = path.join(cache, 'build', `lnd-${LND_VERSION}.log`);
    fs.writeFileSync(logFile, '');
    log(`building lnd ${LND_VERSION} (first time, ~10 min on 2 cores; log ${logFile})…`);
    const started = Date.now();
    // lnd's go.mod has replace directives, so `go install pkg@version` refuses:
    // download the exact module version and build inside a writable copy.
    const dl = await run(
      goCmd(),
      ['mod', 'download', '-json', `github.com/lightningnetwork/lnd@${LND_VERSION}`],
      {
        timeoutMs: 15 * 60_000,
      },
    );
    fs.appendFileSync(logFile, dl.stdout + dl.stderr);
    let modDir;
    try {
      modDir = JSON.parse(dl.stdout).Dir;
    } catch {
      // reported below
    }
    if (dl.code !== 0 || !modDir) {
      throw new RegtestError('download lnd source', `go mod download exited with ${dl.code}`, { logFile });
    }
    const srcDir = path.join(cache, 'build', `lnd-${LND_VERSION}-src-${process.pid}`);
    const finalDir = binDir('lnd', LND_VERSION);
    const tmpDir = `${finalDir}.tmp-${process.pid}`;
    removeLeftovers(path.dirname(finalDir), `${path.basename(finalDir)}.tmp-`);
    removeLeftovers(path.join(cache, 'build'), `lnd-${LND_VERSION}-src-`);
    fs.rmSync(srcDir, { recursive: true, force: true });
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    try {
      fs.cpSync(modDir, srcDir, { recursive: true });
      await mustRun('copy lnd source', 'chmod', ['-R', 'u+w', srcDir], { logFile });
      await mustRun(
        'build lnd',
        goCmd(),
        ['build', '-trimpath', `-tags=${LND_TAGS}`, '-o', `${tmpDir}/`, './cmd/lnd', './cmd/lncli'],
        { cwd: srcDir, logFile, timeoutMs: 40 * 60_000 },
      );
      if (!(await versionMatches(path.join(tmpDir, 'lnd'), LND_VERSION))) {
        throw new RegtestError('build lnd', `built lnd does not report version ${LND_VERSION}`, { logFile });
      }
      promote(tmpDir, finalDir);
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
      fs.rmSync(srcDir, { recursive: true, force: true });
    }
    log(`lnd built in ${Math.round((Date.now() - started) / 1000)} s`);
    return bins;
  });
}

export function lnbitsPaths() {
  const root = path.join(cacheDir(), `lnbits-${LNBITS_VERSION}`);
  const venv = path.join(root, 'venv');
  return {
    root,
    venv,
    python: path.join(venv, 'bin', 'python'),
    lnbits: path.join(venv, 'bin', 'lnbits'),
    marker: path.join(root, 'installed.json'),
  };
}

/**
 * Make the LNbits venv (pip install lnbits==1.6.2 'bitstring<5'). A venv holds
 * absolute paths, so it is built in place; the marker file written last says
 * it is complete. Returns { python, lnbits, packageDir }.
 */
export async function ensureLnbits() {
  const p = lnbitsPaths();
  const ready = () => {
    try {
      const m = JSON.parse(fs.readFileSync(p.marker, 'utf8'));
      if (m.version === LNBITS_VERSION && fs.existsSync(path.join(m.packageDir, 'server.py'))) {
        return { ...p, packageDir: m.packageDir };
      }
    } catch {
      // not installed
    }
    return undefined;
  };
  const have = ready();
  if (have) return have;
  return withLock(path.join(cacheDir(), 'build', 'lnbits.lock'), 'installing LNbits', async () => {
    const again = ready();
    if (again) return again;
    fs.mkdirSync(p.root, { recursive: true });
    const logFile = path.join(p.root, 'install.log');
    fs.writeFileSync(logFile, '');
    log(`installing LNbits ${LNBITS_VERSION} into ${p.venv} (first time, ~1 min; log ${logFile})…`);
    const started = Date.now();
    fs.rmSync(p.venv, { recursive: true, force: true });
    fs.rmSync(p.marker, { force: true });
    const python = process.env.PYTHON || 'python3';
    await mustRun('create LNbits venv', python, ['-m', 'venv', p.venv], { logFile, timeoutMs: 5 * 60_000 });
    await mustRun(
      'pip install LNbits',
      path.join(p.venv, 'bin', 'pip'),
      ['install', '--disable-pip-version-check', '--no-input', `lnbits==${LNBITS_VERSION}`, 'bitstring<5'],
      { logFile, timeoutMs: 20 * 60_000 },
    );
    const probe = await run(
      p.python,
      ['-c', 'import os, lnbits, bolt11; print(os.path.dirname(os.path.abspath(lnbits.__file__)))'],
      { timeoutMs: 60_000 },
    );
    fs.appendFileSync(logFile, probe.stdout + probe.stderr);
    const packageDir = probe.stdout.trim().split('\n').at(-1);
    if (probe.code !== 0 || !packageDir) {
      throw new RegtestError('check LNbits install', 'cannot import lnbits and bolt11 from the new venv', {
        logFile,
      });
    }
    fs.writeFileSync(p.marker, `${JSON.stringify({ version: LNBITS_VERSION, packageDir }, null, 2)}\n`);
    log(`LNbits installed in ${Math.round((Date.now() - started) / 1000)} s`);
    return { ...p, packageDir };
  });
}
