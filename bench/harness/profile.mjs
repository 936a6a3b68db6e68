// Reading a V8 CPU profile (`node --cpu-prof`): self and inclusive time per function, so a
// benchmark can name its hot spots as file:function.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function place(url) {
  if (!url) return '(native)';
  const p = url.startsWith('file://') ? fileURLToPath(url) : url;
  return p.startsWith(root) ? relative(root, p) : p;
}

const label = (cf) => `${place(cf.url)}:${cf.functionName || '(anonymous)'}:${cf.lineNumber + 1}`;

/**
 * Self time by function and inclusive time of the functions whose label matches `focus`
 * (recursion counted once), in % of all samples, idle included. Async continuations hang
 * under `runMicrotasks`, so inclusive time of an async function covers its synchronous
 * part before the first await plus any awaited work that did not yield.
 */
export function summarizeProfile(file, { top = 20, focus = /packages\/|node_modules\// } = {}) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  prof.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const pct = (t) => Number(((100 * t) / total).toFixed(1));

  const selfBy = new Map();
  for (const [id, t] of self) {
    const k = label(byId.get(id).callFrame);
    selfBy.set(k, (selfBy.get(k) ?? 0) + t);
  }
  const incl = new Map();
  const inclusive = (id) => {
    let t = self.get(id) ?? 0;
    for (const c of byId.get(id).children ?? []) t += inclusive(c);
    incl.set(id, t);
    return t;
  };
  inclusive(prof.nodes[0].id);
  const inclBy = new Map();
  for (const n of prof.nodes) {
    const k = label(n.callFrame);
    if (!focus.test(k)) continue;
    let p = parent.get(n.id);
    let nested = false;
    while (p !== undefined) {
      if (label(byId.get(p).callFrame) === k) {
        nested = true;
        break;
      }
      p = parent.get(p);
    }
    if (!nested) inclBy.set(k, (inclBy.get(k) ?? 0) + incl.get(n.id));
  }
  const sorted = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, t]) => ({ where, pct: pct(t) }));
  const idle = [...self].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)');
  return {
    self: sorted(selfBy),
    inclusive: sorted(inclBy),
    idlePct: pct(idle.reduce((a, [, t]) => a + t, 0)),
    totalMs: Math.round(total / 1000),
  };
}

/** The newest `.cpuprofile` in `dir`. */
export function newestProfile(dir) {
  const f = readdirSync(dir)
    .filter((x) => x.endsWith('.cpuprofile'))
    .sort()
    .pop();
  return f ? join(dir, f) : undefined;
}

/**
 * Profiles only `fn` in this process (node:inspector), writes the profile to `file`, and
 * returns `fn`'s result. Use with {@link summarizeProfile}.
 */
export async function profileSection(file, fn) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  let out;
  try {
    out = await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
  return out;
}
