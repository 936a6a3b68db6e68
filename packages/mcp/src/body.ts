/**
 * Turning a response body into something an agent can read: JSON parsed, text as text,
 * binary saved to a file whose path is returned. Reading stops at a size cap, so a huge or
 * endless body costs at most the cap.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What an agent gets of a body. */
export interface BodySummary {
  kind: 'json' | 'text' | 'binary' | 'empty';
  /** Parsed JSON (`kind: 'json'`). */
  json?: unknown;
  /** Text, cut at the inline limit (`kind: 'text'`, or JSON too large to inline). */
  text?: string;
  /** Where the body was saved (binary, or text too large to inline). */
  saved_to?: string;
  /** Bytes read. */
  bytes: number;
  content_type?: string;
  /** True when the body was larger than the cap and reading stopped there. */
  truncated?: boolean;
  note?: string;
}

/** Reads at most `cap` bytes of a body; cancels the rest. */
export async function readCapped(
  res: Response,
  cap: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!res.body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > cap) {
      chunks.push(value.subarray(0, cap - size));
      size = cap;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, truncated };
}

const TEXTUAL =
  /^(text\/|application\/(.*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|x-yaml|toml|csv|graphql|x-ndjson|ld\+json))/i;

function looksLikeText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 4096);
  if (sample.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(
      sample.length < bytes.length ? sample.subarray(0, -4) : sample,
    );
    return true;
  } catch {
    return false;
  }
}

const EXT: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'audio/mpeg': '.mp3',
  'audio/wav': '.wav',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'model/gltf-binary': '.glb',
};

/** Options for {@link summarizeBody}. */
export interface SummarizeOptions {
  /** Largest text (bytes) returned inline; larger text is saved and cut. */
  maxInlineBytes: number;
  /** Directory for saved bodies. */
  downloadDir: string;
  /** File name stem (unique per call). */
  name: string;
}

/** Describes a body read by {@link readCapped}. */
export async function summarizeBody(
  bytes: Uint8Array,
  truncated: boolean,
  contentType: string | null,
  o: SummarizeOptions,
): Promise<BodySummary> {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  const base: BodySummary = { kind: 'empty', bytes: bytes.byteLength };
  if (type) base.content_type = type;
  if (truncated) base.truncated = true;
  if (bytes.byteLength === 0) return base;
  const textual = type ? TEXTUAL.test(type) : looksLikeText(bytes);
  const save = async (ext: string) => {
    await mkdir(o.downloadDir, { recursive: true, mode: 0o700 });
    const path = join(o.downloadDir, `${o.name}${ext}`);
    await writeFile(path, bytes, { mode: 0o600 });
    return path;
  };
  if (!textual) {
    const saved = await save(EXT[type ?? ''] ?? '.bin');
    return {
      ...base,
      kind: 'binary',
      saved_to: saved,
      note: `binary body (${type ?? 'unknown type'}, ${bytes.byteLength} bytes${truncated ? ', cut at the size cap' : ''}) saved to ${saved}`,
    };
  }
  const text = new TextDecoder().decode(bytes);
  if (bytes.byteLength <= o.maxInlineBytes) {
    if (!truncated && (type?.includes('json') || /^\s*[[{]/.test(text))) {
      try {
        return { ...base, kind: 'json', json: JSON.parse(text) };
      } catch {
        // not JSON after all: text
      }
    }
    return { ...base, kind: 'text', text };
  }
  const saved = await save(type?.includes('json') ? '.json' : '.txt');
  const cut = new TextDecoder().decode(bytes.subarray(0, o.maxInlineBytes)).replace(/\uFFFD$/, '');
  return {
    ...base,
    kind: 'text',
    text: cut,
    saved_to: saved,
    note: `the body is ${bytes.byteLength} bytes: the first ${o.maxInlineBytes} are shown, all of it${truncated ? ' (up to the size cap)' : ''} is saved to ${saved}`,
  };
}
