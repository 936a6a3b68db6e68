/**
 * Request binding: "the retry must be the identical request".
 *
 * A per-request token carries `farebox_request=<base64url sha256>` over a canonical form
 * of the request: method, path, query (parameters sorted) and the body's sha256. A paid
 * token presented with another method, path, query or body fails with
 * L402_REQUEST_MISMATCH. JSON APIs may hash the body as canonical JSON ({@link canonicalJson})
 * so that reformatting does not matter while any changed value does.
 *
 * @module
 */
import { toBase64, utf8 } from './bytes.js';
import { sha256 } from './crypto/sha256.js';
import { invalidArgument } from './errors.js';

/** The parts of a request a token is bound to. */
export interface RequestParts {
  method: string;
  /** The URL path, as received (percent-encoding kept). */
  path: string;
  /** The query string, with or without the leading `?`. */
  query?: string;
  /** The body bytes, or their sha256 as `bodyHash`. */
  body?: Uint8Array;
  /** sha256 of the body, when already computed (wins over `body`). */
  bodyHash?: Uint8Array;
}

const EMPTY_HASH = sha256(new Uint8Array(0));

/** Query parameters sorted by name then value, re-serialized. */
export function canonicalQuery(query: string | undefined): string {
  if (!query || query === '?') return '';
  const params = [...new URLSearchParams(query)];
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return new URLSearchParams(params).toString();
}

/**
 * The binding value of a request (43 characters, base64url).
 *
 * @example
 * ```ts
 * import { requestBinding, utf8 } from '@farebox/core';
 * const b = requestBinding({ method: 'POST', path: '/api/l402/music', body: utf8('{"prompt":"x"}') });
 * ```
 */
export function requestBinding(req: RequestParts): string {
  if (typeof req.method !== 'string' || req.method === '') invalidArgument('method', 'an HTTP method');
  if (typeof req.path !== 'string') invalidArgument('path', 'a string');
  const bodyHash = req.bodyHash ?? (req.body ? sha256(req.body) : EMPTY_HASH);
  if (bodyHash.length !== 32) invalidArgument('bodyHash', '32 bytes');
  const head = utf8(
    `farebox-request-v1\n${req.method.toUpperCase()}\n${req.path}\n${canonicalQuery(req.query)}\n`,
  );
  const all = new Uint8Array(head.length + 32);
  all.set(head, 0);
  all.set(bodyHash, head.length);
  return toBase64(sha256(all), true);
}

/**
 * JSON with object keys sorted and no whitespace: the same value always gives the same text.
 *
 * @example
 * ```ts
 * import { canonicalJson } from '@farebox/core';
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
