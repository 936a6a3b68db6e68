/**
 * Runs the Worker inside workerd (through Miniflare) with the bindings of wrangler.jsonc:
 * the same bundle conditions as wrangler, the Durable Object and KV namespace, the vars, and
 * secrets given by the test. `isolates: 2` starts a second copy of the Worker (its own
 * isolate) bound to the same Durable Object namespace and KV namespace, as two Cloudflare
 * locations would be.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare, type WorkerOptions } from 'miniflare';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The parts of wrangler.jsonc the tests mirror. */
export interface WranglerConfig {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  durable_objects: { bindings: { name: string; class_name: string }[] };
  kv_namespaces: { binding: string; id?: string }[];
}

/** Strips `//` and `/* *\/` comments and trailing commas outside strings (JSONC → JSON). */
export function jsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

export function wranglerConfig(): WranglerConfig {
  return jsonc(readFileSync(`${root}wrangler.jsonc`, 'utf8')) as WranglerConfig;
}

let bundled: Promise<string> | undefined;

/** The Worker as one ES module, bundled as wrangler does (workerd conditions, `cloudflare:` external). */
export function bundle(): Promise<string> {
  bundled ??= build({
    entryPoints: [`${root}${wranglerConfig().main}`],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundled;
}

export interface StartOptions {
  /** Secrets and var overrides. */
  bindings: Record<string, string>;
  /** Copies of the Worker sharing the Durable Objects and KV (default 1). */
  isolates?: number;
  /** A stand-in for the Workers AI binding: a module whose default export builds `env.AI`. */
  aiScript?: string;
}

export interface RunningWorker {
  mf: Miniflare;
  /** Isolate 0 over real HTTP on 127.0.0.1 (Miniflare's own server). */
  url: string;
  /** Fetches `path` from isolate `i` (default 0), as a client behind `ip` (CF-Connecting-IP). */
  fetch(path: string, init?: RequestInit & { ip?: string; isolate?: number }): Promise<Response>;
  kv(): Promise<Awaited<ReturnType<Miniflare['getKVNamespace']>>>;
  dispose(): Promise<void>;
}

/** Starts the Worker in workerd. */
export async function startWorker(o: StartOptions): Promise<RunningWorker> {
  const cfg = wranglerConfig();
  const script = await bundle();
  const dos = cfg.durable_objects.bindings;
  const kv = cfg.kv_namespaces;
  const isolates = o.isolates ?? 1;
  const workers: WorkerOptions[] = [];
  for (let i = 0; i < isolates; i++) {
    const w: WorkerOptions = {
      name: i === 0 ? cfg.name : `${cfg.name}-${i}`,
      routes: [`isolate-${i}.test/*`],
      modules: true,
      script,
      compatibilityDate: cfg.compatibility_date,
      compatibilityFlags: cfg.compatibility_flags ?? [],
      bindings: { ...cfg.vars, ...o.bindings },
      kvNamespaces: Object.fromEntries(kv.map((k) => [k.binding, k.id ?? k.binding])),
      durableObjects: Object.fromEntries(
        dos.map((d) => [
          d.name,
          i === 0
            ? { className: d.class_name, useSQLite: true }
            : { className: d.class_name, scriptName: cfg.name, useSQLite: true },
        ]),
      ),
    };
    if (o.aiScript) w.wrappedBindings = { AI: { scriptName: 'fake-ai' } };
    workers.push(w);
  }
  if (o.aiScript) workers.push({ name: 'fake-ai', modules: true, script: o.aiScript });
  const mf = new Miniflare({ workers });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return {
    mf,
    url,
    async fetch(path, init = {}) {
      // Through Miniflare's entry, routed by host: as a request from the internet would come.
      const { ip, isolate = 0, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (ip) headers.set('cf-connecting-ip', ip);
      const res = await mf.dispatchFetch(`http://isolate-${isolate}.test${path}`, {
        ...rest,
        headers,
      } as never);
      return res as unknown as Response;
    },
    kv: () => mf.getKVNamespace(kv[0]!.binding, cfg.name),
    dispose: () => mf.dispose(),
  };
}
