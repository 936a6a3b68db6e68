/**
 * The conformance suites every runtime runs, with the core's vectors bundled in.
 *
 * @module
 */
import { clientConformance } from '../packages/client/test/conformance.runtime.js';
import { type CoreVectors, coreConformance } from '../packages/core/test/conformance.runtime.js';
import bolt11 from '../packages/core/test/vectors/bolt11.json' with { type: 'json' };
import lndMacaroons from '../packages/core/test/vectors/lnd-macaroons.json' with { type: 'json' };
import macaroons from '../packages/core/test/vectors/macaroons.json' with { type: 'json' };
import { serverConformance } from '../packages/server/test/conformance.runtime.js';
import { type Report, run, type Suite } from './harness.js';

export type { Report, Result } from './harness.js';

const vectors = { bolt11, macaroons, lndMacaroons } as unknown as CoreVectors;

/** Which suites run where: all of them, plus any the runtime's entry adds. */
export function suites(): Suite[] {
  return [coreConformance(vectors), serverConformance(), clientConformance()];
}

/**
 * Runs every suite and reports.
 *
 * @example
 * ```ts
 * const report = await runAll('deno');
 * ```
 */
export function runAll(runtime: string, extra: Suite[] = []): Promise<Report> {
  return run([...suites(), ...extra], { runtime });
}

/** The line a runtime prints so the driver can find its report among other output. */
export const REPORT_MARK = 'FAREBOX_RUNTIME_REPORT ';
