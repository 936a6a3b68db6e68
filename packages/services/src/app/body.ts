/**
 * Reading a request body once, with a size cap, so that the paywall and the job book see the
 * same bytes.
 *
 * @module
 */
import { ErrorCodes, FareboxError, fromUtf8 } from '@farebox/core';
import { readLimited } from '@farebox/server';

/** Reads at most `max` bytes; throws L402_TOO_LARGE past that. */
export async function readBody(req: Request, max: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > max) throw new FareboxError(ErrorCodes.TOO_LARGE, `request body larger than ${max} bytes`);
  if (!req.body) return new Uint8Array(0);
  return readLimited(req.body, max);
}

/** The body as JSON when the content type says JSON and it parses; else undefined. */
export function jsonBody(req: Request, bytes: Uint8Array): unknown {
  if (!(req.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    return undefined;
  }
}
