/**
 * The gateway on the real regtest Lightning network (scripts/regtest, brought up if it is
 * not): bob's lnd issues the invoices (`backend: BOB_CONNECTION`), a client pays them
 * through alice's lnd (`LndRest`), over the alice→bob channel. Paid call, replay, tamper,
 * upstream down (502, token kept), and health/metrics seeing the real backend.
 */
import { randomBytes } from 'node:crypto';
import { L402Client } from '@farebox/client';
import { buildCredential } from '@farebox/core';
import { parseConnection } from '@farebox/lightning';
import { LndRest } from '@farebox/lightning/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGTEST_UP_TIMEOUT_MS, type RegtestEnv, regtest } from '../../lightning/test/support/regtest.js';
import type { Gateway } from '../src/index.js';
import { buy, challengeOf, gatewayFrom, json } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let env: RegtestEnv;
let gw: Gateway;
let up: Upstream;
let alice: LndRest;

beforeAll(async () => {
  env = await regtest();
  up = await startUpstream();
  const conn = parseConnection(env.ALICE_CONNECTION!);
  if (conn.type !== 'lnd') throw new Error('ALICE_CONNECTION is not an lnd connection');
  alice = await LndRest.fromConnection(conn);
  gw = await gatewayFrom(
    {
      backend: env.BOB_CONNECTION,
      secret: { env: 'GATEWAY_SECRET' },
      services: [
        { name: 'api', path: '/api/*', upstream: up.url, price: 25, rewrite: { stripPrefix: '/api' } },
      ],
    },
    { env: { GATEWAY_SECRET: randomBytes(32).toString('hex') } },
  );
}, REGTEST_UP_TIMEOUT_MS);

afterAll(async () => {
  await gw?.stop(1000);
  await alice?.close();
  await up?.stop();
}, 60_000);

describe('gateway with bob issuing, alice paying (regtest lnd)', () => {
  it('challenges with an invoice of bob and serves the request alice paid for', async () => {
    const unpaid = await fetch(`${gw.url}/api/echo`);
    expect(unpaid.status).toBe(402);
    expect(unpaid.headers.get('x-farebox-dev-wallet')).toBeNull(); // a real backend: no dev wallet
    const c = challengeOf(unpaid);
    expect(c.invoice).toMatch(/^lnbcrt250n1/);
    await unpaid.arrayBuffer();

    const client = new L402Client({ wallet: alice, budget: { perRequestSats: 100, perDaySats: 1000 } });
    const res = await client.fetch(`${gw.url}/api/echo?paid=1`);
    expect(res.status).toBe(200);
    const echo = await json<{ url: string; headers: Record<string, string> }>(res);
    expect(echo.url).toBe('/echo?paid=1');
    expect(echo.headers.authorization).toBeUndefined();
  });

  it('refuses a replay and a tampered token', async () => {
    const auth = await buy(`${gw.url}/api/once`, alice);
    const ok = await fetch(`${gw.url}/api/once`, { headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const replay = await fetch(`${gw.url}/api/once`, { headers: { authorization: auth } });
    expect(replay.status).toBe(402);
    expect((await json<{ error: { code: string } }>(replay)).error.code).toBe('L402_TOKEN_USED');

    const fresh = await buy(`${gw.url}/api/twice`, alice);
    const mac = fresh.slice('L402 '.length).split(':')[0]!;
    const tampered = await fetch(`${gw.url}/api/twice`, {
      headers: { authorization: buildCredential({ macaroon: mac, preimage: randomBytes(32) }) },
    });
    expect(tampered.status).toBe(401);
    challengeOf(tampered); // with a fresh invoice to pay
    await tampered.arrayBuffer();
    const genuine = await fetch(`${gw.url}/api/twice`, { headers: { authorization: fresh } });
    expect(genuine.status).toBe(200);
    await genuine.arrayBuffer();
  });

  it('answers 502 while the upstream is down and serves the paid token once it is back', async () => {
    const auth = await buy(`${gw.url}/api/down`, alice);
    await up.stop();
    const down = await fetch(`${gw.url}/api/down`, { headers: { authorization: auth } });
    expect(down.status).toBe(502);
    expect((await json<{ error: { code: string } }>(down)).error.code).toBe('UPSTREAM_UNAVAILABLE');
    await up.start();
    const back = await fetch(`${gw.url}/api/down`, { headers: { authorization: auth } });
    expect(back.status).toBe(200);
    expect((await json<{ url: string }>(back)).url).toBe('/down');
  });

  it('reports the lnd backend as ready and counts the sats earned', async () => {
    const auth = await buy(`${gw.url}/api/metered`, alice);
    const paid = await fetch(`${gw.url}/api/metered`, { headers: { authorization: auth } });
    expect(paid.status).toBe(200);
    await paid.arrayBuffer();
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    await ready.arrayBuffer();
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/^farebox_backend_up\{backend="lnd"\} 1$/m);
    // Every paid request served so far, 25 sats each.
    const earned = Number(/^farebox_sats_earned_total\{service="api"\} (\d+)$/m.exec(text)?.[1]);
    expect(earned).toBeGreaterThanOrEqual(25);
    expect(earned % 25).toBe(0);
  });
});
