/**
 * Keeps secrets out of what an agent sees. Two nets: structurally, string values under keys
 * that name a secret (`preimage`, `macaroon`, `authorization`, …) are replaced; and every
 * secret the process has handled (the wallet's connection string and its parts, preimages
 * of payments, credentials sent) is replaced wherever it appears, even inside a body a
 * server echoed back or an error message a wallet wrote.
 *
 * @module
 */

const SECRET_KEYS =
  /^(preimage|macaroon|token|authorization|secret|password|passphrase|api[-_]?key|admin[-_]?key|rune|seed|mnemonic|private[-_]?key|access[-_]?token)$/i;

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not matched inside text (too many false hits). */
const MIN_SECRET = 8;

/**
 * @example
 * ```ts
 * import { Redactor } from '@farebox/mcp';
 * const r = new Redactor();
 * r.addConnection('nostr+walletconnect://abc?relay=wss://r&secret=0123456789abcdef');
 * r.redact({ note: 'secret=0123456789abcdef' }); // { note: 'secret=[redacted]' }
 * ```
 */
export class Redactor {
  #secrets = new Set<string>();

  /** Adds a secret string (ignored when too short to match safely). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET) return;
    this.#secrets.add(secret);
    // Encoded forms that show up in URLs and JSON.
    const enc = encodeURIComponent(secret);
    if (enc !== secret) this.#secrets.add(enc);
  }

  /** Adds a connection string, its credentials and each of its query values. */
  addConnection(conn: string | undefined): void {
    if (!conn) return;
    this.add(conn);
    try {
      const u = new URL(conn);
      this.add(decodeURIComponent(u.username));
      this.add(decodeURIComponent(u.password));
      for (const [, v] of u.searchParams) this.add(v);
      // nostr+walletconnect://<wallet pubkey>?…: the pubkey is not secret, the rest is.
    } catch {
      // not a URL: the whole string is the secret
    }
  }

  /** Adds an `L402 <macaroon>:<preimage>` credential and its parts. */
  addCredential(value: string | undefined | null): void {
    if (!value) return;
    this.add(value);
    const m = /^\s*\S+\s+([^:\s]+)(?::([0-9a-fA-F]+))?\s*$/.exec(value);
    if (m) {
      this.add(m[1]);
      this.add(m[2]);
    }
  }

  /** Replaces every known secret inside a string. */
  redactText(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return out;
  }

  /** A deep copy of `value` with secrets replaced (by key and by content). */
  redact<T>(value: T): T {
    return this.#walk(value, undefined) as T;
  }

  #walk(v: unknown, key: string | undefined): unknown {
    if (typeof v === 'string') return key && SECRET_KEYS.test(key) ? REDACTED : this.redactText(v);
    if (Array.isArray(v)) return v.map((x) => this.#walk(x, undefined));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.#walk(x, k);
      return out;
    }
    return v;
  }
}
