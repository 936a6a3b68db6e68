/**
 * A test harness small enough to run unchanged on every runtime (Node, Bun, Deno, workerd,
 * browsers): no `node:` import, no globals beyond ECMAScript, `Promise` and `Date`. The
 * conformance suites (`packages/*\/test/conformance.runtime.ts`) are written against it, and
 * each runtime's entry runs them and reports one JSON object.
 *
 * @module
 */

/** One test: throws (or rejects) to fail. */
export type TestFn = () => void | Promise<void>;

/** A named list of tests. */
export interface Suite {
  name: string;
  tests: { name: string; fn: TestFn }[];
}

/** What a suite definition receives. */
export type Define = (test: (name: string, fn: TestFn) => void) => void;

/**
 * Defines a suite.
 *
 * @example
 * ```ts
 * const s = suite('math', (test) => test('adds', () => equal(1 + 1, 2)));
 * ```
 */
export function suite(name: string, define: Define): Suite {
  const tests: Suite['tests'] = [];
  define((n, fn) => tests.push({ name: n, fn }));
  return { name, tests };
}

/** A failed assertion. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v, (_k, x) =>
      typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x,
    );
  } catch {
    return String(v);
  }
};

/** Thrown by {@link skip}. */
export class SkipError extends Error {
  override name = 'Skip';
}

/** Ends a test as skipped, saying why (e.g. a check a runtime cannot express). */
export function skip(reason: string): never {
  throw new SkipError(reason);
}

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(message);
}

/** Fails unless `actual` is `expected` (Object.is). */
export function equal<T>(actual: T, expected: T, message = ''): void {
  if (!Object.is(actual, expected))
    throw new AssertionError(
      `${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`,
    );
}

/** Fails unless both serialise to the same JSON (bigints and byte arrays included). */
export function deepEqual(actual: unknown, expected: unknown, message = ''): void {
  const a = show(actual);
  const e = show(expected);
  if (a !== e) throw new AssertionError(`${message ? `${message}: ` : ''}expected ${e}, got ${a}`);
}

function codeOf(e: unknown): string {
  return e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : `no code (${String(e)})`;
}

/** Fails unless `fn` throws an error whose `code` is `code`. */
export function throwsCode(fn: () => unknown, code: string, message = ''): void {
  try {
    fn();
  } catch (e) {
    equal(codeOf(e), code, message || 'error code');
    return;
  }
  throw new AssertionError(`${message ? `${message}: ` : ''}expected a ${code} error, nothing was thrown`);
}

/** Fails unless `p` rejects with an error whose `code` is `code`. */
export async function rejectsCode(p: Promise<unknown>, code: string, message = ''): Promise<void> {
  try {
    await p;
  } catch (e) {
    equal(codeOf(e), code, message || 'error code');
    return;
  }
  throw new AssertionError(`${message ? `${message}: ` : ''}expected a ${code} rejection, it resolved`);
}

/** One test's outcome. */
export interface Result {
  suite: string;
  test: string;
  ok: boolean;
  ms: number;
  error?: string;
  /** Why the test was skipped (then `ok` is true). */
  skipped?: string;
}

/** What a runtime reports. */
export interface Report {
  runtime: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  results: Result[];
}

/**
 * Runs suites one test at a time, each with a timeout.
 *
 * @example
 * ```ts
 * const report = await run([coreSuite], { runtime: 'node' });
 * ```
 */
export async function run(suites: Suite[], opts: { runtime: string; timeoutMs?: number }): Promise<Report> {
  const started = Date.now();
  const results: Result[] = [];
  for (const s of suites) {
    for (const t of s.tests) {
      const t0 = Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(t.fn),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new AssertionError(`timed out after ${opts.timeoutMs ?? 20_000} ms`)),
              opts.timeoutMs ?? 20_000,
            );
          }),
        ]);
        results.push({ suite: s.name, test: t.name, ok: true, ms: Date.now() - t0 });
      } catch (e) {
        if (e instanceof SkipError) {
          results.push({ suite: s.name, test: t.name, ok: true, ms: Date.now() - t0, skipped: e.message });
          continue;
        }
        const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        results.push({ suite: s.name, test: t.name, ok: false, ms: Date.now() - t0, error });
      } finally {
        clearTimeout(timer);
      }
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.skipped !== undefined).length;
  return {
    runtime: opts.runtime,
    passed: results.length - failed - skipped,
    failed,
    skipped,
    ms: Date.now() - started,
    results,
  };
}
