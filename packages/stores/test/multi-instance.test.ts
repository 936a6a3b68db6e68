/**
 * Several store instances on one backend never over-serve: two Redis clients, two pg
 * pools, and two *processes* on one SQLite file race for the same tokens.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UsageStore } from '@farebox/server';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/postgres.js';
import { RedisStore } from '../src/redis.js';
import { startPostgres, startRedis, stopServices } from './support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LONG = { ttlSeconds: 600, reservationSeconds: 60 };
let n = 0;
const tokenId = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++n}`;

interface WorkerResult {
  commits: number;
  releases: number;
  oks: number;
}

/**
 * `workers` async loops share the stores round-robin; each reserves until the token is
 * used up, holding a granted use for a random moment and then releasing (40 %) or
 * committing it. Any over-serving shows as more commits than `maxUses`.
 */
async function contend(stores: UsageStore[], tok: string, maxUses: number, workers: number) {
  const one = async (store: UsageStore): Promise<WorkerResult> => {
    const r: WorkerResult = { commits: 0, releases: 0, oks: 0 };
    for (;;) {
      const res = await store.reserve(tok, { maxUses, ...LONG });
      if (!res.ok && res.reason === 'used-up') return r;
      if (!res.ok) {
        await sleep(Math.random() * 3);
        continue;
      }
      r.oks++;
      await sleep(Math.random() * 5);
      if (Math.random() < 0.4) {
        await store.release(tok);
        r.releases++;
      } else {
        await store.commit(tok);
        r.commits++;
      }
    }
  };
  const all = await Promise.all(Array.from({ length: workers }, (_, i) => one(stores[i % stores.length]!)));
  return all.reduce((a, b) => ({
    commits: a.commits + b.commits,
    releases: a.releases + b.releases,
    oks: a.oks + b.oks,
  }));
}

function sharedScenarios(name: string, make: () => Promise<[UsageStore, UsageStore]>) {
  describe(`${name}: two instances on one backend`, () => {
    let a: UsageStore;
    let b: UsageStore;
    beforeAll(async () => {
      [a, b] = await make();
    });
    afterAll(async () => {
      await a?.close?.();
      await b?.close?.();
    });

    it('50 concurrent reserves of a single-use token across both: exactly one ok', async () => {
      const tok = tokenId('race');
      const all = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).reserve(tok, { maxUses: 1, ...LONG })),
      );
      expect(all.filter((r) => r.ok)).toHaveLength(1);
      expect(all.filter((r) => !r.ok && r.reason === 'in-use')).toHaveLength(49);
      // The winner commits through the *other* instance: the state is shared.
      const winner = all.findIndex((r) => r.ok);
      await (winner % 2 ? b : a).commit(tok);
      const after = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserve(tok, { maxUses: 1, ...LONG })),
      );
      expect(after.every((r) => !r.ok && r.reason === 'used-up')).toBe(true);
      expect(await a.uses(tok)).toBe(1);
      expect(await b.uses(tok)).toBe(1);
    });

    it('a release on one instance frees the use for a race on both; then a commit spends it', async () => {
      const tok = tokenId('release');
      expect((await a.reserve(tok, { maxUses: 1, ...LONG })).ok).toBe(true);
      expect(await b.reserve(tok, { maxUses: 1, ...LONG })).toMatchObject({ ok: false, reason: 'in-use' });
      await a.release(tok);
      const race = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve(tok, { maxUses: 1, ...LONG })),
      );
      expect(race.filter((r) => r.ok)).toHaveLength(1);
      await b.commit(tok);
      expect(await a.reserve(tok, { maxUses: 1, ...LONG })).toMatchObject({ ok: false, reason: 'used-up' });
    });

    it('interleaved reserve/commit/release from 12 workers never serve more than maxUses', async () => {
      for (const maxUses of [1, 3, 5]) {
        const tok = tokenId(`workers${maxUses}`);
        const r = await contend([a, b], tok, maxUses, 12);
        expect(r.commits).toBe(maxUses);
        expect(r.oks).toBe(r.commits + r.releases);
        expect(await a.uses(tok)).toBe(maxUses);
        expect(await b.reserve(tok, { maxUses, ...LONG })).toEqual({
          ok: false,
          reason: 'used-up',
          used: maxUses,
          inFlight: 0,
        });
      }
    });

    it('no lost updates: 60 concurrent reserve+commit pairs and increments across both', async () => {
      const tok = tokenId('count');
      const key = tokenId('counter');
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const s = i % 2 ? a : b;
          const r = await s.reserve(tok, LONG);
          expect(r.ok).toBe(true);
          await (i % 3 ? s : i % 2 ? b : a).commit(tok);
          await s.increment(key, 60);
        }),
      );
      expect(await a.uses(tok)).toBe(60);
      expect((await b.increment(key, 60, 0)).value).toBe(60);
    });
  });
}

afterAll(stopServices);

sharedScenarios('RedisStore', async () => {
  const { url } = await startRedis();
  const prefix = `multi:${process.pid}:`;
  return [new RedisStore(url, { prefix }), new RedisStore(url, { prefix })];
});

sharedScenarios('PostgresStore', async () => {
  const { url } = await startPostgres();
  const schema = `multi_${process.pid}`;
  const a = new PostgresStore(url, { schema });
  const b = new PostgresStore(url, { schema });
  await Promise.all([a.migrate(), b.migrate()]);
  return [a, b];
});

// ---- SQLite: two processes on one file ----

const CHILD = `
import { SqliteStore } from './sqlite.js';
const [file, mode, tok, count] = process.argv.slice(2);
const n = Number(count);
const open = () => new SqliteStore(file, { busyTimeoutMs: 10000 });
// 'open' races the opening itself (a new file); the others open first, then race.
let store = mode === 'open' ? undefined : open();
const LONG = { ttlSeconds: 600, reservationSeconds: 60 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
let out;
if (mode === 'open') {
  store = open();
  const r = await store.reserve(tok, { maxUses: 1, ...LONG });
  out = { ok: r.ok ? 1 : 0 };
} else if (mode === 'race') {
  const rs = [];
  // One reserve per turn of the event loop, so the two processes interleave.
  for (let i = 0; i < n; i++) { rs.push(await store.reserve(tok, { maxUses: 1, ...LONG })); await new Promise(setImmediate); }
  out = { ok: rs.filter((r) => r.ok).length, inUse: rs.filter((r) => !r.ok && r.reason === 'in-use').length };
} else if (mode === 'workers') {
  const max = 3;
  const one = async () => {
    const r = { commits: 0, releases: 0, oks: 0 };
    for (;;) {
      const res = await store.reserve(tok, { maxUses: max, ...LONG });
      if (!res.ok && res.reason === 'used-up') return r;
      if (!res.ok) { await sleep(Math.random() * 3); continue; }
      r.oks++;
      await sleep(Math.random() * 5);
      if (Math.random() < 0.4) { await store.release(tok); r.releases++; } else { await store.commit(tok); r.commits++; }
    }
  };
  const all = await Promise.all(Array.from({ length: n }, one));
  out = all.reduce((a, b) => ({ commits: a.commits + b.commits, releases: a.releases + b.releases, oks: a.oks + b.oks }));
} else if (mode === 'count') {
  for (let i = 0; i < n; i++) {
    await store.reserve(tok, LONG);
    await store.commit(tok);
    await store.increment('counter-' + tok, 60);
    await new Promise(setImmediate);
  }
  out = { done: n };
}
process.stdout.write(JSON.stringify(out) + '\\n');
await store.close();
process.exit(0);
`;

describe('SqliteStore: two processes on one file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'farebox-sqlite-multi-'));
  const file = join(dir, 'shared.db');

  beforeAll(() => {
    // Node 20 cannot run TypeScript: transpile the store's source (and the module it shares
    // with the other stores) for the children. Their imports (better-sqlite3, @farebox/core)
    // resolve through a node_modules link.
    for (const name of ['sqlite', 'common']) {
      const src = readFileSync(fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url)), 'utf8');
      const js = ts.transpileModule(src, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(dir, `${name}.js`), js);
    }
    writeFileSync(join(dir, 'child.js'), CHILD);
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    symlinkSync(fileURLToPath(new URL('../../../node_modules', import.meta.url)), join(dir, 'node_modules'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts both children, releases them together, returns their JSON results. */
  async function both(
    mode: string,
    tok: string,
    count: number,
    { processes = 2, db = file } = {},
  ): Promise<Record<string, number>[]> {
    const kids: ChildProcessWithoutNullStreams[] = Array.from({ length: processes }, () =>
      spawn(process.execPath, [join(dir, 'child.js'), db, mode, tok, String(count)], { cwd: dir }),
    );
    const outputs = kids.map(
      (k) =>
        new Promise<string[]>((resolve, reject) => {
          let out = '';
          let err = '';
          k.stdout.on('data', (d) => {
            out += d;
            if (out.startsWith('ready\n') && !(k as { released?: boolean }).released) {
              (k as { released?: boolean }).released = true;
              ready();
            }
          });
          k.stderr.on('data', (d) => {
            err += d;
          });
          k.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(err))));
        }),
    );
    let waiting = kids.length;
    function ready() {
      if (--waiting === 0) for (const k of kids) k.stdin.write('go\n');
    }
    const lines = await Promise.all(outputs);
    return lines.map((l) => JSON.parse(l.at(-1)!) as Record<string, number>);
  }

  it('eight processes opening one new file at the same moment all open it (8 rounds)', async () => {
    for (let round = 0; round < 8; round++) {
      const tok = tokenId('open');
      const results = await both('open', tok, 1, { processes: 8, db: join(dir, `fresh-${round}.db`) });
      expect(results).toHaveLength(8);
      expect(results.reduce((a, r) => a + r.ok!, 0)).toBe(1);
    }
  });

  it('50 reserves of a single-use token from two processes: exactly one ok', async () => {
    const tok = tokenId('race');
    const [x, y] = await both('race', tok, 25);
    expect(x!.ok! + y!.ok!).toBe(1);
    expect(x!.inUse! + y!.inUse!).toBe(49);
  });

  it('interleaved reserve/commit/release from 2 × 6 workers never serve more than maxUses', async () => {
    const tok = tokenId('workers');
    const [x, y] = await both('workers', tok, 6);
    expect(x!.commits! + y!.commits!).toBe(3);
    expect(x!.oks! + y!.oks!).toBe(x!.commits! + y!.commits! + x!.releases! + y!.releases!);
  });

  it('no lost updates: 2 × 100 reserve+commit and increments', async () => {
    const tok = tokenId('count');
    await both('count', tok, 100);
    const { SqliteStore } = await import('../src/sqlite.js');
    const store = new SqliteStore(file);
    expect(await store.uses(tok)).toBe(200);
    expect((await store.increment(`counter-${tok}`, 60, 0)).value).toBe(200);
    await store.close();
  });
});
