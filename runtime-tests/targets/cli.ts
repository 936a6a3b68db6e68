/**
 * The entry for runtimes with a command line (Node, Bun, Deno): runs the suites and prints
 * one report line. It reads nothing from the environment and needs no permission (Deno runs
 * it with none).
 *
 * @module
 */
import { REPORT_MARK, runAll } from '../suites.js';

const g = globalThis as {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
  process?: { version: string };
};
const runtime = g.Deno
  ? `deno ${g.Deno.version.deno}`
  : g.Bun
    ? `bun ${g.Bun.version}`
    : `node ${g.process?.version ?? '?'}`;

const report = await runAll(runtime);
console.log(`${REPORT_MARK}${JSON.stringify(report)}`);
