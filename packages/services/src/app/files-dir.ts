/**
 * Files in a directory (Node): `<id>.<ext>` plus a small `<id>.json` with the content type and
 * expiry. The app serves them itself, or a web server / CDN publishes the directory and
 * `publicBaseUrl` names it, so the answers link there.
 *
 * @module
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GeneratedFile } from '../generators/types.js';
import { FILE_ID, type FileStore, newFileId, type StoredFile, type StoredFileInfo } from './files.js';

const EXT = /^[a-z0-9]{1,8}$/;

/**
 * @example
 * ```ts
 * import { DirectoryFileStore } from '@farebox/services';
 * const files = new DirectoryFileStore({ dir: './files', publicBaseUrl: 'https://cdn.example.com/files' });
 * ```
 */
export class DirectoryFileStore implements FileStore {
  readonly dir: string;
  readonly publicBaseUrl: string | undefined;
  readonly #now: () => number;
  #ready: Promise<unknown> | undefined;

  constructor(opts: { dir: string; publicBaseUrl?: string; now?: () => number }) {
    if (typeof opts?.dir !== 'string' || opts.dir === '')
      throw new TypeError('DirectoryFileStore: "dir" must be a path');
    this.dir = opts.dir;
    this.publicBaseUrl = opts.publicBaseUrl?.replace(/\/+$/, '');
    this.#now = opts.now ?? (() => Date.now());
  }

  #mkdir(): Promise<unknown> {
    this.#ready ??= mkdir(this.dir, { recursive: true });
    return this.#ready;
  }

  async put(file: GeneratedFile, ttlSeconds: number): Promise<StoredFileInfo> {
    if (!EXT.test(file.extension)) throw new TypeError(`bad file extension "${file.extension}"`);
    await this.#mkdir();
    const info: StoredFileInfo = {
      id: newFileId(),
      extension: file.extension,
      contentType: file.contentType,
      size: file.bytes.length,
      expiresAt: this.#now() + ttlSeconds * 1000,
    };
    await writeFile(join(this.dir, `${info.id}.${info.extension}`), file.bytes);
    await writeFile(join(this.dir, `${info.id}.json`), JSON.stringify(info));
    return info;
  }

  async #info(id: string): Promise<StoredFileInfo | undefined> {
    if (!FILE_ID.test(id)) return undefined;
    try {
      const info = JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as StoredFileInfo;
      return EXT.test(info.extension) ? info : undefined;
    } catch {
      return undefined;
    }
  }

  async get(id: string): Promise<StoredFile | 'expired' | undefined> {
    const info = await this.#info(id);
    if (!info) return undefined;
    if (info.expiresAt <= this.#now()) {
      await rm(join(this.dir, `${id}.${info.extension}`), { force: true });
      return 'expired';
    }
    try {
      const bytes = new Uint8Array(await readFile(join(this.dir, `${id}.${info.extension}`)));
      return { ...info, bytes };
    } catch {
      return 'expired';
    }
  }

  async sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let n = 0;
    const now = this.#now();
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const info = await this.#info(name.slice(0, -5));
      if (!info || info.expiresAt > now) continue;
      await rm(join(this.dir, `${info.id}.${info.extension}`), { force: true });
      // The description stays a day as a tombstone (410 Gone), then goes too.
      if (now - info.expiresAt > 86_400_000) await rm(join(this.dir, name), { force: true });
      n++;
    }
    return n;
  }

  publicUrl(info: StoredFileInfo): string | undefined {
    return this.publicBaseUrl ? `${this.publicBaseUrl}/${info.id}.${info.extension}` : undefined;
  }
}
