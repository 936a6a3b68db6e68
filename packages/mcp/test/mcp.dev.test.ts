/**
 * The MCP server end to end on the dev node: the SDK's own client drives `farebox mcp` over
 * stdio (the built CLI as a child process) and the server over Streamable HTTP (in process),
 * against a farebox server on real HTTP.
 */
import { mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevNode, devNodeHandler } from '@farebox/lightning';
import { listen } from '@farebox/lightning/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFareboxMcpServer, FareboxToolkit, serveMcpHttp } from '../src/index.js';
import { httpClient, stdioClient } from './support/mcp-client.js';
import { expectNoSecrets, SCENARIO_ENV, scenario, storeSecrets } from './support/scenario.js';
import { type Shop, startShop } from './support/shop.js';

const TOKEN = 'test-bearer-token-0123456789';
const DEV_TOKEN = 'dev-node-token-abcdefgh';

describe('farebox mcp on the dev node', () => {
  const node = new DevNode({ production: false });
  const payer = new DevNode({ production: false });
  let shop: Shop;
  let walletUrl = '';
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    shop = await startShop({ lightning: node, devWallet: node });
    const w = await listen(devNodeHandler(payer, { token: DEV_TOKEN }));
    walletUrl = `dev+http://${new URL(w.url).host}?token=${DEV_TOKEN}`;
    closers.push(
      shop.close,
      w.close,
      () => payer.close(),
      () => node.close(),
    );
  });
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('over stdio (farebox mcp as a child process, wallet from FAREBOX_WALLET)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-stdio-'));
    const t = await stdioClient({ ...SCENARIO_ENV, FAREBOX_HOME: home, FAREBOX_WALLET: walletUrl });
    try {
      await scenario(t, shop.base, { devWallet: false, network: 'regtest' });
      const bal = await t.call('wallet_balance');
      expect(bal.data.backend).toBe('dev');
      expect(bal.data.supported).toBe(true);
      expect(typeof bal.data.balance_sats).toBe('number');
      expect(t.stderr()).toContain('farebox mcp: serving on stdio; wallet configured');
      expectNoSecrets(t.outputs, [...(await storeSecrets(join(home, 'mcp.json'))), walletUrl, DEV_TOKEN]);
      expect(t.stderr()).not.toContain(DEV_TOKEN);
    } finally {
      await t.close();
    }
  });

  describe('over Streamable HTTP (in process, bearer token)', () => {
    let url = '';
    let home = '';
    let toolkit: FareboxToolkit;

    beforeAll(async () => {
      home = await mkdtemp(join(tmpdir(), 'farebox-mcp-http-'));
      const { FileClientStore } = await import('@farebox/client/node');
      // No wallet: the shop's dev wallet pays (no real money), as it advertises.
      toolkit = new FareboxToolkit({
        budget: { totalSats: 40, perRequestSats: 100 },
        allowPrivateNetworks: true,
        store: new FileClientStore(join(home, 'mcp.json')),
        downloadDir: join(home, 'downloads'),
      });
      const s = await serveMcpHttp({
        token: TOKEN,
        port: 0,
        createServer: () => createFareboxMcpServer(toolkit),
      });
      url = s.url;
      closers.push(s.close, () => toolkit.close());
    });

    it('refuses a request without the bearer token', async () => {
      const init = {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{}',
      };
      expect((await fetch(url, init)).status).toBe(401);
      const wrong = await fetch(url, { ...init, headers: { ...init.headers, authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
      // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
      const rebound = await new Promise<number>((resolve, reject) => {
        const r = httpRequest(url, {
          method: 'POST',
          headers: { ...init.headers, authorization: `Bearer ${TOKEN}`, host: 'evil.example:80' },
        });
        r.once('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.once('error', reject);
        r.end(init.body);
      });
      expect(rebound).toBe(403);
    });

    it('walks the shop paying with the dev wallet the shop advertises', async () => {
      const t = await httpClient(url, TOKEN);
      try {
        await scenario(t, shop.base, { devWallet: true, network: 'regtest' });
        const bal = await t.call('wallet_balance');
        expect(bal.data).toMatchObject({ supported: false, backend: 'none', outcome: 'unsupported' });
        expectNoSecrets(t.outputs, [...(await storeSecrets(join(home, 'mcp.json'))), TOKEN]);
      } finally {
        await t.close();
      }
    });
  });
});
