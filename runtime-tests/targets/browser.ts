/**
 * The entry for Chromium: the suites every runtime runs, plus the client over real HTTP to
 * another origin (a paywall served by Node, `?api=<origin>`): the CORS preflight for the
 * `Authorization` header, `WWW-Authenticate` readable from a 402, and a payment through the
 * server's dev wallet endpoint. The report is left in `globalThis.__fareboxReport`.
 *
 * @module
 */
import { DevPayWallet, L402Client, readChallenge } from '../../packages/client/src/index.js';
import { assert, equal, suite } from '../harness.js';
import { runAll } from '../suites.js';

const api = new URL(location.href).searchParams.get('api') ?? '';

const crossOrigin = suite('browser: client over HTTP, cross-origin', (test) => {
  const post = (prompt: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });

  test('a 402 from another origin: WWW-Authenticate is readable (exposed by CORS)', async () => {
    assert(new URL(api).origin !== location.origin, 'the API is on another origin');
    const res = await fetch(`${api}/answer`, post('hi'));
    equal(res.status, 402);
    assert((res.headers.get('www-authenticate') ?? '').startsWith('L402 macaroon="'), 'header readable');
    const ch = await readChallenge(res);
    equal(ch?.kind, 'token');
  });

  test('the client pays and its credential passes the preflight', async () => {
    const client = new L402Client({ wallet: new DevPayWallet(`${api}/.well-known/l402/dev-pay`) });
    const res = await client.fetch(`${api}/answer`, post('from the browser'));
    equal(res.status, 200);
    equal(((await res.json()) as { prompt: string }).prompt, 'from the browser');
    equal((await client.receipts()).count, 1);
  });
});

const g = globalThis as { __fareboxReport?: unknown; __fareboxError?: string };
runAll(`chromium ${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent}`, [
  crossOrigin,
]).then(
  (r) => {
    g.__fareboxReport = r;
  },
  (e: unknown) => {
    g.__fareboxError = String(e);
  },
);
