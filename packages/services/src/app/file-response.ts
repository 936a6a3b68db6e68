/**
 * Serving a stored file: its content type, an expiry, validators, and byte ranges (RFC 9110
 * §14) so an `<audio>` element can seek and a download can resume.
 *
 * One range per request: a multi-range request (rare, and answered with multipart by few
 * servers) gets the whole file, which §14.2 allows ("a server MAY ignore the Range header").
 *
 * @module
 */
import { refusal } from '@farebox/server';
import { ServiceCodes } from './codes.js';
import type { StoredFile } from './files.js';

/** A parsed single byte range, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header against a file size: a range, `undefined` when the header is
 * absent, not bytes, or several ranges (serve the whole file), or `'unsatisfiable'` (416).
 * Linear in the header; the header is capped at 200 characters.
 *
 * @example
 * ```ts
 * import { parseRange } from '@farebox/services';
 * parseRange('bytes=0-99', 1000); // { start: 0, end: 99 }
 * parseRange('bytes=-100', 1000); // { start: 900, end: 999 }
 * ```
 */
export function parseRange(header: string | null, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header || header.length > 200) return undefined;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return undefined;
  if (a === '') {
    // A suffix: the last N bytes.
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return undefined;
  return { start, end };
}

/**
 * Answers a request for a stored file (GET or HEAD): 200, 206 for a range, 304, 416.
 *
 * @example
 * ```ts
 * import { fileResponse, MemoryFileStore } from '@farebox/services';
 * const files = new MemoryFileStore();
 * const { id } = await files.put({ bytes: new Uint8Array(1000), contentType: 'audio/wav', extension: 'wav' }, 60);
 * const f = await files.get(id);
 * if (f && f !== 'expired') fileResponse(new Request('http://x', { headers: { range: 'bytes=0-99' } }), f, Date.now()); // 206
 * ```
 */
export function fileResponse(req: Request, file: StoredFile, now: number): Response {
  const etag = `"${file.id}"`;
  const maxAge = Math.max(0, Math.floor((file.expiresAt - now) / 1000));
  const headers = new Headers({
    'content-type': file.contentType,
    'accept-ranges': 'bytes',
    etag,
    'cache-control': `private, max-age=${maxAge}`,
    expires: new Date(file.expiresAt).toUTCString(),
    'content-disposition': `inline; filename="farebox-${file.id.slice(0, 8)}.${file.extension}"`,
    'x-content-type-options': 'nosniff',
    // The unguessable URL is the capability: pages on other origins may load it (a viewer, a player).
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'Content-Range, Accept-Ranges, Content-Length, ETag',
    'cross-origin-resource-policy': 'cross-origin',
  });
  const inm = req.headers.get('if-none-match');
  if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    return new Response(null, { status: 304, headers });
  }
  const ifRange = req.headers.get('if-range');
  const range =
    ifRange && ifRange.trim() !== etag ? undefined : parseRange(req.headers.get('range'), file.size);
  const head = req.method === 'HEAD';
  if (range === 'unsatisfiable') {
    const res = refusal(416, ServiceCodes.RANGE_NOT_SATISFIABLE, `the file has ${file.size} bytes`, {
      headers: { 'content-range': `bytes */${file.size}`, 'accept-ranges': 'bytes' },
    });
    return res;
  }
  if (range) {
    headers.set('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
    headers.set('content-length', String(range.end - range.start + 1));
    const part = file.bytes.subarray(range.start, range.end + 1);
    return new Response(head ? null : (part as Uint8Array<ArrayBuffer>), { status: 206, headers });
  }
  headers.set('content-length', String(file.size));
  return new Response(head ? null : (file.bytes as Uint8Array<ArrayBuffer>), { status: 200, headers });
}
