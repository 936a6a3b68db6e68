// The load generator of the HTTP benchmarks: wrk (Debian package `wrk`), run as a child and
// its `--latency` report parsed. Every HTTP subject is measured with the same flags.
import { execFile, execFileSync } from 'node:child_process';
import { cpuSeconds, sampleRss } from './proc.mjs';

/** Throws with an install hint when wrk is missing. */
export function requireWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    // `wrk --version` exits 1 after printing its banner; only a missing binary is fatal.
    if (e.code === 'ENOENT') {
      throw new Error('wrk is not installed: apt-get install -y wrk (or scripts/install-deps bench)');
    }
  }
}

const UNIT = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** Milliseconds of a wrk duration such as `176.00us`, `1.20ms`, `2.01s`. */
export function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the duration ${text}`);
  return Math.round(Number(m[1]) * UNIT[m[2]] * 1000) / 1000;
}

/** Parses wrk's report (with `--latency`). */
export function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? wrkMs(m[1]) : undefined;
  };
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const rps = num(/Requests\/sec:\s+([\d.]+)/);
  if (rps === undefined) throw new Error(`wrk: no Requests/sec in its output:\n${out}`);
  return {
    rps: Math.round(rps),
    requests: num(/(\d+) requests in/),
    p50Ms: pct(50),
    p75Ms: pct(75),
    p90Ms: pct(90),
    p99Ms: pct(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) ?? 0,
    socketErrors: errs
      ? { connect: +errs[1], read: +errs[2], write: +errs[3], timeout: +errs[4] }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/**
 * Runs wrk against `url` and returns its figures. `headers` are sent on every request;
 * `rssPid` is sampled during the run (max RSS in MB).
 */
export function runWrk(
  url,
  { threads = 2, connections = 16, seconds = 10, headers = {}, rssPid, timeoutS } = {},
) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (timeoutS) args.push('--timeout', `${timeoutS}s`);
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const sampler = rssPid ? sampleRss(rssPid) : undefined;
  const cpu0 = rssPid ? cpuSeconds(rssPid) : undefined;
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { maxBuffer: 1 << 20, timeout: (seconds + 60) * 1000 }, (err, stdout, stderr) => {
      const rss = sampler?.stop();
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
      try {
        const r = parseWrk(stdout);
        if (rss) r.rssMaxMb = rss.maxMb;
        const cpu1 = rssPid ? cpuSeconds(rssPid) : undefined;
        if (cpu0 !== undefined && cpu1 !== undefined && r.requests) {
          // CPU the subject spent per request: steadier than req/s on a shared machine.
          r.cpuUsPerReq = Math.round(((cpu1 - cpu0) * 1e6) / r.requests);
          r.cpuCores = Number(((cpu1 - cpu0) / seconds).toFixed(2));
        }
        r.flags = `-t${threads} -c${connections} -d${seconds}s`;
        resolve(r);
      } catch (e) {
        reject(e);
      }
    });
  });
}
