/**
 * `farebox fetch`, beyond fetch.test.ts: exit code 4 when the wallet cannot pay, `-o <file>`,
 * `-d @file`, and `--help`. Same setup: a farebox server on the dev node, over real HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256, toHex } from '@farebox/core';
import { DevNode, devNodeHandler } from '@farebox/lightning';
import { listen } from '@farebox/lightning/node';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function cli(args: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env });
  return { code, out, err };
}

/** 256 bytes, every byte value once: not valid UTF-8, so any text round trip would show. */
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);

async function closedPortUrl(): Promise<string> {
  const s = await listen(async () => new Response('x'));
  const url = s.url;
  await s.close();
  return url;
}

describe('farebox fetch: exit 4, -o, -d @file, --help (dev node, real HTTP)', () => {
  const node = new DevNode({ production: false });
  let base = '';
  let home = '';
  let dir = '';
  let emptyWallet = '';
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(6),
      lightning: node,
      devWallet: node,
      routes: [
        { method: 'GET', path: '/joke', price: 21 },
        { method: 'GET', path: '/binary', price: 3 },
        { method: 'POST', path: '/upload', price: 2 },
      ],
    });
    const s = await serve(paywall, async (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/binary') {
        return new Response(BINARY, { headers: { 'content-type': 'application/octet-stream' } });
      }
      if (path === '/upload') {
        const bytes = new Uint8Array(await req.arrayBuffer());
        return Response.json({
          length: bytes.length,
          sha256: toHex(sha256(bytes)),
          text: new TextDecoder().decode(bytes),
          contentType: req.headers.get('content-type'),
        });
      }
      return Response.json({ path });
    });
    base = s.url;
    closers.push(s.close);
    // A wallet that cannot pay: a dev node in "another process" with an empty balance.
    const broke = new DevNode({ production: false, balanceMsat: 0n });
    const w = await listen(devNodeHandler(broke, { token: 'broke' }));
    closers.push(w.close, () => broke.close());
    emptyWallet = `dev+http://${new URL(w.url).host}?token=broke`;
    home = await mkdtemp(join(tmpdir(), 'farebox-home-'));
    dir = await mkdtemp(join(tmpdir(), 'farebox-files-'));
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await node.close();
  });

  async function storeOf(h: string): Promise<{ receipts: unknown[]; pending: unknown[] }> {
    return JSON.parse(await readFile(join(h, 'client.json'), 'utf8'));
  }

  it('exit 4 when the wallet fails to pay (empty dev wallet): PAYMENT_FAILED, nothing recorded', async () => {
    const h = await mkdtemp(join(tmpdir(), 'farebox-home-'));
    const r = await cli(['fetch', '--wallet', emptyWallet, `${base}/joke`], { FAREBOX_HOME: h });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^farebox fetch: PAYMENT_FAILED: the wallet could not pay/);
    expect(r.err).toContain('balance');
    expect(r.out).toBe('');
    const store = await storeOf(h);
    expect(store.receipts).toEqual([]);
    expect(store.pending).toEqual([]);
  });

  it('exit 4 with --json: the error object names PAYMENT_FAILED and the wallet reason', async () => {
    const h = await mkdtemp(join(tmpdir(), 'farebox-home-'));
    const r = await cli(['fetch', '--json', `${base}/joke`], {
      FAREBOX_HOME: h,
      FAREBOX_WALLET: emptyWallet,
    });
    expect(r.code).toBe(4);
    const j = JSON.parse(r.out);
    expect(j.error.code).toBe('PAYMENT_FAILED');
    expect(j.error.data.reason).toBe('LN_INSUFFICIENT_BALANCE');
  });

  it('exit 4 when the wallet is unreachable (FAREBOX_WALLET to a closed port)', async () => {
    const h = await mkdtemp(join(tmpdir(), 'farebox-home-'));
    const closed = await closedPortUrl();
    const r = await cli(['fetch', `${base}/joke`], {
      FAREBOX_HOME: h,
      FAREBOX_WALLET: `dev+http://${new URL(closed).host}?token=t`,
    });
    expect(r.code).toBe(4);
    expect(r.err).toContain('PAYMENT_FAILED');
    expect((await storeOf(h)).receipts).toEqual([]);
  });

  it('-o <file> writes the body to the file (bytes as sent), not to stdout', async () => {
    const file = join(dir, 'out.bin');
    const r = await cli(['fetch', '-o', file, `${base}/binary`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/paid 3 sats \(fee 0\) to 127\.0\.0\.1:\d+ for GET \/binary/);
    expect(new Uint8Array(await readFile(file))).toEqual(BINARY);
  });

  it('--output <file> with --json: the body goes to the file, the JSON says where', async () => {
    const file = join(dir, 'joke.json');
    const r = await cli(['fetch', '--output', file, '--json', `${base}/joke`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.status).toBe(200);
    expect(j.body).toBe(`(written to ${file})`);
    expect(j.paid[0].sats).toBe(21);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ path: '/joke' });
  });

  it('-d @file sends the file content as the body (POST by default), paid and retried intact', async () => {
    const file = join(dir, 'body.json');
    const content = '{"prompt": "a song about sats",\n "n": 2}\n';
    await writeFile(file, content);
    const r = await cli(['fetch', '-d', `@${file}`, `${base}/upload`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/paid 2 sats .* for POST \/upload/);
    const j = JSON.parse(r.out);
    expect(j.text).toBe(content);
    expect(j.length).toBe(Buffer.byteLength(content));
    // The literal string "@<path>" was not sent.
    expect(j.text).not.toContain('@');
  });

  it('-d @file sends binary content byte for byte; -H content-type is kept', async () => {
    const file = join(dir, 'body.bin');
    await writeFile(file, BINARY);
    const r = await cli(
      ['fetch', '-H', 'Content-Type: application/octet-stream', '--data', `@${file}`, `${base}/upload`],
      { FAREBOX_HOME: home },
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.length).toBe(256);
    expect(j.sha256).toBe(toHex(sha256(BINARY)));
    expect(j.contentType).toBe('application/octet-stream');
  });

  it('farebox fetch --help (and -h) prints the usage and exits 0, paying nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await cli(['fetch', flag], { FAREBOX_HOME: home });
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: farebox fetch <url> \[options\]/);
      expect(r.out).toContain('-o, --output <file>');
      expect(r.out).toContain('-d, --data <data|@file>');
      expect(r.out).toContain('4 payment failed');
      expect(r.err).toBe('');
    }
    // With a URL too, --help wins: no request, no payment.
    const before = (await storeOf(home)).receipts.length;
    const r = await cli(['fetch', '--help', `${base}/joke`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: farebox fetch/);
    expect((await storeOf(home)).receipts.length).toBe(before);
  });

  it('the farebox binary: `farebox fetch --help` exits 0 with the usage on stdout', async () => {
    const bin = fileURLToPath(new URL('../bin/farebox.js', import.meta.url));
    const res = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = execFile(
        process.execPath,
        [bin, 'fetch', '--help'],
        { env: { ...process.env, FAREBOX_HOME: home } },
        (_e, stdout, stderr) => resolve({ code: p.exitCode, stdout, stderr }),
      );
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: farebox fetch <url> \[options\]/);
    expect(res.stderr).toBe('');
  });
});
