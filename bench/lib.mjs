// Shared benchmark helpers: a fixed-time loop on one core, reported as ops/s.
export function measure(name, fn, { seconds = 2, warmup = 0.5 } = {}) {
  const run = (limitMs) => {
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < limitMs) {
      for (let i = 0; i < 100; i++) fn();
      ops += 100;
      now = performance.now();
    }
    return (ops * 1000) / (now - start);
  };
  run(warmup * 1000);
  const opsPerSec = run(seconds * 1000);
  return { name, opsPerSec };
}

export function fmt(n) {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}

export function report(title, ours, baseline) {
  const ratio = ours.opsPerSec / baseline.opsPerSec;
  console.log(
    `${title.padEnd(44)} farebox ${fmt(ours.opsPerSec).padStart(8)}/s   ${baseline.name} ${fmt(baseline.opsPerSec).padStart(8)}/s   ${ratio.toFixed(2)}x`,
  );
  return {
    title,
    farebox: Math.round(ours.opsPerSec),
    baseline: baseline.name,
    baselineOps: Math.round(baseline.opsPerSec),
    ratio: Number(ratio.toFixed(2)),
  };
}
