import { DevNode } from '@farebox/lightning';
import { describe, expect, it } from 'vitest';
import { ipBucket, Paywall } from '../src/index.js';

describe('ipBucket: the client network an address counts as', () => {
  it.each([
    ['203.0.113.77', undefined, 'v4:203.0.113.0/24'],
    ['203.0.113.77', { ipv4: 32 }, 'v4:203.0.113.77/32'],
    ['203.0.113.77', { ipv4: 16 }, 'v4:203.0.0.0/16'],
    ['203.0.113.77', { ipv4: 20 }, 'v4:203.0.112.0/20'],
    ['203.0.113.77', { ipv4: 0 }, 'v4:0.0.0.0/0'],
    ['::ffff:203.0.113.77', undefined, 'v4:203.0.113.0/24'],
    ['2001:db8:abcd:12:1::7', undefined, 'v6:2001:db8:abcd:0:0:0:0:0/48'],
    ['2001:db8:abcd:12:1::7', { ipv6: 64 }, 'v6:2001:db8:abcd:12:0:0:0:0/64'],
    ['2001:0db8:abcd:0012:0001:0000:0000:0007', { ipv6: 128 }, 'v6:2001:db8:abcd:12:1:0:0:7/128'],
    ['[2001:db8::1]', { ipv6: 56 }, 'v6:2001:db8:0:0:0:0:0:0/56'],
    [undefined, undefined, 'unknown'],
  ] as const)('%s with %o → %s', (ip, prefixes, bucket) => {
    expect(ipBucket(ip, prefixes)).toBe(bucket);
  });

  it('the same network, written two ways, is one bucket', () => {
    expect(ipBucket('2001:db8:abcd::1')).toBe(ipBucket('2001:0DB8:ABCD:0000:ffff::2'));
  });

  it('Paywall refuses ipBuckets out of range', () => {
    const lightning = new DevNode({ production: false });
    for (const ipBuckets of [{ ipv4: 33 }, { ipv6: -1 }, { ipv4: 1.5 }]) {
      expect(
        () => new Paywall({ secret: new Uint8Array(32).fill(1), lightning, routes: [], ipBuckets }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
