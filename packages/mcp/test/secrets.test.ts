/**
 * Secrets never reach the agent, on the failure paths too: a wallet that cannot be reached
 * or refuses writes errors that may quote its own connection details.
 */
import { DevNode } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, toolkitFromConfig } from '../src/index.js';
import { type Shop, startShop } from './support/shop.js';

const MACAROON_HEX = `0201036c6e6402f801${'ab'.repeat(60)}`;
const DEV_TOKEN = 'super-secret-dev-token-42';

describe('secrets on failure paths', () => {
  const node = new DevNode({ production: false });
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop({ lightning: node });
  });
  afterAll(async () => {
    await shop.close();
    await node.close();
  });

  for (const wallet of [
    `dev+http://127.0.0.1:1?token=${DEV_TOKEN}`,
    `lnd+rest://127.0.0.1:1?macaroon=${MACAROON_HEX}`,
    `lnbits://127.0.0.1:1?key=${DEV_TOKEN}&tls=0`,
  ]) {
    it(`a failing ${wallet.split(':')[0]} wallet`, async () => {
      const cfg = await loadConfig({
        env: {
          FAREBOX_WALLET: wallet,
          FAREBOX_ALLOW_PRIVATE_NETWORKS: '1',
          FAREBOX_HOME: '/tmp/farebox-mcp-secrets',
        },
      });
      const toolkit = toolkitFromConfig(cfg);
      const paid = await toolkit.fetch({ url: `${shop.base}/joke` });
      expect(paid.outcome).toBe('error');
      expect(paid.paid).toEqual([]);
      const bal = await toolkit.balance();
      expect(bal.outcome).toBe('error');
      const all = JSON.stringify([paid, bal]);
      expect(all).not.toContain(DEV_TOKEN);
      expect(all).not.toContain(MACAROON_HEX);
      expect(all).not.toContain(wallet);
      await toolkit.close();
    });
  }
});
