export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

export async function main(_argv: string[], io: Io): Promise<number> {
  io.stdout('farebox\n');
  return 0;
}
