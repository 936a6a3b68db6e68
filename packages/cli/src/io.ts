/** What a command may touch: output streams and the environment, injected for tests. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  /** Reads standard input to the end (for `-` arguments). */
  stdin?: () => Promise<string>;
}

/** Exit codes shared by every command. */
export const Exit = {
  OK: 0,
  /** The command ran and failed (bad token, network error, …). */
  FAILED: 1,
  /** The command line was wrong. */
  USAGE: 2,
} as const;

/** Writes a value as pretty JSON followed by a newline. */
export function printJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

/** Resolves `-` to standard input. */
export async function readArg(io: Io, arg: string): Promise<string> {
  if (arg !== '-') return arg;
  if (!io.stdin) throw new Error('standard input is not available');
  return (await io.stdin()).trim();
}
