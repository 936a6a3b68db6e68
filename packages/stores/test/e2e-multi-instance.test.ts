/**
 * End to end: two real farebox servers (node:http) share one Redis, and again one
 * PostgreSQL. A client pays once, then fires 20 concurrent requests with that token,
 * split across both servers: exactly one is served. Each server has its own store
 * instance (own client or pool), as separate machines would.
 */
import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import { Paywall, type UsageStore } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/postgres.js';
import { RedisStore } from '../src/redis.js';
import { startPostgres, startRedis, stopServices } from './support/services.js';

afterAll(stopServices);

function twoServers(name: string, makeStores: () => Promise<[UsageStore, UsageStore]>) {
  describe(`two farebox servers on one ${name}`, () => {
    // One dev node issues every invoice and pays them; both paywalls share the secret,
    // so a token minted by one verifies on the other.
    const node = new DevNode({ production: false });
    const secret = new Uint8Array(32).fill(42);
    const servers: { url: string; close(): Promise<void> }[] = [];
    const stores: UsageStore[] = [];
    let served = 0;

    beforeAll(async () => {
      stores.push(...(await makeStores()));
      for (const store of stores) {
        const paywall = new Paywall({
          secret,
          lightning: node,
          store,
          routes: [
            { method: 'GET', path: '/slow', price: 3 },
            { method: 'GET', path: '/credits', price: 5, policy: { type: 'credits', uses: 3 } },
          ],
        });
        servers.push(
          await serve(paywall, async (req) => {
            served++;
            await new Promise((r) => setTimeout(r, 150)); // hold the use while others arrive
            return Response.json({ ok: true, path: new URL(req.url).pathname });
          }),
        );
      }
    });
    afterAll(async () => {
      for (const s of servers) await s.close();
      for (const s of stores) await s.close?.();
      await node.close();
    });

    /** Gets a 402 from server `i`, pays its invoice, returns the Authorization value. */
    async function payAt(i: number, path: string): Promise<string> {
      const res = await fetch(`${servers[i]!.url}${path}`);
      expect(res.status).toBe(402);
      await res.arrayBuffer();
      const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
      if (!c) throw new Error('no challenge');
      const paid = await node.payInvoice(c.invoice);
      return buildCredential({ macaroon: c.macaroon, preimage: paid.preimage });
    }

    async function burst(path: string, authorization: string, count: number) {
      const responses = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          fetch(`${servers[i % 2]!.url}${path}`, { headers: { authorization } }),
        ),
      );
      const out: { status: number; code?: string; server: number }[] = [];
      for (const [i, r] of responses.entries()) {
        const body = (await r.json()) as { error?: { code?: string } };
        out.push({ status: r.status, server: i % 2, ...(body.error?.code ? { code: body.error.code } : {}) });
      }
      return out;
    }

    it('a single-use token fired 20 times at both servers at once is served exactly once', async () => {
      const auth = await payAt(0, '/slow');
      const before = served;
      const results = await burst('/slow', auth, 20);
      const ok = results.filter((r) => r.status === 200);
      expect(ok).toHaveLength(1);
      expect(served - before).toBe(1);
      for (const r of results.filter((x) => x.status !== 200)) {
        expect([409, 402]).toContain(r.status);
        expect(r.code).toBe(r.status === 409 ? 'L402_TOKEN_IN_USE' : 'L402_TOKEN_USED');
      }
      // Afterwards both servers know the token is spent.
      for (const s of servers) {
        const again = await fetch(`${s.url}/slow`, { headers: { authorization: auth } });
        expect(again.status).toBe(402);
        expect(((await again.json()) as { error: { code: string } }).error.code).toBe('L402_TOKEN_USED');
      }
    });

    it('a token paid on server B works on server A (shared secret, shared count)', async () => {
      const auth = await payAt(1, '/slow');
      const r = await fetch(`${servers[0]!.url}/slow`, { headers: { authorization: auth } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      const replay = await fetch(`${servers[1]!.url}/slow`, { headers: { authorization: auth } });
      expect(replay.status).toBe(402);
      await replay.arrayBuffer();
    });

    it('a 3-credit token fired 20 times at both servers is served exactly 3 times', async () => {
      const auth = await payAt(1, '/credits');
      const before = served;
      const results = await burst('/credits', auth, 20);
      expect(results.filter((r) => r.status === 200)).toHaveLength(3);
      expect(results.every((r) => r.status === 200 || r.status === 409 || r.status === 402)).toBe(true);
      expect(served - before).toBe(3);
      const again = await fetch(`${servers[0]!.url}/credits`, { headers: { authorization: auth } });
      expect(again.status).toBe(402);
      await again.arrayBuffer();
    });
  });
}

twoServers('Redis', async () => {
  const { url } = await startRedis();
  const prefix = `e2e:${process.pid}:`;
  return [new RedisStore(url, { prefix }), new RedisStore(url, { prefix })];
});

twoServers('PostgreSQL', async () => {
  const { url } = await startPostgres();
  const schema = `e2e_${process.pid}`;
  return [new PostgresStore(url, { schema }), new PostgresStore(url, { schema })];
});
