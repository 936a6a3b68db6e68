// Child processes for the HTTP benchmarks: free ports, start and stop peers, wait until they
// answer, and read their resident memory from /proc while the load runs.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a peer with stdout discarded and stderr in `logFile`; returns the child. Its own
 * process group, so stopping it never touches anything else.
 */
export function startPeer(cmd, args, { logFile, env, cwd } = {}) {
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', fd],
    env: env ?? process.env,
    cwd,
    detached: true,
  });
  if (typeof fd === 'number') closeSync(fd);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

/** Stops a peer started by {@link startPeer}: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopPeer(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, graceMs);
  await child.exited;
  clearTimeout(t);
}

/** Polls `url` until it answers at all (any status) or `timeoutMs` passes. */
export async function waitForHttp(url, { timeoutMs = 20_000, child, logFile } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) break;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = logFile ? `\n${tailOf(logFile)}` : '';
  throw new Error(
    `${url} did not answer within ${timeoutMs} ms (${last?.cause?.code ?? last?.message})${tail}`,
  );
}

/** The last lines of a log file (for error messages). */
export function tailOf(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resident memory of a process, MB (VmRSS in /proc/<pid>/status), or undefined. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the RSS of `pid` every `everyMs` until `stop()`; returns `{ maxMb, lastMb }`. */
export function sampleRss(pid, everyMs = 200) {
  let maxMb = 0;
  let lastMb;
  const tick = () => {
    const v = rssMb(pid);
    if (v !== undefined) {
      lastMb = v;
      if (v > maxMb) maxMb = v;
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return {
        maxMb: Number(maxMb.toFixed(1)),
        lastMb: lastMb === undefined ? undefined : Number(lastMb.toFixed(1)),
      };
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command; clock ticks of 1/100 s.
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The 1-minute load average and the cores: other work on the machine skews every figure. */
export function machineLoad() {
  return { load1: Number(loadavg()[0].toFixed(2)) };
}
