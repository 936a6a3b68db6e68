/**
 * Keeping credentials out of errors. Backends and the proxies in front of them sometimes
 * echo what they were sent (a rune in a parse error, a key in a login page), so adapters
 * pass every error through {@link withoutSecret} before it leaves them.
 *
 * @module
 */
import { FareboxError } from '@farebox/core';
import { bigintJson } from './http.js';

/**
 * The error with `secret` replaced by `***` wherever it could carry it: its message, its
 * `data` and its cause's message. Other values, and errors without the secret, are returned
 * as they are.
 *
 * @example
 * ```ts
 * import { FareboxError } from '@farebox/core';
 * const e = new FareboxError('LN_UNAUTHORIZED', 'cln: bad rune s3cr3t');
 * (withoutSecret(e, 's3cr3t') as FareboxError).message; // 'cln: bad rune ***'
 * ```
 */
export function withoutSecret(e: unknown, secret: string): unknown {
  if (!(e instanceof FareboxError) || secret === '') return e;
  const causeMessage = e.cause instanceof Error ? e.cause.message : '';
  const dataText = JSON.stringify(e.data, bigintJson);
  if (!e.message.includes(secret) && !dataText.includes(secret) && !causeMessage.includes(secret)) return e;
  const clean = (s: string) => s.split(secret).join('***');
  const cause = causeMessage.includes(secret) ? new Error(clean(causeMessage)) : e.cause;
  return new FareboxError(e.code, clean(e.message), { data: JSON.parse(clean(dataText)), cause });
}
