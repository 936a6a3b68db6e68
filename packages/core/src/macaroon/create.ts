/**
 * Creating and attenuating macaroons.
 *
 * @module
 */
import { utf8 } from '../bytes.js';
import { invalidArgument } from '../errors.js';
import { chainCaveat, computeSignature } from './chain.js';
import type { Macaroon, MacaroonCaveat } from './types.js';

/** Options for {@link createMacaroon}. */
export interface CreateMacaroonOptions {
  /** The secret root key (any length; 32 random bytes is usual). */
  rootKey: Uint8Array;
  /** The public identifier (for L402: the 66-byte identifier). */
  identifier: Uint8Array;
  /** A location hint (not signed). */
  location?: string;
  /** First-party caveats to add, as `condition=value` strings or bytes. */
  caveats?: readonly (string | Uint8Array)[];
}

/**
 * Mints a macaroon, byte-compatible with gopkg.in/macaroon.v2.
 *
 * @example
 * ```ts
 * import { createMacaroon, randomBytes, utf8 } from '@farebox/core';
 * const m = createMacaroon({ rootKey: randomBytes(32), identifier: utf8('id'), caveats: ['services=api:0'] });
 * ```
 */
export function createMacaroon(opts: CreateMacaroonOptions): Macaroon {
  if (!(opts.rootKey instanceof Uint8Array)) invalidArgument('rootKey', 'a Uint8Array');
  if (!(opts.identifier instanceof Uint8Array)) invalidArgument('identifier', 'a Uint8Array');
  const caveats: MacaroonCaveat[] = (opts.caveats ?? []).map((c) => ({
    id: typeof c === 'string' ? utf8(c) : c,
  }));
  return {
    location: opts.location ?? '',
    identifier: opts.identifier,
    caveats,
    signature: computeSignature(opts.rootKey, opts.identifier, caveats),
  };
}

/**
 * Returns a new macaroon with first-party caveats appended. Needs no key: anyone holding
 * a macaroon can attenuate it (add restrictions), no one can remove them.
 *
 * @example
 * ```ts
 * import { addCaveats, createMacaroon, randomBytes, utf8 } from '@farebox/core';
 * const m = createMacaroon({ rootKey: randomBytes(32), identifier: utf8('id') });
 * const narrower = addCaveats(m, ['api_valid_until=1700000000']);
 * ```
 */
export function addCaveats(m: Macaroon, caveats: readonly (string | Uint8Array)[]): Macaroon {
  const sig = m.signature.slice();
  const added: MacaroonCaveat[] = [];
  for (const c of caveats) {
    const cav = { id: typeof c === 'string' ? utf8(c) : c };
    chainCaveat(sig, cav);
    added.push(cav);
  }
  return {
    location: m.location,
    identifier: m.identifier,
    caveats: [...m.caveats, ...added],
    signature: sig,
  };
}
