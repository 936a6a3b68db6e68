/**
 * The ledger (recent payments, earnings, tokens behind the admin API and dashboard) kept in
 * the SQLite store's file:
 *
 * - unit level, on a real SQLite file: a payment's first use is written at once (it survives
 *   a crash: a second connection sees it with nothing flushed), later uses of a token are
 *   batched (1,000 uses of one pass cost a handful of row writes, at most one flush per
 *   second), the tables keep the newest `keep` rows and memory the newest `max`;
 * - over real HTTP, in process: a gateway on `store: sqlite:<file>` with the admin API sells
 *   a per-request call and a pass used three times, stops gracefully, and a new gateway on
 *   the same file answers the same payments, earnings and token uses (and counts on: a
 *   fourth use of the pass shows 4). A reload that keeps the store keeps the ledger; one
 *   that changes the file flushes to the old file first. With the memory store a restart
 *   shows nothing (documented);
 * - the CLI as a child process: SIGTERM flushes, the next process shows the same.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DevPayWallet } from '@farebox/client';
import { SqliteStore } from '@farebox/stores/sqlite';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdminHandler } from '../src/admin.js';
import { parseConfig } from '../src/config.js';
import type { Gateway } from '../src/gateway.js';
import { Ledger } from '../src/ledger.js';
import {
  buildCli,
  buy,
  devPayer,
  type GatewayProcess,
  gatewayFrom,
  spawnGateway,
  tempDir,
} from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const TOKEN = 'ledger-admin-token';
const PASS = 'b'.repeat(64);

function receipt(tokenId: string, use: number, time = 1_700_000_000, service = 'clock') {
  return {
    tokenId,
    paymentHash: tokenId.replace(/./, 'f'),
    amountMsat: 5000n,
    route: `GET ${service}`,
    service,
    time,
    use,
  };
}

/** Rows changed by this connection so far (inserts, updates, deletes). */
function totalChanges(store: SqliteStore): number {
  return (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
}

describe('ledger kept in a SQLite file (unit)', () => {
  const stores: SqliteStore[] = [];
  const open = (file: string) => {
    const s = new SqliteStore(file);
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    vi.useRealTimers();
    for (const s of stores.splice(0)) await s.close();
  });

  it('1,000 served uses of one pass token cost a handful of row writes', () => {
    const store = open(join(tempDir(), 'farebox.db'));
    const ledger = new Ledger().attach(store.db);
    const before = totalChanges(store);
    for (let use = 1; use <= 1000; use++) ledger.record(receipt(PASS, use, 1_700_000_000 + use));
    ledger.close();
    const writes = totalChanges(store) - before;
    // One payment row (the first use) and one token upsert (the flush on close).
    expect(writes).toBeLessThanOrEqual(3);
    expect(writes).toBeGreaterThanOrEqual(2);
    const again = new Ledger().attach(store.db);
    expect(again.tokens.get(PASS)).toMatchObject({ uses: 1000, lastSeen: 1_700_001_000 });
    expect(again.entries).toHaveLength(1);
    again.close();
  });

  it('token state is flushed at most once per second however busy the token is', () => {
    vi.useFakeTimers();
    const store = open(join(tempDir(), 'farebox.db'));
    const ledger = new Ledger().attach(store.db, { flushMs: 1000 });
    const before = totalChanges(store);
    // 1,000 uses spread over 5 s (one every 5 ms).
    for (let use = 1; use <= 1000; use++) {
      ledger.record(receipt(PASS, use));
      vi.advanceTimersByTime(5);
    }
    const writes = totalChanges(store) - before;
    // The payment, plus one upsert per elapsed second.
    expect(writes).toBeGreaterThanOrEqual(1 + 4);
    expect(writes).toBeLessThanOrEqual(1 + 5);
    ledger.close();
  });

  it('a payment survives a crash at once; the use count within the flush interval', () => {
    vi.useFakeTimers();
    const file = join(tempDir(), 'farebox.db');
    const a = open(file);
    const ledger = new Ledger().attach(a.db);
    ledger.record(receipt(PASS, 1));
    ledger.record(receipt(PASS, 2));
    // Another connection on the file, nothing flushed (as after a crash).
    const b = open(file);
    const seen = new Ledger().attach(b.db);
    expect(seen.entries.map((e) => e.tokenId)).toEqual([PASS]);
    expect(seen.earnings()).toEqual([{ bucket: 1_699_999_200, service: 'clock', sats: 5, count: 1 }]);
    expect(seen.tokens.get(PASS)?.uses).toBe(1); // rebuilt from its payment
    seen.detach();
    vi.advanceTimersByTime(1000); // the first gateway's flush
    expect(new Ledger().attach(b.db).tokens.get(PASS)?.uses).toBe(2);
    ledger.close();
  });

  it('keeps the newest `keep` rows in the file and the newest `max` in memory', () => {
    const file = join(tempDir(), 'farebox.db');
    const store = open(file);
    const ledger = new Ledger().attach(store.db, { keep: 5 });
    const id = (i: number) => i.toString(16).padStart(64, '0');
    for (let i = 1; i <= 8; i++) ledger.record(receipt(id(i), 1, 1_700_000_000 + i));
    ledger.close();
    const count = (t: string) =>
      (store.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect(count('farebox_ledger_payments')).toBe(5);
    expect(count('farebox_ledger_tokens')).toBe(5);
    const small = new Ledger(3).attach(store.db, { keep: 5 });
    expect(small.entries.map((e) => e.tokenId)).toEqual([id(6), id(7), id(8)]);
    expect([...small.tokens.keys()]).toEqual([id(6), id(7), id(8)]);
    small.close();
  });
});

type Payment = {
  time: number;
  service: string;
  sats: number;
  paymentHash: string;
  tokenId: string;
  uses: number;
};
type Tok = {
  tokenId: string;
  service: string;
  uses: number;
  firstSeen: number;
  lastSeen: number;
  state: string;
};

async function admin<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}/admin/api/${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** What the admin API says about the ledger (earnings without its `now`). */
async function ledgerView(base: string) {
  const { payments } = await admin<{ payments: Payment[] }>(base, 'payments?limit=100');
  const { buckets } = await admin<{ buckets: unknown[] }>(base, 'earnings?bucket=60');
  const { tokens } = await admin<{ tokens: Tok[] }>(base, 'tokens?state=all');
  const summary = await admin<{ totals: { sats: number; payments: number } }>(base, 'summary');
  return { payments, buckets, tokens, totals: summary.totals };
}

async function expectOk(url: string, authorization: string): Promise<void> {
  const res = await fetch(url, { headers: { authorization } });
  await res.arrayBuffer();
  expect(res.status, url).toBe(200);
}

/** Buys one per-request call and a pass used three times. */
async function shop(base: string, payer: Parameters<typeof buy>[1]): Promise<string> {
  const once = await buy(`${base}/joke`, payer);
  await expectOk(`${base}/joke`, once);
  const pass = await buy(`${base}/time`, payer);
  for (let i = 0; i < 3; i++) await expectOk(`${base}/time`, pass);
  return pass;
}

function services(upstream: string) {
  return [
    { name: 'jokes', path: '/joke', methods: ['GET'], upstream, price: 21 },
    { name: 'clock', path: '/time', upstream, price: 5, policy: { pass: 3600 } },
  ];
}

describe('ledger across a restart over HTTP (in process)', () => {
  let up: Upstream;
  const running: Gateway[] = [];
  beforeAll(async () => {
    up = await startUpstream();
  });
  afterAll(async () => {
    for (const g of running) await g.stop(0);
    await up?.stop();
  });

  const start = async (baseDir: string, store: string) => {
    const gw = await gatewayFrom(
      { backend: 'dev', store, admin: { enabled: true, token: TOKEN }, services: services(up.url) },
      { baseDir, admin: createAdminHandler() },
    );
    running.push(gw);
    return gw;
  };
  const stop = async (gw: Gateway) => {
    running.splice(running.indexOf(gw), 1);
    await gw.stop();
  };

  it('a gateway on the same SQLite file shows the same payments, earnings and token uses', async () => {
    const dir = tempDir();
    const first = await start(dir, 'sqlite:farebox.db');
    const pass = await shop(first.url, devPayer(first));
    const before = await ledgerView(first.url);
    expect(before.payments.map((p) => [p.service, p.sats, p.uses])).toEqual([
      ['clock', 5, 3],
      ['jokes', 21, 1],
    ]);
    expect(before.totals).toMatchObject({ sats: 26, payments: 2 });
    expect(before.tokens.map((t) => [t.service, t.uses]).sort()).toEqual([
      ['clock', 3],
      ['jokes', 1],
    ]);
    await stop(first);

    const second = await start(dir, 'sqlite:farebox.db');
    const after = await ledgerView(second.url);
    expect(after.payments).toEqual(before.payments);
    expect(after.buckets).toEqual(before.buckets);
    expect(after.tokens).toEqual(before.tokens);
    expect(after.totals).toMatchObject({ sats: 26, payments: 2 });

    // The pass bought before the restart goes on counting.
    await expectOk(`${second.url}/time`, pass);
    const { tokens } = await admin<{ tokens: Tok[] }>(second.url, 'tokens');
    expect(tokens.find((t) => t.service === 'clock')?.uses).toBe(4);
    await stop(second);
    const third = await start(dir, 'sqlite:farebox.db');
    const again = await ledgerView(third.url);
    expect(again.tokens.find((t) => t.service === 'clock')?.uses).toBe(4);
    expect(again.payments).toHaveLength(2);
    await stop(third);
  });

  it('a reload keeps the ledger; one that changes the file flushes to the old file first', async () => {
    const dir = tempDir();
    const gw = await start(dir, 'sqlite:a.db');
    const pass = await shop(gw.url, devPayer(gw));
    const cfg = (store: string, title: string) =>
      parseConfig(
        JSON.stringify({
          listen: '127.0.0.1:0',
          backend: 'dev',
          store,
          title,
          admin: { enabled: true, token: TOKEN },
          services: services(up.url),
        }),
        'reload',
      );
    await gw.reload(cfg('sqlite:a.db', 'reloaded')); // same store: nothing changes for the ledger
    await expectOk(`${gw.url}/time`, pass); // use 4, not flushed yet
    const kept = await ledgerView(gw.url);
    expect(kept.payments).toHaveLength(2);
    expect(kept.tokens.find((t) => t.service === 'clock')?.uses).toBe(4);
    await gw.reload(cfg('sqlite:b.db', 'moved')); // another file: its own (empty) ledger
    expect((await ledgerView(gw.url)).payments).toEqual([]);
    await stop(gw);

    const back = await start(dir, 'sqlite:a.db');
    const view = await ledgerView(back.url);
    expect(view.payments).toHaveLength(2);
    expect(view.tokens.find((t) => t.service === 'clock')?.uses).toBe(4);
    await stop(back);
  });

  it('with the memory store a restart shows no payments (documented)', async () => {
    const dir = tempDir();
    const first = await start(dir, 'memory');
    await shop(first.url, devPayer(first));
    expect((await ledgerView(first.url)).payments).toHaveLength(2);
    await stop(first);
    const second = await start(dir, 'memory');
    const view = await ledgerView(second.url);
    expect(view.payments).toEqual([]);
    expect(view.buckets).toEqual([]);
    expect(view.tokens).toEqual([]);
    await stop(second);
  });
});

describe('ledger across a restart of the CLI gateway (child process, SIGTERM)', () => {
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

  it('shows the same payments, earnings and token uses after SIGTERM and a new start', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        listen: '127.0.0.1:0',
        backend: 'dev',
        store: 'sqlite:farebox.db',
        admin: { enabled: true, token: TOKEN },
        services: services(up.url),
      }),
    );
    const spawn = async () => {
      const p = await spawnGateway(file);
      children.push(p);
      return p;
    };
    const first = await spawn();
    const probe = await fetch(`${first.url}/joke`);
    await probe.arrayBuffer();
    const wallet = new DevPayWallet(new URL(probe.headers.get('x-farebox-dev-wallet')!, first.url).href);
    await shop(first.url, wallet);
    const before = await ledgerView(first.url);
    expect(before.tokens.find((t) => t.service === 'clock')?.uses).toBe(3);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await spawn();
    const after = await ledgerView(second.url);
    expect(after.payments).toEqual(before.payments);
    expect(after.buckets).toEqual(before.buckets);
    expect(after.tokens).toEqual(before.tokens);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
