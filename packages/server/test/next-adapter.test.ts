/**
 * The Next.js adapter end to end: `next build` + `next start` of `test/next-app` (a route
 * handler wrapped with `withL402`, importing the built `@farebox/server`), paid across
 * processes through the app's dev node, which the app serves on `/api/dev-node/*`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNodeClient } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const appDir = fileURLToPath(new URL('./next-app', import.meta.url));
const nextBin = `${root}node_modules/next/dist/bin/next`;
const token = crypto.randomUUID();
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', FAREBOX_DEV_NODE_TOKEN: token };

/** Runs a node script to completion; rejects with its output when it fails. */
function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')}: ${out}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('next adapter: next build + next start', () => {
  let server: ChildProcess | undefined;
  let base = '';
  let wallet: DevNodeClient;

  beforeAll(async () => {
    // The app imports the built packages (dist): bring them up to date, then build the app.
    await run([`${root}node_modules/typescript/bin/tsc`, '-b', 'packages/server/tsconfig.json']);
    await run([nextBin, 'build', appDir]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [nextBin, 'start', appDir, '-p', String(port), '-H', '127.0.0.1'], {
      cwd: root,
      env,
      stdio: 'ignore',
    });
    for (let i = 0; ; i++) {
      const up = await fetch(`${base}/api/dev-node/v1/info`, {
        headers: { authorization: `Bearer ${token}` },
      })
        .then((r) => r.ok)
        .catch(() => false);
      if (up) break;
      if (i > 300 || server.exitCode !== null) throw new Error('next start did not come up');
      await new Promise((r) => setTimeout(r, 100));
    }
    wallet = new DevNodeClient({ url: `${base}/api/dev-node`, token });
  }, 300_000);

  afterAll(async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  });

  const music = (body: string, auth?: string) =>
    fetch(`${base}/api/music`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body,
    });
  async function pay(res: Response): Promise<string> {
    const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
    if (!c) throw new Error(`no challenge in ${res.status}`);
    return buildCredential({ macaroon: c.macaroon, preimage: (await wallet.payInvoice(c.invoice)).preimage });
  }

  it('unpaid: 402 with the L402 challenge and the JSON body', async () => {
    const r = await music('{"prompt":"rain"}');
    expect(r.status).toBe(402);
    expect(r.headers.get('www-authenticate')).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt/);
    const j = await r.json();
    expect(j.error.code).toBe('L402_PAYMENT_REQUIRED');
    expect(j.price_sats).toBe(21);
  });

  it('paid across processes: 200 with the body read by the handler; a replay is refused', async () => {
    const auth = await pay(await music('{"prompt":"rain"}'));
    const ok = await music('{"prompt":"rain"}', auth);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ song: 'la la rain', paid_msat: '21000' });
    const replay = await music('{"prompt":"rain"}', auth);
    expect(replay.status).toBe(402);
    expect((await replay.json()).error.code).toBe('L402_TOKEN_USED');
  });

  it('tampered: a wrong preimage and another body are 401 with a fresh challenge', async () => {
    const res = await music('{"prompt":"sun"}');
    const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
    const wrong = await music(
      '{"prompt":"sun"}',
      buildCredential({ macaroon: c!.macaroon, preimage: '00'.repeat(32) }),
    );
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe('L402_WRONG_PREIMAGE');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^L402 /);
    const auth = buildCredential({
      macaroon: c!.macaroon,
      preimage: (await wallet.payInvoice(c!.invoice)).preimage,
    });
    const other = await music('{"prompt":"snow"}', auth);
    expect(other.status).toBe(401);
    expect((await other.json()).error.code).toBe('L402_REQUEST_MISMATCH');
    expect((await music('{"prompt":"sun"}', auth)).status).toBe(200);
  });

  it('a failing handler (a 5xx answer or a throw) burns nothing: the retry is served once', async () => {
    const auth = await pay(await fetch(`${base}/api/flaky`));
    const flaky = (fail?: string) =>
      fetch(`${base}/api/flaky`, { headers: { authorization: auth, ...(fail ? { 'x-fail': fail } : {}) } });
    expect((await flaky('502')).status).toBe(502);
    expect((await flaky('throw')).status).toBe(500);
    const retry = await flaky();
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ ok: true, paid_msat: '2000' });
    const again = await flaky();
    expect(again.status).toBe(402);
    expect((await again.json()).error.code).toBe('L402_TOKEN_USED');
  });

  it('concurrent double-spend of a single-use token: exactly one is served', async () => {
    const auth = await pay(await fetch(`${base}/api/slow`));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${base}/api/slow`, { headers: { authorization: auth } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 409 || s === 402)).toBe(true);
    expect((await fetch(`${base}/api/slow`, { headers: { authorization: auth } })).status).toBe(402);
  });

  it("the app's dev node refuses callers without its token", async () => {
    const r = await fetch(`${base}/api/dev-node/v1/balance`, { headers: { authorization: 'Bearer nope' } });
    expect(r.status).toBe(401);
  });
});
