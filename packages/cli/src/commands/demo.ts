import {
  buildChallenges,
  buildCredential,
  decodeInvoice,
  encodeInvoice,
  Keyring,
  mintToken,
  parseChallenges,
  parseCredential,
  randomBytes,
  sha256,
  toHex,
  verifyToken,
} from '@farebox/core';
import { Exit, type Io, printJson } from '../io.js';

export const demoHelp = `Usage: farebox demo [--json]

Walks through one L402 payment in a single process, on the embedded dev
Lightning node (regtest invoices, no real money): the server mints a
challenge (macaroon + signed BOLT11 invoice), the client pays it and gets
the preimage, sends the credential, and the server verifies it offline.
Then a tampered token and a wrong preimage are refused.
`;

/** The demo's steps, as data (the text output and `--json` share them). */
export function runDemo(now = Math.floor(Date.now() / 1000)) {
  // Server side: a secret, and a dev node key that signs real regtest invoices.
  const keyring = Keyring.fromSecret(randomBytes(32), 'demo');
  const nodeKey = randomBytes(32);
  const preimage = randomBytes(32);
  const paymentHash = sha256(preimage);
  const invoice = encodeInvoice(
    {
      network: 'regtest',
      amountMsat: 21_000n,
      paymentHash,
      paymentSecret: randomBytes(32),
      description: 'farebox demo: GET /joke (dev node: no real money)',
      expirySeconds: 600,
      timestamp: now,
    },
    nodeKey,
  );
  const { macaroon, tokenId } = mintToken({
    keyring,
    paymentHash,
    caveats: ['services=jokes:0', `jokes_valid_until=${now + 3600}`, 'farebox_uses=1'],
  });
  const challenges = buildChallenges({ macaroon, invoice });

  // Client side: read the challenge, check the invoice, "pay" through the dev node.
  const challenge = parseChallenges(challenges)[0]!;
  const decoded = decodeInvoice(challenge.invoice);
  const paidPreimage = preimage; // the dev node settles its own invoice and reveals the preimage
  const authorization = buildCredential({ macaroon: challenge.macaroon, preimage: paidPreimage });

  // Server side again: verify with no database and no Lightning call.
  const cred = parseCredential(authorization);
  if (cred?.kind !== 'token') throw new Error('demo: credential did not parse');
  const verified = verifyToken({
    keyring,
    macaroon: cred.macaroons[0]!,
    preimage: cred.preimage,
    context: { service: 'jokes', now },
  });

  const refusals: { attempt: string; code: string }[] = [];
  const attempt = (name: string, fn: () => unknown) => {
    try {
      fn();
      refusals.push({ attempt: name, code: 'ACCEPTED' });
    } catch (e) {
      refusals.push({ attempt: name, code: (e as { code?: string }).code ?? String(e) });
    }
  };
  attempt('wrong preimage', () =>
    verifyToken({
      keyring,
      macaroon: cred.macaroons[0]!,
      preimage: randomBytes(32),
      context: { service: 'jokes', now },
    }),
  );
  attempt('token for another service', () =>
    verifyToken({
      keyring,
      macaroon: cred.macaroons[0]!,
      preimage: cred.preimage,
      context: { service: 'admin', now },
    }),
  );
  attempt('tampered signature', () =>
    verifyToken({
      keyring,
      macaroon: { ...cred.macaroons[0]!, signature: randomBytes(32) },
      preimage: cred.preimage,
      context: { service: 'jokes', now },
    }),
  );
  return {
    devNode: 'dev node: no real money',
    challenge: challenges,
    invoice: {
      network: decoded.network,
      amountMsat: decoded.amountMsat?.toString(),
      paymentHash: decoded.paymentHash,
      payee: decoded.payee,
      description: decoded.description,
    },
    preimage: toHex(paidPreimage),
    authorization,
    verified: { tokenId: verified.tokenId, paymentHash: verified.paymentHash, grant: verified.grant },
    tokenId: toHex(tokenId),
    refusals,
  };
}

export async function demo(_args: string[], flags: { json: boolean }, io: Io): Promise<number> {
  const r = runDemo();
  if (flags.json) {
    printJson(io, r);
    return Exit.OK;
  }
  const short = (s: string, n = 72) => (s.length > n ? `${s.slice(0, n)}…` : s);
  io.stdout(
    [
      'farebox demo — one L402 payment, start to finish',
      `⚠ ${r.devNode} (embedded regtest Lightning node)`,
      '',
      '1. The client calls GET /joke without paying. The server answers 402 with:',
      ...r.challenge.map((c) => `   WWW-Authenticate: ${short(c)}`),
      '',
      `2. The client decodes the invoice: ${r.invoice.amountMsat} msat on ${r.invoice.network}, payee ${short(r.invoice.payee, 20)}`,
      `   "${r.invoice.description}"`,
      `3. It pays through the dev node and receives the preimage ${short(r.preimage, 16)}`,
      '4. It retries the identical request with',
      `   Authorization: ${short(r.authorization)}`,
      `5. The server verifies it offline (HMAC chain, sha256(preimage) = payment hash, caveats): OK`,
      `   token ${short(r.verified.tokenId, 16)}, valid until ${new Date((r.verified.grant.validUntil ?? 0) * 1000).toISOString()}, uses allowed: ${r.verified.grant.maxUses}`,
      '',
      'And what an attacker tries is refused:',
      ...r.refusals.map((x) => `   ${x.attempt.padEnd(28)} → ${x.code}`),
      '',
      'Next: farebox token decode "<Authorization value>"   ·   farebox --help',
      '',
    ].join('\n'),
  );
  return Exit.OK;
}
