import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  buildChallenges,
  buildCredential,
  encodeInvoice,
  Keyring,
  macaroonToBase64,
  mintToken,
  randomBytes,
  sha256,
  toHex,
} from '../../core/src/index.js';
import { main } from '../src/main.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/farebox.js', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
  return { code, out, err };
}

const keyring = Keyring.fromSecret(randomBytes(32));
const preimage = randomBytes(32);
const t = mintToken({
  keyring,
  paymentHash: sha256(preimage),
  caveats: ['services=music:0', 'music_valid_until=2000000000'],
});
const nodeKey = randomBytes(32);
const invoice = encodeInvoice(
  {
    network: 'regtest',
    amountMsat: 21_000n,
    paymentHash: sha256(preimage),
    paymentSecret: randomBytes(32),
    description: 'song',
    expirySeconds: 600,
  },
  nodeKey,
);

describe('farebox token decode', () => {
  it('decodes a bare macaroon (text)', async () => {
    const r = await cli(['token', 'decode', macaroonToBase64(t.macaroon)]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`payment hash:  ${toHex(sha256(preimage))}`);
    expect(r.out).toContain(`token id:      ${toHex(t.tokenId)}`);
    expect(r.out).toContain('services=music:0');
    expect(r.out).toContain('music_valid_until=2000000000');
  });

  it('decodes an Authorization value and checks the preimage (--json)', async () => {
    const r = await cli(['token', 'decode', buildCredential({ macaroon: t.macaroon, preimage }), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.identifier).toEqual({
      version: 0,
      paymentHash: toHex(sha256(preimage)),
      tokenId: toHex(t.tokenId),
    });
    expect(j.preimageMatches).toBe(true);
    expect(j.location).toBe('farebox');
    const wrong = await cli([
      'token',
      'decode',
      buildCredential({ macaroon: t.macaroon, preimage: randomBytes(32) }),
      '--json',
    ]);
    expect(JSON.parse(wrong.out).preimageMatches).toBe(false);
  });

  it('decodes a WWW-Authenticate challenge (both schemes)', async () => {
    const r = await cli([
      'token',
      'decode',
      buildChallenges({ macaroon: t.macaroon, invoice }).join(', '),
      '--json',
    ]);
    const j = JSON.parse(r.out);
    expect(j).toHaveLength(2);
    expect(j.map((x: { scheme: string }) => x.scheme)).toEqual(['L402', 'LSAT']);
    expect(j[0].invoice).toBe(invoice);
  });

  it('bad input: exit 1 with the error code, no stack trace', async () => {
    const r = await cli(['token', 'decode', 'L402 garbage:1234', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toMatch(/^L402_/);
    expect(r.err).not.toContain('    at ');
  });

  it('missing argument: usage, exit 2', async () => {
    const r = await cli(['token', 'decode']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: farebox token decode');
  });
});

describe('farebox invoice decode', () => {
  it('prints amount, hash, network, payee, description', async () => {
    const r = await cli(['invoice', 'decode', invoice, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      network: 'regtest',
      amountMsat: '21000',
      amountSat: 21,
      paymentHash: toHex(sha256(preimage)),
      description: 'song',
      expirySeconds: 600,
      expired: false,
    });
    expect(j.payee).toMatch(/^0[23][0-9a-f]{64}$/);
    const text = await cli(['invoice', 'decode', invoice]);
    expect(text.out).toContain('21000 msat (21 sat)');
  });

  it('a corrupted invoice is refused with BOLT11_INVALID', async () => {
    const bad = `${invoice.slice(0, 30)}${invoice[30] === 'q' ? 'p' : 'q'}${invoice.slice(31)}`;
    const r = await cli(['invoice', 'decode', bad, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('BOLT11_INVALID');
  });
});

describe('farebox (the installed binary)', () => {
  it('--help lists the commands', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toContain('token decode');
    expect(stdout).toContain('invoice decode');
  });

  it('demo runs end to end and says it is the dev node', async () => {
    const { stdout } = await run(process.execPath, [bin, 'demo', '--json']);
    const j = JSON.parse(stdout);
    expect(j.devNode).toBe('dev node: no real money');
    expect(j.invoice.network).toBe('regtest');
    expect(j.verified.tokenId).toBe(j.tokenId);
    expect(j.refusals.map((r: { code: string }) => r.code)).toEqual([
      'L402_WRONG_PREIMAGE',
      'L402_WRONG_SERVICE',
      'L402_BAD_SIGNATURE',
    ]);
  });

  it('reads the token from standard input with -', async () => {
    const child = execFile(process.execPath, [bin, 'token', 'decode', '-', '--json']);
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stdin?.end(macaroonToBase64(t.macaroon));
    await new Promise((r) => child.on('close', r));
    expect(JSON.parse(out).identifier.tokenId).toBe(toHex(t.tokenId));
  });

  it('unknown command: exit 2', async () => {
    await expect(run(process.execPath, [bin, 'nope'])).rejects.toMatchObject({ code: 2 });
  });
});
