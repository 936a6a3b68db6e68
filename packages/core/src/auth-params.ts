/**
 * A lenient, linear-time parser for HTTP authentication headers (RFC 9110 §11.6.1):
 * several challenges in one header, `token68` or `name=value` parameters, quoted or
 * unquoted values. Lenient where peers in the wild are sloppy (unquoted base64 values,
 * spaces around `=`), strict on length.
 *
 * @module
 */
import { ErrorCodes, FareboxError } from './errors.js';

/** One challenge or credential: a scheme with parameters or a token68. */
export interface AuthItem {
  /** The scheme as written (compare case-insensitively). */
  scheme: string;
  /** Parameters, names lowercased; the first occurrence of a name wins. */
  params: Record<string, string>;
  /** The token68 after the scheme, when the item has one. */
  token68?: string;
}

/** Longest header value parsed (bytes of text). A larger one fails fast with L402_TOO_LARGE. */
export const MAX_HEADER_LENGTH = 16_384;

function isTokenChar(c: number): boolean {
  // RFC 9110 tchar.
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x21 ||
    (c >= 0x23 && c <= 0x27) ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5e ||
    c === 0x5f ||
    c === 0x60 ||
    c === 0x7c ||
    c === 0x7e
  );
}

function malformed(reason: string): FareboxError {
  return new FareboxError(ErrorCodes.MALFORMED_HEADER, `malformed authentication header: ${reason}`, {
    data: { reason },
  });
}

/**
 * Parses an authentication header value into its challenges (or credential).
 *
 * @example
 * ```ts
 * import { parseAuthHeader } from '@farebox/core';
 * parseAuthHeader('L402 macaroon="AgE…", invoice="lnbc1…", LSAT macaroon="AgE…", invoice="lnbc1…"');
 * // → [{ scheme: 'L402', params: { macaroon, invoice } }, { scheme: 'LSAT', params: {…} }]
 * ```
 */
export function parseAuthHeader(value: string, maxLength = MAX_HEADER_LENGTH): AuthItem[] {
  if (typeof value !== 'string') throw malformed('not a string');
  if (value.length > maxLength) {
    throw new FareboxError(ErrorCodes.TOO_LARGE, `authentication header longer than ${maxLength}`);
  }
  const s = value;
  const n = s.length;
  let i = 0;
  const items: AuthItem[] = [];
  let cur: AuthItem | undefined;

  const skipWs = () => {
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    return s.slice(start, i);
  };
  const readValue = (): string => {
    if (s.charCodeAt(i) === 34 /* " */) {
      i++;
      let out = '';
      let start = i;
      for (;;) {
        if (i >= n) throw malformed('unterminated quoted string');
        const c = s.charCodeAt(i);
        if (c === 34) {
          out += s.slice(start, i);
          i++;
          return out;
        }
        if (c === 92 /* \ */) {
          out += s.slice(start, i);
          if (i + 1 >= n) throw malformed('unterminated quoted string');
          out += s[i + 1];
          i += 2;
          start = i;
          continue;
        }
        i++;
      }
    }
    // Unquoted: lenient, up to a comma or whitespace (base64 values in the wild are unquoted).
    const start = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 44 || c === 32 || c === 9) break;
      i++;
    }
    return s.slice(start, i);
  };
  const addParam = (item: AuthItem, name: string, v: string) => {
    const key = name.toLowerCase();
    if (!(key in item.params)) item.params[key] = v;
  };

  while (i < n) {
    skipWs();
    if (i < n && s.charCodeAt(i) === 44) {
      i++;
      continue;
    }
    if (i >= n) break;
    const tokStart = i;
    const tok = readToken();
    if (tok === '') throw malformed(`unexpected character at ${i}`);
    const afterTok = i;
    skipWs();
    if (i < n && s.charCodeAt(i) === 61 /* = */ && cur) {
      // `name = value` continuing the current challenge, unless this is token68 padding.
      i++;
      skipWs();
      if (i < n && s.charCodeAt(i) !== 44 && s.charCodeAt(i) !== 61) {
        addParam(cur, tok, readValue());
        continue;
      }
      if (i >= n || s.charCodeAt(i) === 44) {
        addParam(cur, tok, '');
        continue;
      }
      i = afterTok;
    }
    if (i < n && s.charCodeAt(i) === 61 && !cur) throw malformed('parameter before any scheme');
    i = afterTok;
    // A new item: `scheme [SP (token68 / params)]`.
    cur = { scheme: tok, params: {} };
    items.push(cur);
    if (i >= n || s.charCodeAt(i) === 44) continue;
    skipWs();
    if (i >= n || s.charCodeAt(i) === 44) continue;
    // token68 or the first param.
    const start = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 44 || c === 32 || c === 9 || c === 61 || c === 34) break;
      i++;
    }
    const word = s.slice(start, i);
    const mark = i;
    skipWs();
    if (i < n && s.charCodeAt(i) === 61 && word !== '' && isTokenWord(word)) {
      const eqAt = i;
      i++;
      skipWs();
      if (i < n && s.charCodeAt(i) !== 44 && s.charCodeAt(i) !== 61) {
        addParam(cur, word, readValue());
        continue;
      }
      i = eqAt;
    }
    // token68: the word plus trailing `=` padding, up to a comma or whitespace.
    i = mark;
    while (i < n && s.charCodeAt(i) === 61) i++;
    while (i < n && s.charCodeAt(i) !== 44 && s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) i++;
    cur.token68 = s.slice(start, i);
    if (cur.token68 === '') throw malformed(`unexpected character at ${tokStart}`);
  }
  return items;
}

function isTokenWord(w: string): boolean {
  for (let k = 0; k < w.length; k++) if (!isTokenChar(w.charCodeAt(k))) return false;
  return true;
}
