/**
 * Server secrets and per-token root keys, with no database.
 *
 * Each token's macaroon root key is derived from a server secret and the token id:
 * `rootKey = HMAC-SHA256(secret, "farebox/l402-root-key/v0" ‖ tokenId)`. The first 4 bytes
 * of every token id name the secret that minted it (its key id), so secrets rotate: add a
 * new secret first in the list (it mints), keep old ones (they still verify), drop them
 * once their tokens have expired.
 *
 * @module
 */
import { concatBytes, randomBytes, toHex, utf8 } from './bytes.js';
import { HmacKey } from './crypto/hmac.js';
import { sha256 } from './crypto/sha256.js';
import { ErrorCodes, FareboxError, invalidArgument } from './errors.js';

/** A server secret with a name (the name is public; the secret is not). */
export interface ServerSecret {
  /** A public name for the secret, e.g. `2026-11`. */
  id: string;
  /** At least 32 bytes of secret randomness. */
  secret: Uint8Array;
}

const ROOT_KEY_LABEL = utf8('farebox/l402-root-key/v0');
const KEY_ID_BYTES = 4;

interface Entry {
  id: string;
  keyId: number;
  hmac: HmacKey;
}

function keyIdOf(id: string): number {
  const h = sha256(utf8(`farebox/key-id/${id}`));
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

/**
 * The secrets a server mints and verifies with.
 *
 * @example
 * ```ts
 * import { Keyring, randomBytes } from '@farebox/core';
 * const keyring = new Keyring([{ id: 'k1', secret: randomBytes(32) }]);
 * ```
 */
export class Keyring {
  readonly #entries: Entry[];
  readonly #byKeyId = new Map<number, Entry>();
  readonly #buf = new Uint8Array(ROOT_KEY_LABEL.length + 32);

  constructor(secrets: readonly ServerSecret[]) {
    if (!Array.isArray(secrets) || secrets.length === 0) invalidArgument('secrets', 'a non-empty array');
    this.#entries = secrets.map((s, i) => {
      if (typeof s?.id !== 'string' || s.id === '') invalidArgument(`secrets[${i}].id`, 'a non-empty string');
      if (!(s.secret instanceof Uint8Array) || s.secret.length < 32) {
        invalidArgument(`secrets[${i}].secret`, 'at least 32 bytes');
      }
      const e = { id: s.id, keyId: keyIdOf(s.id), hmac: new HmacKey(s.secret) };
      if (this.#byKeyId.has(e.keyId)) invalidArgument(`secrets[${i}].id`, 'unique');
      this.#byKeyId.set(e.keyId, e);
      return e;
    });
    this.#buf.set(ROOT_KEY_LABEL, 0);
  }

  /** A single-secret keyring. */
  static fromSecret(secret: Uint8Array, id = 'default'): Keyring {
    return new Keyring([{ id, secret }]);
  }

  /** The name of the secret that mints new tokens. */
  get currentId(): string {
    return this.#entries[0]!.id;
  }

  /** A fresh token id: 4-byte key id of the current secret ‖ 28 random bytes. */
  newTokenId(): Uint8Array {
    const keyId = this.#entries[0]!.keyId;
    return concatBytes(
      new Uint8Array([keyId >>> 24, (keyId >>> 16) & 0xff, (keyId >>> 8) & 0xff, keyId & 0xff]),
      randomBytes(32 - KEY_ID_BYTES),
    );
  }

  /** The root key of a token. Throws L402_UNKNOWN_KEY when no secret here minted it. */
  rootKey(tokenId: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
    if (tokenId.length !== 32) invalidArgument('tokenId', '32 bytes');
    const keyId = ((tokenId[0]! << 24) | (tokenId[1]! << 16) | (tokenId[2]! << 8) | tokenId[3]!) >>> 0;
    const e = this.#byKeyId.get(keyId);
    if (!e) {
      throw new FareboxError(ErrorCodes.UNKNOWN_KEY, 'token was not minted by this server', {
        data: { tokenId: toHex(tokenId) },
      });
    }
    this.#buf.set(tokenId, ROOT_KEY_LABEL.length);
    return e.hmac.mac(this.#buf, out);
  }
}
