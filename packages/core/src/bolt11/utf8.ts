/**
 * Strict UTF-8 decoding for the `d` field that keeps a leading U+FEFF: the shared `fromUtf8`
 * helper strips a byte-order mark (TextDecoder's default), which would change the description.
 *
 * @module
 */

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, or returns `undefined` when the bytes are not valid UTF-8. */
export function utf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
