/**
 * BOLT11 human-readable-part prefixes per network (BOLT #11 "Human-Readable Part": `ln` + the
 * BIP-0173 currency prefix).
 *
 * @module
 */
import { invalidInvoice } from './errors.js';
import type { Network } from './types.js';

/**
 * The invoice prefix of each network.
 *
 * @example
 * ```ts
 * import { NETWORK_PREFIX } from '@farebox/core/bolt11';
 * NETWORK_PREFIX.signet; // 'lntbs'
 * ```
 */
export const NETWORK_PREFIX: Readonly<Record<Network, string>> = Object.freeze({
  mainnet: 'lnbc',
  testnet: 'lntb',
  signet: 'lntbs',
  regtest: 'lnbcrt',
});

// Longest prefix first: `lntbs` also starts with `lntb` and `lnbcrt` with `lnbc`. The amount that
// follows a prefix starts with a digit, so the longest match is never a misread amount.
const BY_LENGTH: readonly (readonly [string, Network])[] = [
  ['lnbcrt', 'regtest'],
  ['lntbs', 'signet'],
  ['lnbc', 'mainnet'],
  ['lntb', 'testnet'],
];

/** Splits a lowercase human-readable part into its network and the (maybe empty) amount text. */
export function splitHrp(hrp: string): { network: Network; amount: string } {
  for (const [prefix, network] of BY_LENGTH) {
    if (hrp.startsWith(prefix)) return { network, amount: hrp.slice(prefix.length) };
  }
  return invalidInvoice(
    hrp.startsWith('ln') ? 'unknown network prefix' : 'human-readable part does not start with "ln"',
    { prefix: hrp.slice(0, 12) },
  );
}
