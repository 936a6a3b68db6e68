/**
 * Where generated files live until they expire: an interface, and the in-memory store (the
 * dev default). Ids are 32 random bytes in base64url: unguessable, so the URL itself is the
 * capability to download (the seeds hand out plain links).
 *
 * @module
 */
import { toBase64 } from '@farebox/core';
import type { GeneratedFile } from '../generators/types.js';

/** A stored file's description. */
export interface StoredFileInfo {
  id: string;
  extension: string;
  contentType: string;
  size: number;
  /** Unix milliseconds. */
  expiresAt: number;
}

/** A stored file with its bytes. */
export interface StoredFile extends StoredFileInfo {
  bytes: Uint8Array;
}

/** Where files are kept. */
export interface FileStore {
  /** Keeps a file for `ttlSeconds`; resolves to its description. */
  put(file: GeneratedFile, ttlSeconds: number): Promise<StoredFileInfo>;
  /** The file, or `expired` when it existed and has expired, or undefined. */
  get(id: string): Promise<StoredFile | 'expired' | undefined>;
  /** Drops expired files; returns how many. */
  sweep(): Promise<number>;
  /** Public URL of a file when the store publishes files elsewhere (a CDN); else undefined. */
  publicUrl?(info: StoredFileInfo): string | undefined;
}

/** A fresh file id. */
export function newFileId(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)), true);
}

/** File ids are base64url of 32 bytes. */
export const FILE_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Files in memory (the dev default): lost on restart, bounded by their expiry. Expired ids
 * are remembered for a while so a late download gets 410 Gone rather than 404.
 *
 * @example
 * ```ts
 * import { MemoryFileStore } from '@farebox/services';
 * const files = new MemoryFileStore();
 * const info = await files.put({ bytes: new Uint8Array([1]), contentType: 'audio/wav', extension: 'wav' }, 3600);
 * ```
 */
export class MemoryFileStore implements FileStore {
  readonly #files = new Map<string, StoredFile>();
  readonly #expired = new Map<string, number>();
  readonly #now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? (() => Date.now());
  }

  async put(file: GeneratedFile, ttlSeconds: number): Promise<StoredFileInfo> {
    const id = newFileId();
    const stored: StoredFile = {
      id,
      extension: file.extension,
      contentType: file.contentType,
      size: file.bytes.length,
      expiresAt: this.#now() + ttlSeconds * 1000,
      bytes: file.bytes,
    };
    this.#files.set(id, stored);
    const { bytes: _b, ...info } = stored;
    return info;
  }

  async get(id: string): Promise<StoredFile | 'expired' | undefined> {
    const f = this.#files.get(id);
    if (f && f.expiresAt > this.#now()) return f;
    if (f) {
      this.#files.delete(id);
      this.#expired.set(id, this.#now());
      return 'expired';
    }
    return this.#expired.has(id) ? 'expired' : undefined;
  }

  async sweep(): Promise<number> {
    const now = this.#now();
    let n = 0;
    for (const [id, f] of this.#files) {
      if (f.expiresAt <= now) {
        this.#files.delete(id);
        this.#expired.set(id, now);
        n++;
      }
    }
    // Tombstones are kept a day, then forgotten (404 instead of 410).
    for (const [id, at] of this.#expired) if (now - at > 86_400_000) this.#expired.delete(id);
    return n;
  }
}
