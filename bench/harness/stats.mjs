// Small statistics and table printing for the benchmarks.

/** The p-th percentile (0-100) of numbers, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

/** The median of numbers. */
export function median(values) {
  return percentile(values, 50);
}

/** Rounds to `d` decimals. */
export function round(n, d = 3) {
  if (n === undefined || Number.isNaN(n)) return n;
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

/** Prints rows (arrays of cells) as an aligned text table with a header row. */
export function printTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => (c === undefined || c === null ? '-' : String(c))));
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(all[0]));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of all.slice(1)) console.log(line(r));
}

/** Times `n` sequential calls of async `fn`; returns per-call milliseconds. */
export async function timeCalls(n, fn) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return ms;
}

/** Runs `total` calls of async `fn` with `concurrency` in flight; returns per-call ms and the wall time. */
export async function timeConcurrent(total, concurrency, fn) {
  const ms = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t = performance.now();
      await fn(i);
      ms.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { ms, wallMs: performance.now() - started };
}

/** `{ n, perSec, p50Ms, p99Ms, meanMs }` of per-call timings (sequential unless `wallMs` given). */
export function summarize(ms, wallMs) {
  const sum = ms.reduce((a, b) => a + b, 0);
  const wall = wallMs ?? sum;
  return {
    n: ms.length,
    perSec: round((ms.length * 1000) / wall, 1),
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    meanMs: round(sum / ms.length),
  };
}

/** Like lib.mjs `measure`, for an async function: sequential awaited calls, ops/s after a warm-up. */
export async function measureAsync(name, fn, { seconds = 2, warmup = 0.5 } = {}) {
  const run = async (limitMs) => {
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < limitMs) {
      for (let i = 0; i < 50; i++) await fn();
      ops += 50;
      now = performance.now();
    }
    return (ops * 1000) / (now - start);
  };
  await run(warmup * 1000);
  const opsPerSec = await run(seconds * 1000);
  return { name, opsPerSec, usPerOp: 1e6 / opsPerSec };
}
