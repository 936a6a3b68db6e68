// Getting a valid L402 token from a server the way a client does: read the challenge, pay
// the invoice, build `L402 <macaroon>:<preimage>`. Used to prime the load runs.

/** The first `macaroon="…"` and `invoice="…"` of a response's WWW-Authenticate header(s). */
export function readChallenge(res) {
  const www = res.headers.get('www-authenticate') ?? '';
  const mac = /macaroon="([^"]+)"/.exec(www)?.[1];
  const inv = /invoice="([^"]+)"/.exec(www)?.[1];
  if (!mac || !inv) throw new Error(`no L402 challenge (status ${res.status}, www-authenticate: ${www})`);
  return { macaroon: mac, invoice: inv };
}

/**
 * Asks `url` for a challenge, pays it with `pay(invoice) → preimage hex`, checks the token
 * is served, and returns the Authorization header value.
 */
export async function obtainToken(url, pay, { scheme = 'L402' } = {}) {
  const first = await fetch(url);
  await first.arrayBuffer();
  if (first.status !== 402) throw new Error(`expected 402 from ${url}, got ${first.status}`);
  const ch = readChallenge(first);
  const preimage = await pay(ch.invoice, first);
  const authorization = `${scheme} ${ch.macaroon}:${preimage}`;
  const ok = await fetch(url, { headers: { authorization } });
  const text = await ok.text();
  if (ok.status !== 200)
    throw new Error(`the paid token was refused by ${url}: ${ok.status} ${text.slice(0, 200)}`);
  return authorization;
}

/**
 * A payer for farebox servers running on the dev node: POSTs the invoice to the dev wallet
 * the 402 names in `x-farebox-dev-wallet` and returns the preimage.
 */
export function devWalletPayer(baseUrl) {
  return async (invoice, res) => {
    const wallet = res.headers.get('x-farebox-dev-wallet');
    if (!wallet) throw new Error('the farebox 402 has no x-farebox-dev-wallet header');
    const paid = await fetch(new URL(wallet, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invoice }),
    });
    const j = await paid.json();
    if (!j.preimage) throw new Error(`the dev wallet did not pay: ${JSON.stringify(j)}`);
    return j.preimage;
  };
}
