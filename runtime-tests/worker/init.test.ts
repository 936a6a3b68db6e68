/**
 * `farebox init worker <dir>` end to end: the copy, installed on its own with npm (the
 * `@farebox/*` packages linked from this checkout with `--link`, everything else from the
 * registry or npm's cache) passes its own tests (typecheck and the Worker in workerd), and
 * `wrangler dev` serves it locally against the regtest LNbits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import { lnbitsOf } from '../../packages/lightning/test/support/lnd-rest-mini.js';
import { REGTEST_UP_TIMEOUT_MS, regtest } from '../../packages/lightning/test/support/regtest.js';
import { SECRET } from './support.js';

const base = mkdtempSync(join(tmpdir(), 'farebox-init-'));
const dir = join(base, 'my-paid-api');

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('farebox init worker', () => {
  beforeAll(async () => {
    const out: string[] = [];
    const code = await main(['init', 'worker', dir, '--link'], {
      stdout: (s) => out.push(s),
      stderr: (s) => out.push(s),
      env: {},
    });
    expect(code, out.join('')).toBe(0);
    expect(out.join('')).toContain('npx wrangler secret put LNBITS_KEY');
  });

  it('copies the template, named after the directory, without local state', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.name).toBe('my-paid-api');
    expect(pkg.dependencies['@farebox/server']).toMatch(/^file:.*packages\/server$/);
    expect(readFileSync(join(dir, 'wrangler.jsonc'), 'utf8')).toContain('"name": "my-paid-api"');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('wrangler secret put');
  });

  it('refuses a directory that is not empty', async () => {
    const err: string[] = [];
    const code = await main(['init', 'worker', dir], {
      stdout: () => {},
      stderr: (s) => err.push(s),
      env: {},
    });
    expect(code).toBe(1);
    expect(err.join('')).toContain('not empty');
  });

  it('the copy installs and passes its own tests', async () => {
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    expect(install.code, install.output).toBe(0);
    const test = await run('npm', ['test'], dir);
    expect(test.code, test.output.slice(-4000)).toBe(0);
    expect(test.output).toMatch(/Tests\s+\d+ passed/);
  }, 300_000);

  describe('wrangler dev', () => {
    let child: ChildProcess | undefined;
    let url = '';
    let logs = '';

    beforeAll(async () => {
      const lb = lnbitsOf(await regtest());
      const port = await freePort();
      const wrangler = join(dir, 'node_modules/.bin/wrangler');
      child = spawn(
        wrangler,
        [
          'dev',
          '--local',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--inspector-port',
          String(await freePort()),
          '--show-interactive-dev-session=false',
          '--var',
          `LNBITS_URL:${lb.url}`,
          '--var',
          `LNBITS_KEY:${lb.invoiceKey}`,
          '--var',
          `FAREBOX_SECRET:${SECRET}`,
        ],
        {
          cwd: dir,
          detached: true,
          env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' },
        },
      );
      child.stdout?.on('data', (d) => {
        logs += d;
      });
      child.stderr?.on('data', (d) => {
        logs += d;
      });
      url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (/Ready on/.test(logs)) break;
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`wrangler dev did not start:\n${logs}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }, REGTEST_UP_TIMEOUT_MS);

    afterAll(async () => {
      if (child?.pid && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      }
    });

    it('serves the description, a free answer, then a 402 with an LNbits invoice', async () => {
      const get = await fetch(url);
      expect(get.status).toBe(200);
      expect(await get.json()).toMatchObject({ service: 'My L402 API', price: '21 sats per request' });
      const ask = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"prompt":"Hello"}',
      };
      const free = await fetch(url, ask);
      expect(free.status, logs).toBe(200);
      expect(await free.json()).toEqual({ result: 'This is your paid API response for: Hello', free: true });
      const paid = await fetch(url, ask);
      expect(paid.status, logs).toBe(402);
      expect(paid.headers.get('www-authenticate')).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt210n1/);
      const body = (await paid.json()) as { payment_request: string; payment_hash: string };
      expect(body.payment_hash).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});
