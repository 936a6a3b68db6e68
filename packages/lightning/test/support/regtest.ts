/**
 * The real regtest network (btcd + lnd alice/bob with a channel alice→bob, LNbits on bob)
 * for tests: brings it up through `scripts/regtest-lib` when it is not up, so the tests
 * work from a fresh machine (the first bring-up builds btcd and lnd: ~10 min on 2 cores).
 * `FAREBOX_REGTEST_DIR` / `FAREBOX_REGTEST_PORT_BASE` select another network, as for the script.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What `scripts/regtest env --json` prints. */
export interface RegtestEnv {
  ALICE_REST: string;
  ALICE_GRPC: string;
  ALICE_MACAROON: string;
  ALICE_INVOICE_MACAROON: string;
  ALICE_CERT: string;
  ALICE_PUBKEY: string;
  BOB_REST: string;
  BOB_GRPC: string;
  BOB_MACAROON: string;
  BOB_INVOICE_MACAROON: string;
  BOB_CERT: string;
  BOB_PUBKEY: string;
  FAREBOX_REGTEST_DIR: string;
  [key: string]: string;
}

interface RegtestLib {
  up(opts?: { log?: (msg: string) => void }): Promise<{ up: boolean; problems?: string[] }>;
  status(): Promise<{ up: boolean; problems?: string[] }>;
  env(): RegtestEnv;
  describeError(err: unknown): string;
}

/** Longest a first bring-up may take (building btcd and lnd from source). */
export const REGTEST_UP_TIMEOUT_MS = 20 * 60_000;

async function lib(): Promise<RegtestLib> {
  // A computed specifier: the script is plain JavaScript without type declarations.
  const url = new URL('../../../../scripts/regtest-lib/index.mjs', import.meta.url).href;
  return (await import(url)) as RegtestLib;
}

/**
 * The network's addresses and credential paths, bringing the network up if needed.
 *
 * @example
 * ```ts
 * const net = await regtest(); // net.ALICE_REST, net.BOB_MACAROON, …
 * ```
 */
export async function regtest(): Promise<RegtestEnv> {
  const r = await lib();
  const st = await r.status();
  if (!st.up) {
    try {
      await r.up({ log: (msg) => process.stderr.write(`[regtest] ${msg}\n`) });
    } catch (e) {
      throw new Error(r.describeError(e));
    }
  }
  return r.env();
}

/** A node's credentials as the adapters take them. */
export interface NodeFiles {
  rest: string;
  grpc: string;
  macaroon: Uint8Array;
  invoiceMacaroon: Uint8Array;
  cert: string;
  /** lnd's TLS key: lets a test serve a fake lnd that the real cert validates. */
  key: string;
}

/**
 * Reads alice's or bob's macaroons, certificate and TLS key.
 *
 * @example
 * ```ts
 * const bob = nodeFiles(await regtest(), 'BOB');
 * const lnd = new LndRest({ host: bob.rest, macaroon: bob.macaroon, cert: bob.cert });
 * ```
 */
export function nodeFiles(env: RegtestEnv, who: 'ALICE' | 'BOB'): NodeFiles {
  const cert = env[`${who}_CERT`]!;
  return {
    rest: env[`${who}_REST`]!.replace(/^https:\/\//, ''),
    grpc: env[`${who}_GRPC`]!,
    macaroon: new Uint8Array(readFileSync(env[`${who}_MACAROON`]!)),
    invoiceMacaroon: new Uint8Array(readFileSync(env[`${who}_INVOICE_MACAROON`]!)),
    cert: readFileSync(cert, 'utf8'),
    key: readFileSync(join(dirname(cert), 'tls.key'), 'utf8'),
  };
}
