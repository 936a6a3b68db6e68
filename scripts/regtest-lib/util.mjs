// Small helpers shared by the regtest scripts: logging, errors with log tails,
// waiting with timeouts, HTTP(S) requests, and process management.
// Plain Node built-ins only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';

const t0 = Date.now();
let logger = (msg) => process.stderr.write(`[regtest +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

/** Replace the progress logger (e.g. `() => {}` to silence it). */
export function setLogger(fn) {
  logger = fn ?? (() => {});
}

export function log(msg) {
  logger(msg);
}

/** An error that knows which step failed and which log file explains it. */
export class RegtestError extends Error {
  constructor(step, message, { logFile, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = 'RegtestError';
    this.step = step;
    this.logFile = logFile;
  }
}

/**
 * Run `fn` as a named step. Any error becomes a RegtestError naming the step
 * and the log file most likely to explain it.
 */
export async function step(name, logFile, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegtestError) {
      if (!err.logFile && logFile) err.logFile = logFile;
      throw err;
    }
    throw new RegtestError(name, err?.message ?? String(err), { logFile, cause: err });
  }
}

/** Last `lines` lines of a file, or a note saying it could not be read. */
export function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch (err) {
    return `(could not read ${file}: ${err.code ?? err.message})`;
  }
}

/** Human-readable report of an error (step, message, log tail). */
export function describeError(err, { lines = 40 } = {}) {
  const out = [];
  if (err instanceof RegtestError) {
    out.push(`regtest: FAILED at step "${err.step}": ${err.message}`);
    if (err.cause?.message && err.cause.message !== err.message) out.push(`  cause: ${err.cause.message}`);
    if (err.logFile) {
      out.push(`--- last lines of ${err.logFile}${err.logTail !== undefined ? ' (at the failure)' : ''} ---`);
      out.push(err.logTail ?? tail(err.logFile, lines));
      out.push('--- end of log ---');
    }
  } else {
    out.push(`regtest: FAILED: ${err?.stack ?? err}`);
  }
  return out.join('\n');
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll `probe` until it returns a truthy value; return that value. `probe` may
 * throw (treated as "not yet", unless the error has `fatal: true`). Throws
 * after `timeoutMs` with the last reason.
 */
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no result yet';
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      if (err?.fatal) throw err;
      last = err?.message ?? String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (last: ${last})`,
      );
    }
    await sleep(intervalMs);
  }
}

/**
 * One HTTP(S) request. `ca` (PEM string or Buffer) pins the server's
 * self-signed certificate. Resolves { status, headers, text, json }.
 */
export function request(url, { method = 'GET', headers = {}, body, ca, timeoutMs = 15_000 } = {}) {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  let payload;
  const h = { ...headers };
  if (body !== undefined) {
    payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
      h['content-type'] = 'application/json';
    h['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers: h, ca, timeout: timeoutMs, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          json() {
            try {
              return JSON.parse(text);
            } catch {
              throw new Error(
                `${method} ${u.pathname}: not JSON (HTTP ${res.statusCode}): ${text.slice(0, 300)}`,
              );
            }
          },
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like request() but throws unless the status is 2xx; returns parsed JSON. */
export async function requestJson(url, opts = {}) {
  const res = await request(url, opts);
  if (res.status < 200 || res.status >= 300) {
    const u = new URL(url);
    throw new Error(`${opts.method ?? 'GET'} ${u.pathname}: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
  }
  return res.text ? res.json() : {};
}

/**
 * A streaming request whose body is newline-delimited JSON (lnd's REST
 * streams). Calls `onLine(obj)` for each object; resolves with the first
 * truthy return value of onLine, and closes the connection.
 */
export function requestNdjson(url, { method = 'POST', headers = {}, body, ca, timeoutMs = 60_000 }, onLine) {
  const u = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h = { ...headers };
  if (payload !== undefined) {
    h['content-type'] = 'application/json';
    h['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new Error(`${method} ${u.pathname}: no final result after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const req = https.request(u, { method, headers: h, ca, agent: false }, (res) => {
      let buf = '';
      let all = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        all += chunk;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          let obj;
          try {
            obj = JSON.parse(line);
          } catch {
            continue;
          }
          try {
            const r = onLine(obj);
            if (r) return finish(null, r);
          } catch (err) {
            return finish(err);
          }
        }
      });
      res.on('end', () => {
        if (buf.trim()) {
          try {
            const r = onLine(JSON.parse(buf));
            if (r) return finish(null, r);
          } catch (err) {
            return finish(err);
          }
        }
        finish(
          new Error(
            `${method} ${u.pathname}: stream ended (HTTP ${res.statusCode}) without a final result: ${all.slice(-500)}`,
          ),
        );
      });
      res.on('error', (err) => finish(err));
    });
    req.on('error', (err) => finish(err));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** True when nothing listens on 127.0.0.1:port (we can bind it). */
export function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Is process `pid` alive (and, if `match` is given, is its command line containing it)? */
export function pidAlive(pid, match) {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // field 3 is the state; Z = zombie (exited, not reaped)
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    if (match) {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return cmd.includes(match);
    }
  } catch {
    // no /proc: trust kill(0)
  }
  return true;
}

/**
 * Start a long-running daemon detached from us (its own session and process
 * group), stdout+stderr appended to `logFile`. Returns its pid.
 */
export function spawnDaemon(cmd, args, { logFile, cwd, env } = {}) {
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.on('error', () => {}); // reported through pidAlive / the log instead
    child.unref();
    if (!child.pid) throw new Error(`could not start ${cmd}`);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Stop a process (or, with `group`, its whole process group): SIGTERM, wait up
 * to `graceMs`, then SIGKILL. Only signals it while it still matches `match`.
 * Resolves true when it is gone.
 */
export async function stopProcess(pid, { match, group = false, graceMs = 20_000 } = {}) {
  if (!pidAlive(pid, match) && !(group && groupAlive(pid, match))) return true;
  const signal = (sig) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid) && (!group || !groupAlive(pid))) return true;
    await sleep(100);
  }
  signal('SIGKILL');
  const hard = Date.now() + 5_000;
  while (Date.now() < hard) {
    if (!pidAlive(pid) && (!group || !groupAlive(pid))) return true;
    await sleep(100);
  }
  return false;
}

/** Does any live process (whose command line contains `match`, if given) belong to process group `pgid`? */
export function groupAlive(pgid, match) {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  // kill(-pgid, 0) also succeeds for zombies; look closer when /proc exists.
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // rest[0] = state, rest[1] = ppid, rest[2] = pgrp
      if (Number(rest[2]) !== pgid || rest[0] === 'Z' || rest[0] === 'X') continue;
      if (!match) return true;
      try {
        if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(match))
          return true;
      } catch {
        // exited meanwhile
      }
    }
    return false;
  } catch {
    return true;
  }
}

/** Run a command to completion; resolves { code, stdout, stderr }. Rejects on timeout. */
export function run(cmd, args, { cwd, env, timeoutMs = 10 * 60_000, logFile } = {}) {
  return new Promise((resolve, reject) => {
    const fd = logFile ? fs.openSync(logFile, 'a') : undefined;
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
    });
    if (fd !== undefined) fs.closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => {
      stdout += c;
    });
    child.stderr?.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${err.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr });
    });
  });
}

/** Write a file atomically (temp + rename). */
export function writeFileAtomic(file, data, mode) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, mode ? { mode } : undefined);
  fs.renameSync(tmp, file);
}

export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A lock directory so that two `up`s never build the same thing at once.
 * Waits for a live holder; takes over a dead one's lock.
 */
export async function withLock(lockDir, what, fn, timeoutMs = 45 * 60_000) {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // lock being created or removed right now
      }
      let alive = false;
      if (holder) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch (e) {
          alive = e.code === 'EPERM';
        }
      }
      let stale = holder && !alive;
      if (!holder) {
        try {
          stale = Date.now() - fs.statSync(lockDir).mtimeMs > 60_000;
        } catch {
          stale = false;
        }
      }
      if (stale) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!told) {
        log(`waiting for another process (pid ${holder || '?'}) that is ${what}…`);
        told = true;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir}`);
      await sleep(2000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
