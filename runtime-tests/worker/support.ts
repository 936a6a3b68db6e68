/**
 * What the Worker's end-to-end tests share: the regtest network (brought up when needed),
 * alice's lnd, a loopback Nostr relay with a NIP-47 wallet service on alice, and the Worker
 * template running in workerd with the LNbits invoice key.
 */
import { NwcBackend } from '@farebox/lightning';
import WebSocket from 'ws';
import { type LndRestMini, lnbitsOf, lndOf } from '../../packages/lightning/test/support/lnd-rest-mini.js';
import { TestNwcWallet } from '../../packages/lightning/test/support/nwc-wallet.js';
import { type RegtestEnv, regtest } from '../../packages/lightning/test/support/regtest.js';
import { startRelay, type TestRelay } from '../../packages/lightning/test/support/relay.js';
import { type RunningWorker, startWorker } from '../../templates/cloudflare-worker/test/support/worker.js';

export { REGTEST_UP_TIMEOUT_MS } from '../../packages/lightning/test/support/regtest.js';

export const SECRET = crypto
  .getRandomValues(new Uint8Array(32))
  .reduce((s, b) => s + b.toString(16).padStart(2, '0'), '');

export interface Network {
  env: RegtestEnv;
  alice: LndRestMini;
  lnbits: { url: string; invoiceKey: string; adminKey: string };
  relay: TestRelay;
  wallet: TestNwcWallet;
  /** A new NWC client of alice's wallet service (close it). */
  nwc(): NwcBackend;
  close(): Promise<void>;
}

/** The network, the relay and alice's NWC wallet service. */
export async function network(): Promise<Network> {
  const env = await regtest();
  const alice = lndOf(env, 'alice');
  const relay = await startRelay();
  const wallet = await new TestNwcWallet({ relayUrl: relay.url, lnd: alice }).start();
  const clients: NwcBackend[] = [];
  return {
    env,
    alice,
    lnbits: lnbitsOf(env),
    relay,
    wallet,
    nwc() {
      const c = new NwcBackend({ uri: wallet.uri(), WebSocket, timeoutMs: 60_000 });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await wallet.stop();
      await relay.stop();
    },
  };
}

/** The template in workerd, selling through the regtest LNbits with its invoice key. */
export function worker(
  net: Network,
  extra: Record<string, string> = {},
  isolates = 1,
): Promise<RunningWorker> {
  return startWorker({
    bindings: {
      LNBITS_URL: net.lnbits.url,
      LNBITS_KEY: net.lnbits.invoiceKey,
      FAREBOX_SECRET: SECRET,
      ...extra,
    },
    isolates,
  });
}
