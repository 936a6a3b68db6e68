/**
 * The MCP server on the real regtest network: a farebox server issues invoices with bob's
 * lnd; the MCP server pays with alice's lnd, from the connection string an operator would
 * put in FAREBOX_WALLET. Over stdio (the built CLI) and Streamable HTTP (in process).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConnection } from '@farebox/lightning';
import { LndRest } from '@farebox/lightning/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGTEST_UP_TIMEOUT_MS, type RegtestEnv, regtest } from '../../lightning/test/support/regtest.js';
import { createFareboxMcpServer, loadConfig, serveMcpHttp, toolkitFromConfig } from '../src/index.js';
import { httpClient, stdioClient } from './support/mcp-client.js';
import { expectNoSecrets, SCENARIO_ENV, scenario, storeSecrets } from './support/scenario.js';
import { type Shop, startShop } from './support/shop.js';

const TOKEN = 'regtest-bearer-token-0123456789';

describe('farebox mcp on the regtest lnd network', () => {
  let env: RegtestEnv;
  let shop: Shop;
  let aliceMacaroonHex = '';
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    env = await regtest();
    const cfg = parseConnection(env.BOB_CONNECTION!);
    if (cfg.type !== 'lnd') throw new Error('BOB_CONNECTION is not lnd');
    const bob = await LndRest.fromConnection(cfg);
    shop = await startShop({ lightning: bob, title: 'farebox test shop' });
    closers.push(shop.close, () => bob.close());
    aliceMacaroonHex = (await readFile(env.ALICE_MACAROON)).toString('hex');
  }, REGTEST_UP_TIMEOUT_MS);

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('over stdio: FAREBOX_WALLET = alice’s lnd connection string', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-regtest-stdio-'));
    const t = await stdioClient({
      ...SCENARIO_ENV,
      FAREBOX_HOME: home,
      FAREBOX_WALLET: env.ALICE_CONNECTION!,
    });
    try {
      await scenario(t, shop.base, { devWallet: false, network: 'regtest' });
      const bal = await t.call('wallet_balance');
      expect(bal.data).toMatchObject({ outcome: 'ok', supported: true, backend: 'lnd' });
      expect(bal.data.balance_sats).toBeGreaterThan(0);
      expectNoSecrets(t.outputs, [
        ...(await storeSecrets(join(home, 'mcp.json'))),
        env.ALICE_CONNECTION!,
        env.ALICE_MACAROON!,
        aliceMacaroonHex,
      ]);
    } finally {
      await t.close();
    }
  });

  it('over Streamable HTTP, configured from the same environment', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-regtest-http-'));
    const cfg = await loadConfig({
      env: { ...SCENARIO_ENV, FAREBOX_HOME: home, FAREBOX_WALLET: env.ALICE_CONNECTION! },
    });
    const toolkit = toolkitFromConfig(cfg);
    const s = await serveMcpHttp({
      token: TOKEN,
      port: 0,
      createServer: () => createFareboxMcpServer(toolkit),
    });
    closers.push(s.close, () => toolkit.close());
    const t = await httpClient(s.url, TOKEN);
    try {
      await scenario(t, shop.base, { devWallet: false, network: 'regtest' });
      expectNoSecrets(t.outputs, [
        ...(await storeSecrets(join(home, 'mcp.json'))),
        env.ALICE_CONNECTION!,
        aliceMacaroonHex,
        TOKEN,
      ]);
    } finally {
      await t.close();
    }
  });
});
