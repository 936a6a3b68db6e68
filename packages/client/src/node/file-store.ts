/**
 * Client data in a JSON file, written atomically (temp file, fsync, rename) so a crash
 * never leaves a half-written file and a recorded payment survives a restart.
 *
 * @module
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ClientData, type ClientStore, emptyData } from '../store.js';

/**
 * @example
 * ```ts
 * import { FileClientStore } from '@farebox/client/node';
 * const store = new FileClientStore(`${process.env.HOME}/.farebox/client.json`);
 * ```
 */
export class FileClientStore implements ClientStore {
  constructor(readonly path: string) {}

  async load(): Promise<ClientData> {
    try {
      const d = JSON.parse(await readFile(this.path, 'utf8')) as Partial<ClientData>;
      return { tokens: d.tokens ?? [], pending: d.pending ?? [], receipts: d.receipts ?? [] };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyData();
      throw e;
    }
  }

  async save(data: ClientData): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(data, null, 1)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}
