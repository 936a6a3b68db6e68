/**
 * Approval mode, budget changes from the agent side and the SSRF guard, through the MCP
 * server: payments above the threshold are put to the user by elicitation when the client
 * supports it (over Streamable HTTP's stateful sessions, and over stdio), and answered with
 * what needs approving (nothing paid) when it does not.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevNode } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFareboxMcpServer,
  FareboxToolkit,
  type FareboxToolkitOptions,
  serveMcpHttp,
} from '../src/index.js';
import { httpClient, stdioClient, type TestClient } from './support/mcp-client.js';
import { type Shop, startShop } from './support/shop.js';

const TOKEN = 'approval-test-token-0123456789';

describe('farebox mcp: approval, budget lowering, SSRF refusal', () => {
  const node = new DevNode({ production: false });
  let shop: Shop;
  const closers: (() => Promise<void>)[] = [];

  /** An MCP server over HTTP with its own toolkit. */
  async function server(o: FareboxToolkitOptions): Promise<string> {
    const toolkit = new FareboxToolkit(o);
    const s = await serveMcpHttp({
      token: TOKEN,
      port: 0,
      createServer: () => createFareboxMcpServer(toolkit),
    });
    closers.push(s.close, () => toolkit.close());
    return s.url;
  }

  beforeAll(async () => {
    shop = await startShop({ lightning: node, devWallet: node });
    closers.push(shop.close, () => node.close());
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  describe('approval above 10 sats', () => {
    let url = '';
    const clients: TestClient[] = [];
    beforeAll(async () => {
      url = await server({ approveAboveSats: 10, allowPrivateNetworks: true });
    });
    afterAll(async () => {
      for (const c of clients) await c.close();
    });

    it('a client with elicitation: the user says yes, the payment is made', async () => {
      const t = await httpClient(url, TOKEN, { elicitation: true });
      clients.push(t);
      const q = await t.call('l402_quote', { url: `${shop.base}/joke` });
      expect(q.data.needs_approval).toBe(true);
      t.answer = 'accept';
      const r = await t.call('l402_fetch', { url: `${shop.base}/joke` });
      expect(r.data.outcome).toBe('ok');
      expect(r.data.paid[0].sats).toBe(21);
      expect(t.elicitations).toHaveLength(1);
      expect(t.elicitations[0]).toMatch(
        /^Pay 21 sats \(regtest\) to 127\.0\.0\.1:\d+ for GET \/joke\? The invoice says: “a joke”/,
      );
      // under the threshold: no question asked
      const small = await t.call('l402_fetch', { url: `${shop.base}/weather` });
      expect(small.data.paid[0].sats).toBe(5);
      expect(t.elicitations).toHaveLength(1);
    });

    it('the user says no (decline, cancel, or approve: false): nothing is paid', async () => {
      const t = await httpClient(url, TOKEN, { elicitation: true });
      clients.push(t);
      const before = (await t.call('l402_receipts')).data.count;
      for (const answer of ['decline', 'cancel', 'accept-no'] as const) {
        t.answer = answer;
        const r = await t.call('l402_fetch', { url: `${shop.base}/joke` });
        expect(r.isError).toBe(false);
        expect(r.data.outcome).toBe('declined');
        expect(r.data.paid).toEqual([]);
        expect(r.data.approval).toMatchObject({ amount_sats: 21, method: 'GET', description: 'a joke' });
        expect(r.data.message).toMatch(/the user declined paying 21 sats/);
      }
      expect((await t.call('l402_receipts')).data.count).toBe(before);
      expect(t.elicitations).toHaveLength(3);
    });

    it('a client without elicitation gets what needs approving, and nothing is paid', async () => {
      const t = await httpClient(url, TOKEN, { elicitation: false });
      clients.push(t);
      const before = (await t.call('l402_receipts')).data.count;
      const r = await t.call('l402_fetch', { url: `${shop.base}/joke` });
      expect(r.isError).toBe(false);
      expect(r.data.outcome).toBe('approval_required');
      expect(r.data.paid).toEqual([]);
      expect(r.data.approval).toMatchObject({
        amount_sats: 21,
        network: 'regtest',
        url: `${shop.base}/joke`,
      });
      expect(r.data.approval.payment_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.data.message).toMatch(/above the approval threshold \(10 sats\).*cannot ask the user/);
      expect((await t.call('l402_receipts')).data.count).toBe(before);
    });

    it('over stdio too (FAREBOX_APPROVE_ABOVE_SATS)', async () => {
      const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-approve-'));
      const t = await stdioClient(
        { FAREBOX_HOME: home, FAREBOX_APPROVE_ABOVE_SATS: '10', FAREBOX_ALLOW_PRIVATE_NETWORKS: 'true' },
        { elicitation: true },
      );
      clients.push(t);
      t.answer = 'accept';
      const r = await t.call('l402_fetch', { url: `${shop.base}/joke` });
      expect(r.data.paid[0].sats).toBe(21);
      expect(r.data.dev_wallet).toBe('dev wallet: no real money');
      expect(t.elicitations).toHaveLength(1);
      t.answer = 'decline';
      expect((await t.call('l402_fetch', { url: `${shop.base}/joke` })).data.outcome).toBe('declined');
    });
  });

  describe('budget from the agent side', () => {
    it('cannot change it unless the operator allowed it', async () => {
      const t = await httpClient(
        await server({ allowPrivateNetworks: true, budget: { perDaySats: 1000 } }),
        TOKEN,
      );
      const r = await t.call('l402_budget', { lower_to: { per_day_sats: 5 } });
      expect(r.isError).toBe(true);
      expect(r.data.outcome).toBe('refused');
      expect(r.data.message).toMatch(/did not allow the agent to change the budget/);
      expect(r.data.limits.per_day_sats).toBe(1000);
      expect(r.data.agent_may_lower).toBe(false);
      await t.close();
    });

    it('may lower, never raise, when allowed; the lowered limit is enforced', async () => {
      const t = await httpClient(
        await server({
          allowPrivateNetworks: true,
          allowAgentLowerBudget: true,
          budget: { perDaySats: 1000, perRequestSats: 100 },
          approveAboveSats: 500,
        }),
        TOKEN,
      );
      const lowered = await t.call('l402_budget', {
        lower_to: { per_day_sats: 20, approve_above_sats: 50, total_sats: 300 },
      });
      expect(lowered.data.outcome).toBe('ok');
      expect(lowered.data.changed.sort()).toEqual(['approve_above_sats', 'per_day_sats', 'total_sats']);
      expect(lowered.data.limits).toMatchObject({
        per_day_sats: 20,
        approve_above_sats: 50,
        total_sats: 300,
      });
      const raise = await t.call('l402_budget', { lower_to: { per_day_sats: 5000, per_call_sats: 10 } });
      expect(raise.data.outcome).toBe('refused');
      expect(raise.data.rejected).toEqual([
        { field: 'per_day_sats', reason: '5000 is above the current 20: limits can only be lowered' },
      ]);
      expect(raise.data.changed).toEqual(['per_call_sats']);
      expect(raise.data.limits.per_day_sats).toBe(20);
      const f = await t.call('l402_fetch', { url: `${shop.base}/joke` });
      expect(f.data.outcome).toBe('refused');
      expect(f.data.message).toMatch(/per-request budget of 10 sats|per-day budget of 20 sats/);
      await t.close();
    });
  });

  describe('SSRF guard', () => {
    it('refuses loopback and private addresses unless allowed, with a clear message', async () => {
      const t = await httpClient(await server({}), TOKEN);
      for (const [tool, args] of [
        ['l402_fetch', { url: `${shop.base}/joke` }],
        ['l402_quote', { url: `${shop.base}/joke` }],
        ['l402_discover', { url_or_domain: shop.base }],
        ['l402_fetch', { url: 'http://localhost:9/' }],
        ['l402_fetch', { url: 'http://10.0.0.1/' }],
        ['l402_fetch', { url: 'http://[::ffff:127.0.0.1]:9/' }],
      ] as const) {
        const r = await t.call(tool, args);
        expect(r.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
        expect(r.data.outcome).toBe('refused');
        expect(r.data.error.code).toBe('HOST_NOT_ALLOWED');
        expect(r.data.message).toMatch(
          /resolves to a (loopback|private) address.*FAREBOX_ALLOW_PRIVATE_NETWORKS/,
        );
      }
      expect((await t.call('l402_receipts')).data.count).toBe(0);
      await t.close();
    });

    it('allows the operator-allowed address, never cloud metadata', async () => {
      const t = await httpClient(await server({ allowAddresses: ['127.0.0.1'] }), TOKEN);
      const ok = await t.call('l402_fetch', { url: `${shop.base}/free` });
      expect(ok.data).toMatchObject({ outcome: 'ok', status: 200, paid: [] });
      const other = await t.call('l402_fetch', { url: 'http://127.0.0.2:9/' });
      expect(other.data.error.code).toBe('HOST_NOT_ALLOWED');
      await t.close();
      const open = await httpClient(await server({ allowPrivateNetworks: true }), TOKEN);
      const meta = await open.call('l402_fetch', { url: 'http://169.254.169.254/latest/meta-data/' });
      expect(meta.data.error.code).toBe('HOST_NOT_ALLOWED');
      expect(meta.data.message).toMatch(/metadata address/);
      const scheme = await open.call('l402_fetch', { url: 'file:///etc/passwd' });
      expect(scheme.data.outcome).toBe('error');
      expect(scheme.data.message).toMatch(/http or https/);
      await open.close();
    });
  });
});
