import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/postgres.js';
import { expectSweepDeletesExpired, storeConformance } from './store-conformance.js';
import { freePort, type PostgresService, startPostgres, stopServices } from './support/services.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(stopServices);

let schemas = 0;
const schema = () => `t_${process.pid}_${++schemas}`;

storeConformance('PostgresStore', ({ now }) => new PostgresStore(postgres.url, { now, schema: schema() }));
storeConformance(
  'PostgresStore (search_path, table prefix)',
  ({ now }) => new PostgresStore(postgres.url, { now, tablePrefix: `p${process.pid}_` }),
);

describe('PostgresStore', () => {
  it('migrate creates the schema and tables; running it again, or from two pools at once, is fine', async () => {
    const s = schema();
    const a = new PostgresStore(postgres.url, { schema: s, autoMigrate: false });
    const b = new PostgresStore(postgres.url, { schema: s, autoMigrate: false });
    await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
    await a.migrate();
    const { rows } = await a.pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [s],
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'farebox_counters',
      'farebox_kv',
      'farebox_reservations',
      'farebox_usage',
    ]);
    await a.close();
    await b.close();
  });

  it('counts survive a new pool (a restart)', async () => {
    const s = schema();
    const a = new PostgresStore(postgres.url, { schema: s });
    await a.reserve('tok', { maxUses: 2, ttlSeconds: 600, reservationSeconds: 60 });
    await a.commit('tok');
    await a.close();
    const b = new PostgresStore(postgres.url, { schema: s });
    expect(await b.uses('tok')).toBe(1);
    await b.close();
  });

  it('uses a Pool you pass and leaves it open on close; refuses a single Client', async () => {
    const pool = new pg.Pool({ connectionString: postgres.url });
    const store = new PostgresStore(pool, { schema: schema() });
    await store.put('k', 'v', 10);
    expect(await store.get('k')).toBe('v');
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
    const client = new pg.Client({ connectionString: postgres.url });
    expect(() => new PostgresStore(client as unknown as pg.Pool)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', data: { parameter: 'target' } }),
    );
  });

  it('sweep deletes expired rows', async () => {
    await expectSweepDeletesExpired(({ now }) => new PostgresStore(postgres.url, { schema: schema(), now }));
  });

  it('a database that is down fails fast, with the URL in the message and without the password', async () => {
    const port = await freePort();
    const store = new PostgresStore(`postgres://farebox:hunter2secret@127.0.0.1:${port}/app`);
    const err = (await store.uses('tok').catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`postgres store (postgres://farebox:***@127.0.0.1:${port}/app)`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('hunter2secret');
    await store.close();
  });

  it('refuses bad targets and options with INVALID_ARGUMENT', () => {
    const bad: [() => unknown, string][] = [
      [() => new PostgresStore('redis://x'), 'target'],
      [() => new PostgresStore(''), 'target'],
      [() => new PostgresStore(postgres.url, { schema: 'a"; DROP TABLE x; --' }), 'schema'],
      [() => new PostgresStore(postgres.url, { tablePrefix: '1abc' }), 'tablePrefix'],
    ];
    for (const [fn, parameter] of bad)
      expect(fn, parameter).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', data: { parameter } }),
      );
  });

  it('refuses bad arguments before touching the database', async () => {
    const store = new PostgresStore(postgres.url, { schema: schema() });
    await expect(store.reserve('t', { ttlSeconds: -1, reservationSeconds: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      data: { parameter: 'ttlSeconds' },
    });
    await expect(store.put('k', 'a\0b', 1)).rejects.toMatchObject({ data: { parameter: 'value' } });
    await store.close();
  });
});
