/**
 * Helpers for the gateway tests: start a gateway from a config object, read a challenge,
 * pay it, and build the Authorization value; run the CLI gateway as a child process.
 *
 * @module
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildCredential, type L402Challenge, parseChallenges } from '@farebox/core';
import type { Payer } from '@farebox/lightning';
import {
  type Gateway,
  type GatewayOptions,
  type Logger,
  parseConfig,
  startGateway,
} from '../../src/index.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A fresh temp dir. */
export function tempDir(prefix = 'farebox-gw-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A logger that keeps every line (for assertions on logs). */
export function memoryLogger(): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    info: (o) => lines.push({ level: 'info', ...o }),
    warn: (o) => lines.push({ level: 'warn', ...o }),
    error: (o) => lines.push({ level: 'error', ...o }),
  };
}

/**
 * Starts a gateway on a free loopback port from a plain config object (validated like a
 * file). The default store is `memory` and the base dir a temp dir.
 */
export async function gatewayFrom(
  config: Record<string, unknown>,
  opts: Omit<GatewayOptions, 'config'> = {},
): Promise<Gateway> {
  const cfg = parseConfig(
    JSON.stringify({ listen: '127.0.0.1:0', store: 'memory', ...config }),
    'test-config.json',
  );
  return startGateway({ baseDir: tempDir(), production: false, ...opts, config: cfg });
}

/** The gateway's own dev node as a payer (it pays its own invoices: no real money). */
export function devPayer(gw: Gateway): Payer {
  return gw.shared.backend as unknown as Payer;
}

/** The L402 challenge of a 401/402 answer (the first of its WWW-Authenticate values). */
export function challengeOf(res: Response): L402Challenge {
  const values = res.headers.get('www-authenticate');
  if (!values) throw new Error(`no WWW-Authenticate in a ${res.status} answer`);
  const [c] = parseChallenges(values);
  if (!c) throw new Error(`no L402 challenge in ${values}`);
  return c;
}

/** Pays a challenge with `payer`; returns the `Authorization` value. */
export async function pay(res: Response, payer: Payer): Promise<string> {
  const c = challengeOf(res);
  const paid = await payer.payInvoice(c.invoice);
  return buildCredential({ macaroon: c.macaroon, preimage: paid.preimage });
}

/** GET (or `init`) `url`, expect a 402, pay it; returns the Authorization value. */
export async function buy(url: string, payer: Payer, init: RequestInit = {}): Promise<string> {
  const res = await fetch(url, init);
  if (res.status !== 402) throw new Error(`expected 402 from ${url}, got ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  return pay(res, payer);
}

/** Reads a JSON body with its status. */
export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const run = promisify(execFile);
let built: Promise<void> | undefined;

/** Builds the CLI (and the packages it uses) once per test file, for child processes. */
export function buildCli(): Promise<void> {
  built ??= run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'], {
    cwd: ROOT,
  }).then(() => undefined);
  return built;
}

/** The CLI gateway running as a child process. */
export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** JSON log lines printed so far. */
  lines: Record<string, unknown>[];
  /** Resolves with the first (new) log line whose `msg` is `msg`. */
  waitFor(msg: string, from?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Peak and current resident memory of the process, bytes (Linux `/proc`). */
  memory(): { peak: number; rss: number };
}

/** Runs `farebox gateway --config <file>` through the bin; resolves once it listens. */
export async function spawnGateway(
  configFile: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'packages/cli/bin/farebox.js'), 'gateway', '--config', configFile, ...args],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; from: number; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  let stderr = '';
  const check = () => {
    for (const w of [...waiters]) {
      const hit = lines.slice(w.from).find((l) => l.msg === w.msg);
      if (hit) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: '(text)', text: line });
      }
      i = buf.indexOf('\n');
    }
    check();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (msg: string, from = 0) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ msg, from, resolve });
      check();
      void exited.then((code) =>
        reject(new Error(`gateway exited (${code}) before "${msg}":\n${stderr}\n${JSON.stringify(lines)}`)),
      );
    });
  const listening = await waitFor('gateway listening');
  const memory = () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { peak: kb('VmHWM'), rss: kb('VmRSS') };
  };
  return { child, url: String(listening.url), lines, waitFor, exited, memory };
}

/** An answer read with node:http (every header line as sent, Host settable). */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** One request over node:http with exactly these headers (fetch forbids Host, TE, Connection). */
export function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers ?? {},
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.end(opts.body);
  });
}

/** Values of one header, each line separately. */
export function headerLines(a: RawAnswer, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < a.rawHeaders.length; i += 2)
    if (a.rawHeaders[i]!.toLowerCase() === name) out.push(a.rawHeaders[i + 1]!);
  return out;
}
