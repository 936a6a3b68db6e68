/**
 * Reading a request body with a size cap (the paywall and apps built on it share this).
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';

/**
 * Reads a body stream to the end, failing with L402_TOO_LARGE as soon as it passes `max` bytes.
 *
 * @example
 * ```ts
 * import { readLimited } from '@farebox/server';
 * const bytes = request.body ? await readLimited(request.body, 1 << 20) : new Uint8Array(0);
 * ```
 */
export async function readLimited(
  stream: ReadableStream<Uint8Array>,
  max: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new FareboxError(ErrorCodes.TOO_LARGE, `request body larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
