// A deterministic, regtest-only wallet for alice, so that her first on-chain
// address is known before btcd starts (btcd has no `generatetoaddress`: its
// --miningaddr is fixed at start). BIP32 from node:crypto: private-key
// derivation needs only HMAC-SHA512, BigInt arithmetic mod n, and ECDH to get
// a public key from a private key. NEVER use these keys outside regtest.

import crypto from 'node:crypto';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const TPRV_VERSION = 0x04358394; // testnet/regtest extended private key
const HARDENED = 0x80000000;

const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const hash160 = (b) => crypto.createHash('ripemd160').update(sha256(b)).digest();
const hmac512 = (key, data) => crypto.createHmac('sha512', key).update(data).digest();

const toBig = (buf) => BigInt(`0x${buf.toString('hex')}`);
const to32 = (n) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
const ser32 = (i) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(i >>> 0);
  return b;
};

export function publicKey(priv) {
  const ecdh = crypto.createECDH('secp256k1');
  ecdh.setPrivateKey(priv);
  return ecdh.getPublicKey(null, 'compressed');
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58check(payload) {
  const data = Buffer.concat([payload, sha256(sha256(payload)).subarray(0, 4)]);
  let n = toBig(data);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of data) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

// BIP173 bech32 (witness version 0)
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function polymod(values) {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return chk >>> 0;
}
function convertBits(data, from, to) {
  let acc = 0;
  let bits = 0;
  const out = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & maxv);
    }
  }
  if (bits > 0) out.push((acc << (to - bits)) & maxv);
  return out;
}
export function segwitV0Address(hrp, program) {
  const data = [0, ...convertBits(program, 8, 5)];
  const hrpExpand = [...hrp].map((c) => c.charCodeAt(0) >> 5);
  hrpExpand.push(0, ...[...hrp].map((c) => c.charCodeAt(0) & 31));
  const mod = polymod([...hrpExpand, ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [];
  for (let i = 0; i < 6; i++) checksum.push((mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...data, ...checksum].map((d) => CHARSET[d]).join('')}`;
}

function master(seed) {
  const I = hmac512(Buffer.from('Bitcoin seed'), seed);
  return { key: I.subarray(0, 32), chain: I.subarray(32) };
}

function child({ key, chain }, index) {
  const data =
    index >= HARDENED
      ? Buffer.concat([Buffer.alloc(1), key, ser32(index)])
      : Buffer.concat([publicKey(key), ser32(index)]);
  const I = hmac512(chain, data);
  const il = toBig(I.subarray(0, 32));
  const k = (il + toBig(key)) % N;
  if (il >= N || k === 0n) throw new Error('invalid BIP32 child (astronomically unlikely); change the seed');
  return { key: to32(k), chain: I.subarray(32) };
}

/**
 * The regtest-only wallet of a node named `name`: its depth-0 tprv (for lnd's
 * `POST /v1/initwallet` `extended_master_key`) and its first BIP84 receive
 * address m/84'/0'/0'/0/0, which is what lnd's default p2wkh account hands out
 * first (lnd derives with coin type 0 on regtest too, as its
 * `GET /v2/wallet/addresses` shows).
 */
export function regtestWallet(name) {
  const seed = sha256(Buffer.from(`farebox regtest wallet: ${name}`));
  const m = master(seed);
  const tprv = base58check(
    Buffer.concat([
      ser32(TPRV_VERSION),
      Buffer.alloc(1), // depth
      Buffer.alloc(4), // parent fingerprint
      ser32(0), // child number
      m.chain,
      Buffer.alloc(1),
      m.key,
    ]),
  );
  const address = p2wpkhAddress(seed, [84 + HARDENED, 0 + HARDENED, 0 + HARDENED, 0, 0], 'bcrt');
  return { tprv, address };
}

/** P2WPKH address of the key at `path` (indices; hardened ones >= 2^31) below the BIP32 root of `seed`. */
export function p2wpkhAddress(seed, path, hrp) {
  let k = master(seed);
  for (const i of path) k = child(k, i);
  return segwitV0Address(hrp, hash160(publicKey(k.key)));
}
