/**
 * The README quick start's main command, `npm start` = `farebox gateway --demo`, as a real
 * child process (the built bin: run `npm run build` first) with a temporary FAREBOX_HOME:
 * the banner names the dev node, the `farebox fetch` run it prints paid for a 200 answer,
 * an unpaid GET /joke is challenged, /health is free, and SIGTERM stops it with exit code 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseChallenges, parseMacaroon } from '@farebox/core';
import { DEV_NODE_NOTICE } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = 'packages/cli/bin/farebox.js';
/** What the demo prints once its own `farebox fetch` run is over. */
const KEEPS_RUNNING = 'The gateway keeps running';
const JOKES = [
  'Why do programmers prefer dark mode? Because light attracts bugs.',
  'There are 10 kinds of people: those who understand binary and those who do not.',
  'A SQL query walks into a bar, walks up to two tables and asks: may I join you?',
];

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The environment of a user's shell: none of this machine's FAREBOX_* settings. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('FAREBOX_') && k !== 'NODE_ENV' && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, FAREBOX_HOME: home };
}

let child: ChildProcess;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let port = 0;
let base = '';
let home = '';

/** Resolves once stdout contains `text`; rejects if the process exits first. */
function waitForOutput(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (stdout.includes(text)) {
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    check();
    void exited.then(({ code, signal }) =>
      reject(
        new Error(
          `the demo exited (${code ?? signal}) before "${text}"\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      ),
    );
  });
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'packages/cli/dist/main.js')))
    throw new Error('packages/cli/dist is missing: run `npx tsc -b packages/*/tsconfig.json` first');
  home = mkdtempSync(join(tmpdir(), 'farebox-demo-home-'));
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [BIN, 'gateway', '--demo', '--listen', `127.0.0.1:${port}`], {
    cwd: ROOT,
    env: cleanEnv(home),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.on('data', (d: string) => {
    stderr += d;
  });
  exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await waitForOutput(KEEPS_RUNNING);
}, 120_000);

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('farebox gateway --demo (the README quick start)', () => {
  it('is what `npm start` runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // The same bin and arguments this test spawns (it adds only --listen, for a free port).
    expect(pkg.scripts.start).toBe(`node ${BIN} gateway --demo`);
  });

  it('prints a banner that says the dev node (no real money) is in use, with its URLs', () => {
    expect(stdout).toContain('farebox gateway demo');
    expect(stdout).toContain(DEV_NODE_NOTICE);
    expect(stdout).toContain(`⚠ ${DEV_NODE_NOTICE}`);
    expect(stdout).toMatch(new RegExp(`^ {2}gateway {2,}${base.replace(/\./g, '\\.')}$`, 'm'));
    expect(stdout).toContain(`Paying one request: npx farebox fetch ${base}/joke`);
  });

  it('its farebox fetch run paid 21 sats for GET /joke and printed the 200 answer', async () => {
    // What fetch printed: the body (stdout) and the payment (stderr).
    const printed = stdout.slice(stdout.indexOf('Paying one request:'), stdout.indexOf(KEEPS_RUNNING));
    const body = printed.slice(printed.indexOf('\n') + 1).trim();
    const joke = (JSON.parse(body) as { joke: string }).joke;
    expect(JOKES).toContain(joke);
    expect(stderr).toMatch(
      new RegExp(
        `^paid 21 sats \\(fee 0\\) to 127\\.0\\.0\\.1:${port} for GET /joke · dev wallet: no real money$`,
        'm',
      ),
    );
    expect(stderr).not.toMatch(/farebox fetch: /); // no failure line
    // The gateway's own count: one paid request of the jokes service, 21 sats earned.
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toMatch(/^farebox_requests_total\{outcome="paid",service="jokes"\} 1$/m);
    expect(m).toMatch(/^farebox_sats_earned_total\{service="jokes"\} 21$/m);
    expect(m).toMatch(/^farebox_backend_up\{backend="dev"\} 1$/m);
  });

  it('answers GET /joke without a token with 402 and an L402 challenge', async () => {
    const r = await fetch(`${base}/joke`);
    expect(r.status).toBe(402);
    const www = r.headers.get('www-authenticate') ?? '';
    const [l402, lsat] = parseChallenges(www);
    expect(l402?.scheme).toBe('L402');
    expect(lsat?.scheme).toBe('LSAT');
    expect(l402!.invoice).toMatch(/^lnbcrt210n1/); // regtest, 21 sats
    const caveats = parseMacaroon(l402!.macaroon).caveats.map((c) => new TextDecoder().decode(c.id));
    expect(caveats).toContain('services=jokes:0');
    const body = (await r.json()) as { error: { code: string }; price_sats: number };
    expect(body.error.code).toBe('L402_PAYMENT_REQUIRED');
    expect(body.price_sats).toBe(21);
    expect(r.headers.get('x-farebox-dev-wallet')).toMatch(/^\//); // the demo's dev wallet
  });

  it('serves /health free', async () => {
    const r = await fetch(`${base}/health`);
    expect(r.status).toBe(200);
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('stops on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});

describe('the dev node in production mode', () => {
  /** Runs the CLI with NODE_ENV=production; resolves with its exit code and stderr. */
  function production(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        env: { ...cleanEnv(mkdtempSync(join(tmpdir(), 'farebox-prod-'))), NODE_ENV: 'production' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr!.on('data', (d) => {
        stderr += d;
      });
      // A start that fails must end the process: no server left keeping it alive.
      const kill = setTimeout(() => p.kill('SIGKILL'), 20_000);
      p.on('exit', (code) => {
        clearTimeout(kill);
        resolve({ code, stderr });
      });
    });
  }

  it.each([
    ['gateway --demo', ['gateway', '--demo', '--listen', '127.0.0.1:0']],
    ['services', ['services', '--port', '0']],
  ])('farebox %s refuses to start (LN_DEV_IN_PRODUCTION) and exits 1', async (_name, args) => {
    const r = await production(args);
    expect(r.stderr).toContain('LN_DEV_IN_PRODUCTION');
    expect(r.code).toBe(1);
  });
});
