/**
 * Two gateway instances on one real Redis, and again on one real PostgreSQL
 * (packages/stores/test/support/services.ts): each opens its own store client from the
 * configured URL, as two machines would. They share the server secret (`secret: {env: …}`)
 * so a token minted by one verifies offline at the other; each has its own dev node, and
 * tokens are paid through the dev wallet of the instance that issued the invoice. A single-use token fired 20
 * times at both at once is served exactly once; a 3-credit token exactly three times.
 */
import { randomBytes } from 'node:crypto';
import { DevPayWallet } from '@farebox/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRedis, stopServices } from '../../stores/test/support/services.js';
import type { Gateway } from '../src/index.js';
import { buy, gatewayFrom } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let up: Upstream;

beforeAll(async () => {
  up = await startUpstream();
});

afterAll(async () => {
  await up?.stop();
  await stopServices();
});

function twoInstances(name: string, storeUrl: () => Promise<string>) {
  describe(`two gateways on one ${name}`, () => {
    const gws: Gateway[] = [];
    /** The dev wallet an instance advertises. */
    const wallet = (i: number) => new DevPayWallet(`${gws[i]!.url}/.well-known/l402/dev-pay`);

    beforeAll(async () => {
      const store = await storeUrl();
      const env = { SHARED_SECRET: randomBytes(32).toString('hex') };
      for (let i = 0; i < 2; i++) {
        gws.push(
          await gatewayFrom(
            {
              store,
              secret: { env: 'SHARED_SECRET' },
              services: [
                { name: 'once', path: '/hold/*', upstream: up.url, price: 3 },
                {
                  name: 'credits',
                  path: '/credits/*',
                  upstream: up.url,
                  price: 5,
                  policy: { credits: 3 },
                  rewrite: { stripPrefix: '/credits' },
                },
              ],
            },
            { env },
          ),
        );
      }
    });

    afterAll(async () => {
      for (const g of gws) await g.stop(1000);
    });

    /** `count` concurrent requests with one token, alternating between the instances. */
    async function burst(path: string, authorization: string, count: number, holdId?: string) {
      let settled = 0;
      const pending = Array.from({ length: count }, (_, i) =>
        fetch(`${gws[i % 2]!.url}${path}`, { headers: { authorization } }).then(async (r) => {
          const body = (await r.json()) as { error?: { code?: string } };
          settled++;
          return { status: r.status, code: body.error?.code, instance: i % 2 };
        }),
      );
      if (holdId) {
        // The served request is held at the upstream until every other one has its answer
        // (or, if the store let a second one through, until that one arrives too).
        const arrivals = () => up.seen.filter((s) => s.url === `/hold/${holdId}`).length;
        while (settled < count - 1 && arrivals() < 2) await new Promise((r) => setTimeout(r, 10));
        up.release(holdId);
      }
      return Promise.all(pending);
    }

    it('serves a single-use token fired 20 times at both instances exactly once', async () => {
      const id = `ds-${name}`;
      const auth = await buy(`${gws[0]!.url}/hold/${id}`, wallet(0));
      const results = await burst(`/hold/${id}`, auth, 20, id);
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(up.seen.filter((s) => s.url === `/hold/${id}`)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 200)) {
        expect([409, 402]).toContain(r.status);
        expect(r.code).toBe(r.status === 409 ? 'L402_TOKEN_IN_USE' : 'L402_TOKEN_USED');
      }
      // Requests went to both instances.
      expect(new Set(results.map((r) => r.instance)).size).toBe(2);
      for (const g of gws) {
        const again = await fetch(`${g.url}/hold/${id}`, { headers: { authorization: auth } });
        expect(again.status).toBe(402);
        expect(((await again.json()) as { error: { code: string } }).error.code).toBe('L402_TOKEN_USED');
      }
    });

    it('accepts at instance B a token bought at instance A', async () => {
      const id = `ab-${name}`;
      up.release(id);
      const auth = await buy(`${gws[0]!.url}/hold/${id}`, wallet(0));
      const r = await fetch(`${gws[1]!.url}/hold/${id}`, { headers: { authorization: auth } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      const replay = await fetch(`${gws[0]!.url}/hold/${id}`, { headers: { authorization: auth } });
      expect(replay.status).toBe(402);
      await replay.arrayBuffer();
    });

    it('serves a 3-credit token fired 20 times at both instances exactly three times', async () => {
      const seen = up.seen.length;
      const auth = await buy(`${gws[1]!.url}/credits/c`, wallet(1));
      const results = await burst(`/credits/c-${name}`, auth, 20);
      expect(results.filter((r) => r.status === 200)).toHaveLength(3);
      expect(results.every((r) => [200, 402, 409].includes(r.status))).toBe(true);
      expect(up.seen.slice(seen).filter((s) => s.url === `/c-${name}`)).toHaveLength(3);
    });
  });
}

twoInstances('Redis', async () => (await startRedis()).url);
twoInstances('PostgreSQL', async () => (await startPostgres()).url);
