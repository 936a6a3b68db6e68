// The real regtest network (btcd + lnd alice/bob + LNbits, see docs/regtest.md) for the
// benchmarks that need Lightning nodes: reused when up, brought up otherwise.
import { env, status, up } from '../../scripts/regtest-lib/index.mjs';

/**
 * Makes sure the network is up and returns its environment (ALICE_REST, BOB_GRPC, …).
 * `BENCH_REGTEST=0` skips it: the callers then leave the real-node rows out.
 */
export async function regtestEnv({ lnbits = true } = {}) {
  if (process.env.BENCH_REGTEST === '0') return undefined;
  let st = await status();
  const missingLnbits = lnbits && !st.lnbits;
  if (!st.up || missingLnbits) {
    console.error('bench: bringing the regtest network up (scripts/regtest up) …');
    st = await up(lnbits ? {} : { lnbits: false });
    if (!st.up) throw new Error(`regtest network did not come up: ${(st.problems ?? []).join('; ')}`);
  }
  return env();
}
