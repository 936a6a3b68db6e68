/**
 * The CLI gateway as a real child process (`node packages/cli/bin/farebox.js gateway
 * --config <file>`, built first), on the dev node: SIGHUP reloads the
 * configuration while a request started before it completes on its old connection; SIGTERM
 * lets an in-flight request finish; large uploads and downloads stream through in bounded
 * memory (the child's peak RSS, from /proc).
 */

import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DevPayWallet } from '@farebox/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, buy, type GatewayProcess, json, spawnGateway, tempDir } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let up: Upstream;
const children: GatewayProcess[] = [];

beforeAll(async () => {
  await buildCli();
  up = await startUpstream();
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await up?.stop();
});

function writeConfig(
  file: string,
  price: number,
  extra: Record<string, unknown>[] = [],
  top: Record<string, unknown> = {},
): void {
  // JSON is YAML: one writer for both.
  writeFileSync(
    file,
    JSON.stringify({
      ...top,
      listen: '127.0.0.1:0',
      backend: 'dev',
      store: 'memory',
      services: [
        { name: 'slow', path: '/hold/*', upstream: up.url, auth: 'off' },
        { name: 'api', path: '/api/*', upstream: up.url, price, rewrite: { stripPrefix: '/api' } },
        ...extra,
      ],
    }),
  );
}

async function start(file: string): Promise<GatewayProcess> {
  const gw = await spawnGateway(file);
  children.push(gw);
  return gw;
}

/** One GET through `agent`; resolves with the status, body and the local port it used. */
function get(agent: http.Agent, url: string): Promise<{ status: number; body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, localPort: req.socket!.localPort! }));
    });
    req.on('error', reject);
  });
}

/** Resolves once nothing accepts connections on the gateway's port any more. */
async function refused(url: string): Promise<void> {
  const u = new URL(url);
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(Number(u.port), u.hostname);
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the gateway process', () => {
  it('reloads its configuration on SIGHUP without dropping a request in flight', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeConfig(file, 10);
    const gw = await start(file);
    // The heap-growth tuning is applied (the default unless configured) and said.
    expect((await gw.waitFor('memory tuning', 0)).heapGrowingPercent).toBe(20);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(agent, `${gw.url}/api/x`);
    expect(before.status).toBe(402);
    expect(JSON.parse(before.body).price_sats).toBe(10);

    // A slow request on the same keep-alive connection, started before the reload.
    const slow = get(agent, `${gw.url}/hold/reload`);
    await up.arrived('reload');
    writeConfig(file, 20, [], { memory: { heapGrowingPercent: 0 } });
    const mark = gw.lines.length;
    gw.child.kill('SIGHUP');
    await gw.waitFor('configuration reloaded', mark);
    expect((await gw.waitFor('memory tuning', mark)).heapGrowingPercent).toBe(0);

    // New connections see the new price at once.
    const fresh = await fetch(`${gw.url}/api/x`);
    expect(fresh.status).toBe(402);
    expect((await json<{ price_sats: number }>(fresh)).price_sats).toBe(20);

    // The old request completes on its connection, which then serves on with the new config.
    up.release('reload');
    const done = await slow;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body)).toEqual({ held: 'reload', released: true });
    const after = await get(agent, `${gw.url}/api/x`);
    expect(after.localPort).toBe(done.localPort);
    expect(JSON.parse(after.body).price_sats).toBe(20);

    // A broken file is refused and the running configuration kept.
    writeFileSync(file, 'services: [{name: api, upstream: "http://x", price: -1}]');
    const mark2 = gw.lines.length;
    gw.child.kill('SIGHUP');
    const failed = await gw.waitFor('reload failed; keeping the running configuration', mark2);
    expect(failed.error).toMatch(/services\[0\]\.price: must be ≥ 0/);
    const still = await fetch(`${gw.url}/api/x`);
    expect((await json<{ price_sats: number }>(still)).price_sats).toBe(20);
    agent.destroy();

    // SIGTERM while a request is in flight: the gateway stops accepting, the request
    // completes, then the process exits 0.
    const inflight = fetch(`${gw.url}/hold/term`);
    await up.arrived('term');
    gw.child.kill('SIGTERM');
    await refused(gw.url);
    up.release('term');
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ held: 'term', released: true });
    expect(await gw.exited).toBe(0);
    expect(gw.lines.some((l) => l.msg === 'gateway stopped')).toBe(true);
    // Every request was logged as one JSON line with a request id.
    const logged = gw.lines.filter((l) => l.msg === 'request');
    expect(logged.length).toBeGreaterThanOrEqual(5);
    for (const l of logged) expect(l).toMatchObject({ level: 'info', requestId: expect.any(String) });
  });

  it('streams a large download and a large upload in bounded memory', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeConfig(file, 10, [
      {
        name: 'bulk',
        path: '/bulk/*',
        upstream: up.url,
        price: 50,
        policy: { pass: 600 },
        rewrite: { stripPrefix: '/bulk' },
      },
    ]);
    const gw = await start(file);
    // Pay through the dev wallet the gateway advertises.
    const first = await fetch(`${gw.url}/bulk/download?mb=1`);
    expect(first.status).toBe(402);
    const wallet = new DevPayWallet(new URL(first.headers.get('x-farebox-dev-wallet')!, gw.url).href);
    await first.arrayBuffer();
    const auth = await buy(`${gw.url}/bulk/download?mb=1`, wallet);
    // Warm up (JIT, pools), then measure the peak from here on.
    const warm = await fetch(`${gw.url}/bulk/download?mb=4`, { headers: { authorization: auth } });
    await warm.arrayBuffer();
    const base = gw.memory().peak;
    const MB = 256;

    const dl = await fetch(`${gw.url}/bulk/download?mb=${MB}`, { headers: { authorization: auth } });
    expect(dl.status).toBe(200);
    let got = 0;
    for await (const c of dl.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
    expect(got).toBe(MB * 1024 * 1024);

    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(7);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= MB * 1024 * 1024) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const ul = await fetch(`${gw.url}/bulk/upload`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(ul.status).toBe(200);
    expect((await json<{ bodyBytes: number }>(ul)).bodyBytes).toBe(MB * 1024 * 1024);

    // 512 MiB went through; buffering either body would lift the peak by ≥ 256 MiB.
    const growth = (gw.memory().peak - base) / 1024 / 1024;
    expect(
      growth,
      'peak RSS growth in MiB while 512 MiB streamed through: was a body buffered?',
    ).toBeLessThan(128);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  });
});
