/**
 * HTTP for adapters: timeouts, cancellation, and every failure turned into a typed
 * FareboxError (LN_UNREACHABLE, LN_TIMEOUT, LN_UNAUTHORIZED, LN_BAD_RESPONSE, LN_NOT_FOUND).
 * Error messages carry the method, the path and the status, never headers, query strings
 * or bodies (where keys, macaroons and runes live).
 *
 * @module
 */
import { type ErrorCode, ErrorCodes, FareboxError } from '@farebox/core';
import type { CallOptions } from './types.js';

/** A `fetch`-compatible function (the global one, or one with a custom TLS agent). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Default timeout of a backend call. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Largest response body an adapter reads (a backend answering with gigabytes is broken). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A signal that fires on the caller's signal or after `timeoutMs`; `done()` frees the timer. */
export function deadline(opts: CallOptions | undefined, fallbackMs = DEFAULT_TIMEOUT_MS) {
  const ctrl = new AbortController();
  const ms = opts?.timeoutMs ?? fallbackMs;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, ms);
  const onAbort = () => ctrl.abort();
  if (opts?.signal) {
    if (opts.signal.aborted) ctrl.abort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: ctrl.signal,
    get timedOut() {
      return timedOut;
    },
    ms,
    done() {
      clearTimeout(timer);
      opts?.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** A typed Lightning error whose message says where it came from. */
export function lnError(
  code: ErrorCode,
  backend: string,
  message: string,
  data: Record<string, unknown> = {},
  cause?: unknown,
) {
  return new FareboxError(code, `${backend}: ${message}`, { data: { backend, ...data }, cause });
}

function where(method: string, url: string): string {
  try {
    return `${method} ${new URL(url).pathname}`;
  } catch {
    return method;
  }
}

/** Options for {@link requestJson}. */
export interface JsonRequest extends CallOptions {
  backend: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  fetch?: FetchLike;
  /** Statuses returned to the caller instead of thrown (e.g. 404 for lookups). */
  allowStatus?: number[];
}

/** Reads a response body with a size cap. */
export async function readCapped(res: Response, backend: string): Promise<string> {
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > MAX_RESPONSE_BYTES) throw lnError(ErrorCodes.LN_BAD_RESPONSE, backend, 'response too large');
  const text = await res.text();
  if (text.length > MAX_RESPONSE_BYTES)
    throw lnError(ErrorCodes.LN_BAD_RESPONSE, backend, 'response too large');
  return text;
}

/**
 * Sends a JSON request and parses a JSON answer, mapping every failure to a typed error.
 * Returns `{ status, body }`; non-2xx statuses throw unless listed in `allowStatus`.
 */
export async function requestJson<T = unknown>(
  url: string,
  req: JsonRequest,
): Promise<{ status: number; body: T }> {
  const method = req.method ?? (req.body === undefined ? 'GET' : 'POST');
  const d = deadline(req);
  const at = where(method, url);
  let res: Response;
  try {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    const init: RequestInit = { method, headers, signal: d.signal };
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      init.body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body, bigintJson);
    }
    res = await (req.fetch ?? fetch)(url, init);
  } catch (e) {
    d.done();
    if (d.timedOut) throw lnError(ErrorCodes.LN_TIMEOUT, req.backend, `${at} timed out after ${d.ms} ms`);
    if (req.signal?.aborted)
      throw lnError(ErrorCodes.LN_TIMEOUT, req.backend, `${at} aborted`, {}, req.signal.reason);
    throw lnError(ErrorCodes.LN_UNREACHABLE, req.backend, `${at} failed: ${causeText(e)}`, {}, e);
  }
  let text: string;
  try {
    text = await readCapped(res, req.backend);
  } catch (e) {
    d.done();
    if (e instanceof FareboxError) throw e;
    if (d.timedOut) throw lnError(ErrorCodes.LN_TIMEOUT, req.backend, `${at} timed out after ${d.ms} ms`);
    throw lnError(ErrorCodes.LN_BAD_RESPONSE, req.backend, `${at}: body cut off`, {}, e);
  }
  d.done();
  const ok = res.status >= 200 && res.status < 300;
  const allowed = req.allowStatus?.includes(res.status) ?? false;
  if (!ok && !allowed) {
    const detail = errorDetail(text);
    if (res.status === 401 || res.status === 403) {
      throw lnError(ErrorCodes.LN_UNAUTHORIZED, req.backend, `${at}: ${res.status} unauthorized`, {
        status: res.status,
        detail,
      });
    }
    if (res.status === 404)
      throw lnError(ErrorCodes.LN_NOT_FOUND, req.backend, `${at}: 404`, { status: 404, detail });
    throw lnError(ErrorCodes.LN_BAD_RESPONSE, req.backend, `${at}: HTTP ${res.status}`, {
      status: res.status,
      detail,
    });
  }
  let body: T;
  try {
    body = (text === '' ? {} : JSON.parse(text)) as T;
  } catch (e) {
    throw lnError(
      ErrorCodes.LN_BAD_RESPONSE,
      req.backend,
      `${at}: answer is not JSON (HTTP ${res.status})`,
      { status: res.status },
      e,
    );
  }
  return { status: res.status, body };
}

/** A short, secret-free description of an error body (its `message`/`detail`/`error` field). */
export function errorDetail(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const v = j.message ?? j.detail ?? j.error ?? j.reason;
    if (typeof v === 'string') return v.slice(0, 200);
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
      return String((v as { message: string }).message).slice(0, 200);
    }
  } catch {
    // not JSON
  }
  return undefined;
}

function causeText(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } })?.cause;
  return c?.code ?? c?.message ?? (e as Error)?.message ?? 'network error';
}

/** JSON.stringify replacer writing bigints as strings. */
export function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** Sleeps, unless aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `lookup` until the invoice leaves `open`; the shared `waitForInvoice` of backends
 * that do not stream. Rejects with LN_TIMEOUT at the deadline.
 */
export async function pollInvoice<T extends { state: string }>(
  backend: string,
  lookup: (signal: AbortSignal) => Promise<T>,
  opts: CallOptions & { pollIntervalMs?: number } = {},
): Promise<T> {
  const d = deadline(opts, 60_000);
  try {
    for (;;) {
      let status: T;
      try {
        status = await lookup(d.signal);
      } catch (e) {
        if (d.timedOut || d.signal.aborted) break;
        throw e;
      }
      if (status.state !== 'open') return status;
      try {
        await sleep(opts.pollIntervalMs ?? 500, d.signal);
      } catch {
        break;
      }
    }
  } finally {
    d.done();
  }
  throw lnError(ErrorCodes.LN_TIMEOUT, backend, `invoice still open after ${d.ms} ms`);
}
