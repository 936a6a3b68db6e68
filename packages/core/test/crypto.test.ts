import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, HmacKey, hmacSha256, sha256, toHex, utf8 } from '../src/index.js';

describe('sha256 (FIPS 180-4 vectors)', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
  ])('sha256(%j)', (msg, digest) => {
    expect(toHex(sha256(utf8(msg)))).toBe(digest);
  });

  it('one million "a"', () => {
    expect(toHex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('matches @noble/hashes on every length around block boundaries', () => {
    for (let len = 0; len < 300; len++) {
      const msg = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff);
      expect(toHex(sha256(msg))).toBe(toHex(nobleSha256(msg)));
    }
  });

  it('matches @noble/hashes on random inputs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (msg) => toHex(sha256(msg)) === toHex(nobleSha256(msg))),
      { numRuns: 2000 },
    );
  });
});

describe('HMAC-SHA256 (RFC 4231 vectors)', () => {
  it.each([
    [
      '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
      toHex(utf8('Hi There')),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      toHex(utf8('Jefe')),
      toHex(utf8('what do ya want for nothing?')),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      'aa'.repeat(131),
      toHex(utf8('Test Using Larger Than Block-Size Key - Hash Key First')),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
  ])('key %s', (key, msg, mac) => {
    expect(toHex(hmacSha256(fromHex(key), fromHex(msg)))).toBe(mac);
    expect(toHex(new HmacKey(fromHex(key)).mac(fromHex(msg)))).toBe(mac);
  });

  it('matches @noble/hashes on random keys and messages (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, msg) => {
        const expected = toHex(hmac(nobleSha256, key, msg));
        return toHex(hmacSha256(key, msg)) === expected && toHex(new HmacKey(key).mac(msg)) === expected;
      }),
      { numRuns: 1000 },
    );
  });

  it('writes into an output buffer that is also the key (in-place chaining)', () => {
    const key = new Uint8Array(32).fill(9);
    const expected = toHex(hmac(nobleSha256, key, utf8('caveat')));
    const buf = key.slice();
    hmacSha256(buf, utf8('caveat'), buf);
    expect(toHex(buf)).toBe(expected);
  });
});
