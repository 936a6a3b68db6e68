// Core hot paths on one core: credential verification (5 caveats), minting, BOLT11 decoding,
// each beside a baseline measured in the same run.
//   npm run bench -- core        (from the repo root; builds first)
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import * as core from '../packages/core/dist/index.js';
import { measure, report } from './lib.mjs';

const require = createRequire(import.meta.url);
const macaroonJs = await import('macaroon');
const bolt11 = require('bolt11');

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const results = [];
const now = Math.floor(Date.now() / 1000);

// --- verification of `Authorization: L402 <mac>:<preimage>` with 5 caveats ---
const keyring = core.Keyring.fromSecret(core.randomBytes(32), 'bench');
const preimage = core.randomBytes(32);
const caveats = [
  'services=music:0',
  'music_capabilities=generate',
  `music_valid_until=${now + 3600}`,
  'farebox_uses=1',
  `farebox_valid_until=${now + 3600}`,
];
const minted = core.mintToken({ keyring, paymentHash: core.sha256(preimage), caveats });
const header = core.buildCredential({ macaroon: minted.macaroon, preimage });
const ctx = { service: 'music', capability: 'generate', now };

const ours = measure(
  'farebox',
  () => {
    const cred = core.parseCredential(header);
    core.verifyToken({ keyring, macaroon: cred.macaroons[0], preimage: cred.preimage, context: { ...ctx } });
  },
  { seconds },
);

// Baseline: the `macaroon` package (go-macaroon's JS port) doing the same work: split the
// header, import the macaroon, verify the chain with a checker for each caveat, and check
// sha256(preimage) against the payment hash in the identifier.
const rootKey = keyring.rootKey(minted.tokenId);
const checker = (c) => {
  const eq = c.indexOf('=');
  const cond = c.slice(0, eq);
  const val = c.slice(eq + 1);
  if (cond === 'services') return val.split(',').some((s) => s.split(':')[0] === 'music') ? null : 'service';
  if (cond.endsWith('_capabilities')) return val.split(',').includes('generate') ? null : 'cap';
  if (cond.endsWith('_valid_until')) return now < Number(val) ? null : 'expired';
  if (cond === 'farebox_uses') return null;
  return 'unknown';
};
const baseline = measure(
  'macaroon pkg',
  () => {
    const rest = header.slice(5);
    const colon = rest.lastIndexOf(':');
    const m = macaroonJs.importMacaroon(rest.slice(0, colon));
    m.verify(rootKey, checker);
    const pre = Buffer.from(rest.slice(colon + 1), 'hex');
    const hash = createHash('sha256').update(pre).digest();
    if (!hash.equals(Buffer.from(m.identifier.subarray(2, 34)))) throw new Error('preimage');
  },
  { seconds },
);
results.push(report('verify credential (5 caveats)', ours, baseline));

// --- minting ---
const paymentHash = core.randomBytes(32);
const mintOurs = measure(
  'farebox',
  () => {
    const t = core.mintToken({ keyring, paymentHash, caveats });
    core.macaroonToBase64(t.macaroon);
  },
  { seconds },
);
const mintBase = measure(
  'macaroon pkg',
  () => {
    const id = new Uint8Array(66);
    id.set(paymentHash, 2);
    id.set(core.randomBytes(32), 34);
    const m = macaroonJs.newMacaroon({ identifier: id, location: 'farebox', rootKey, version: 2 });
    for (const c of caveats) m.addFirstPartyCaveat(c);
    JSON.stringify(m.exportJSON()); // exportBinary() of the package is broken from 2 caveats on
  },
  { seconds },
);
results.push(report('mint token (5 caveats) + encode', mintOurs, mintBase));

// --- BOLT11 decode with signature check ---
if (typeof core.decodeInvoice === 'function') {
  const key = core.randomBytes(32);
  const invoice = core.encodeInvoice(
    {
      network: 'regtest',
      amountMsat: 21_000n,
      paymentHash: core.randomBytes(32),
      paymentSecret: core.randomBytes(32),
      description: 'farebox bench',
      expirySeconds: 600,
    },
    key,
  );
  const decOurs = measure('farebox', () => core.decodeInvoice(invoice), { seconds });
  const decBase = measure('bolt11 pkg', () => bolt11.decode(invoice), { seconds });
  results.push(report('decode BOLT11 (signature + payee recovery)', decOurs, decBase));
}

console.log(JSON.stringify({ bench: 'core', node: process.version, results }));
