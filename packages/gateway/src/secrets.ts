/**
 * Resolving secrets from the environment or files (never from logs), and the gateway's
 * server secret.
 *
 * @module
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCodes, FareboxError, fromBase64, fromHex, isHex, randomBytes, toHex } from '@farebox/core';
import type { SecretSource } from './config.js';

/** Reads a secret's value. */
export async function resolveSecret(
  src: SecretSource,
  env: Record<string, string | undefined>,
  what: string,
): Promise<string> {
  if (typeof src === 'string') return src;
  if ('env' in src) {
    const v = env[src.env];
    if (!v)
      throw new FareboxError(
        ErrorCodes.CONFIG_INVALID,
        `${what}: environment variable ${src.env} is not set`,
        { data: { field: what } },
      );
    return v;
  }
  try {
    // An encoding sends a binary file's bytes (a macaroon, say) as hex or base64 text.
    if (src.encoding) return (await readFile(src.file)).toString(src.encoding);
    return (await readFile(src.file, 'utf8')).trim();
  } catch (e) {
    throw new FareboxError(ErrorCodes.CONFIG_INVALID, `${what}: cannot read ${src.file}`, {
      data: { field: what },
      cause: e,
    });
  }
}

/** Decodes a server secret (hex or base64, ≥ 32 bytes). */
export function secretBytes(text: string): Uint8Array {
  const t = text.trim();
  let b: Uint8Array;
  try {
    b = isHex(t) ? fromHex(t) : fromBase64(t);
  } catch {
    throw new FareboxError(ErrorCodes.CONFIG_INVALID, 'secret must be hex or base64', {
      data: { field: 'secret' },
    });
  }
  if (b.length < 32)
    throw new FareboxError(ErrorCodes.CONFIG_INVALID, 'secret must be at least 32 bytes', {
      data: { field: 'secret' },
    });
  return b;
}

/** Loads the secret file, creating it (0600, 32 random bytes) when missing: for the dev setup. */
export async function loadOrCreateSecretFile(
  path: string,
): Promise<{ secret: Uint8Array; created: boolean }> {
  try {
    return { secret: secretBytes(await readFile(path, 'utf8')), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  await writeFile(path, `${toHex(secret)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { secret, created: true };
}
