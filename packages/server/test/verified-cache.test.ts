import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import { afterAll, describe, expect, it } from 'vitest';
import { Paywall } from '../src/index.js';

// The engine keeps credentials that verified (a repeated pass token skips the HMAC chain):
// expiry, revocation, another service and a tampered token must still be refused.
describe('Paywall: verified-credential cache', () => {
  const node = new DevNode({ production: false });
  afterAll(() => node.close());
  let t = Date.UTC(2026, 0, 1);
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(5),
    lightning: node,
    now: () => t,
    routes: [
      { method: 'GET', path: '/a', service: 'alpha', price: 1, policy: { type: 'pass', validSeconds: 60 } },
      { method: 'GET', path: '/b', service: 'beta', price: 1, policy: { type: 'pass', validSeconds: 60 } },
    ],
  });
  const ok = async () => new Response('ok');
  const get = (path: string, authorization?: string) =>
    paywall.handle(
      new Request(`http://localhost${path}`, authorization ? { headers: { authorization } } : {}),
      ok,
    );
  const codeOf = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;
  const buy = async (path: string) => {
    const [c] = parseChallenges((await get(path)).headers.get('www-authenticate') ?? '');
    const paid = await node.payInvoice(c!.invoice);
    return buildCredential({ macaroon: c!.macaroon, preimage: paid.preimage });
  };

  it('a cached pass still expires at its valid_until', async () => {
    const auth = await buy('/a');
    expect((await get('/a', auth)).status).toBe(200);
    expect((await get('/a', auth)).status).toBe(200);
    t += 59_000;
    expect((await get('/a', auth)).status).toBe(200);
    t += 1_000;
    const r = await get('/a', auth);
    expect(r.status).toBe(401);
    expect(await codeOf(r)).toBe('L402_EXPIRED');
  });

  it('a cached pass is refused once revoked, and on another service', async () => {
    const auth = await buy('/a');
    expect((await get('/a', auth)).status).toBe(200);
    const other = await get('/b', auth);
    expect(other.status).toBe(401);
    expect(await codeOf(other)).toBe('L402_WRONG_SERVICE');
    const tokenId = (await paywall.decide(
      new Request('http://localhost/a', { headers: { authorization: auth } }),
    )) as { type: string; token?: { tokenId: string } };
    await paywall.revoke(tokenId.token!.tokenId, 3600);
    const r = await get('/a', auth);
    expect(r.status).toBe(401);
    expect(await codeOf(r)).toBe('L402_REVOKED');
  });

  it('a tampered credential next to a cached one is verified, and refused', async () => {
    const auth = await buy('/a');
    expect((await get('/a', auth)).status).toBe(200);
    const [scheme, rest] = auth.split(' ');
    const [mac, pre] = rest!.split(':');
    const flipped = `${pre!.slice(0, -1)}${pre!.endsWith('0') ? '1' : '0'}`;
    const r = await get('/a', `${scheme} ${mac}:${flipped}`);
    expect(r.status).toBe(401);
  });
});
