/**
 * What every hosted-model adapter shares: authenticated JSON requests with a timeout, the
 * mapping of HTTP failures to {@link GenerationError} kinds, rate-limit waits, a
 * create-then-poll loop with a deadline and cancellation, and a size-capped download.
 *
 * Failure kinds: the input is at fault (400, 413, 415, 422, or a job that failed over its
 * content) → `refused`, the client may be refunded; anything else (5xx, timeouts, network,
 * 401/402/403/404 which are the operator's account or configuration, a deadline) →
 * `temporary`, the client retries with the same token.
 *
 * @module
 */
import { GenerationError } from '../types.js';

/** Options every hosted adapter takes. */
export interface HostedOptions {
  /** The provider's API key (sent as `Authorization: Bearer …`). */
  apiKey: string;
  /** The API's origin, e.g. `https://api.replicate.com`; tests point it at a local server. */
  baseUrl?: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Wait between status polls, ms. */
  pollIntervalMs?: number;
  /** Deadline for the whole job (create, poll, download), ms. Default 300,000 (5 min). */
  timeoutMs?: number;
  /** Timeout of each HTTP request, ms. Default 30,000. */
  requestTimeoutMs?: number;
  /** Largest output file accepted, bytes. Default 200 MiB. */
  maxOutputBytes?: number;
  /** Decides whether a failed job's message means the input was refused. */
  classifyFailure?: (message: string) => 'refused' | 'temporary';
}

/** Messages that mean the provider will never accept this input (content rules, bad input). */
const REFUSAL =
  /nsfw|safety|sensitive|flagged|content polic|policy violation|inappropriate|prohibited|not allowed|moderation|invalid (?:input|image|prompt|lyrics)|unsupported (?:image|format|file)|could not (?:detect|find) (?:an? )?(?:object|subject)/i;

/**
 * The default {@link HostedOptions.classifyFailure}.
 *
 * @example
 * ```ts
 * classifyFailure('NSFW content detected'); // 'refused'
 * classifyFailure('CUDA out of memory');    // 'temporary'
 * ```
 */
export function classifyFailure(message: string): 'refused' | 'temporary' {
  return REFUSAL.test(message) ? 'refused' : 'temporary';
}

/** Resolved options with defaults. */
export interface HostedConfig {
  apiKey: string;
  baseUrl: string;
  fetch: typeof fetch;
  pollIntervalMs: number;
  timeoutMs: number;
  requestTimeoutMs: number;
  maxOutputBytes: number;
  classifyFailure: (message: string) => 'refused' | 'temporary';
}

export function resolveHosted(
  who: string,
  options: HostedOptions,
  defaults: { baseUrl: string; pollIntervalMs: number },
): HostedConfig {
  if (!options || typeof options.apiKey !== 'string' || !options.apiKey)
    throw new TypeError(`${who}: apiKey must be a non-empty string`);
  const positive = (name: keyof HostedOptions, v: unknown, dflt: number) => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new RangeError(`${who}: ${name} must be a positive number`);
    return v;
  };
  const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl)) throw new TypeError(`${who}: baseUrl must be an http(s) URL`);
  return {
    apiKey: options.apiKey,
    baseUrl,
    fetch: options.fetch ?? globalThis.fetch,
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs, defaults.pollIntervalMs),
    timeoutMs: positive('timeoutMs', options.timeoutMs, 300_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 30_000),
    maxOutputBytes: positive('maxOutputBytes', options.maxOutputBytes, 200 * 1024 * 1024),
    classifyFailure: options.classifyFailure ?? classifyFailure,
  };
}

/** Sleeps, waking early with the signal's reason if it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `Retry-After` (seconds or an HTTP date) in ms, if present. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A job in progress: its clock and the caller's signal. */
export interface JobContext {
  config: HostedConfig;
  provider: string;
  deadline: number;
  signal: AbortSignal | undefined;
}

/** Thrown inside a job when its deadline passes; turned into a `temporary` failure. */
class DeadlineError extends Error {}

/** Failures that are outages rather than answers (5xx, network, timeouts): a poll may retry them. */
const outages = new WeakSet<GenerationError>();
function outage(message: string, cause?: unknown): GenerationError {
  const error = new GenerationError('temporary', message, cause === undefined ? undefined : { cause });
  outages.add(error);
  return error;
}

/** One HTTP exchange; a thrown error is either the caller's abort reason or a GenerationError. */
export async function call(
  ctx: JobContext,
  url: string,
  init: { method: string; body?: unknown; auth?: boolean; phase: 'create' | 'poll' | 'cancel' | 'download' },
): Promise<Response> {
  const { config, provider } = ctx;
  for (;;) {
    ctx.signal?.throwIfAborted();
    const left = ctx.deadline - Date.now();
    if (left <= 0) throw new DeadlineError(`${provider}: the job did not finish in time`);
    const timeout = AbortSignal.timeout(Math.min(config.requestTimeoutMs, left));
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.auth !== false) headers.authorization = `Bearer ${config.apiKey}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await config.fetch(url, {
        method: init.method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal,
        redirect: init.phase === 'download' ? 'follow' : 'error',
      });
    } catch (cause) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      const what = timeout.aborted ? 'timed out' : 'could not be reached';
      throw outage(`${provider}: the ${init.phase} request ${what}`, cause);
    }
    if (res.status === 429) {
      // Rate limited: nothing was done, so waiting and asking again is safe even for create.
      await res.body?.cancel();
      const wait = retryAfterMs(res.headers) ?? config.pollIntervalMs;
      if (Date.now() + wait >= ctx.deadline) {
        throw new GenerationError('temporary', `${provider}: rate limited until past the deadline`);
      }
      await sleep(wait, ctx.signal);
      continue;
    }
    if (res.ok) return res;
    const detail = await errorDetail(res);
    const message = `${provider}: ${init.phase} failed with HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status >= 500) throw outage(message);
    throw new GenerationError([400, 413, 415, 422].includes(res.status) ? 'refused' : 'temporary', message);
  }
}

/** The provider's own words from an error body (`detail`, `message`, `error`, `title`), trimmed. */
async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const found = [body.detail, body.message, body.error, body.title].find((v) => typeof v === 'string');
    return String(found ?? '').slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

/** Reads a JSON body, mapping garbage to a temporary failure. */
export async function json<T>(ctx: JobContext, res: Response): Promise<T> {
  try {
    return (await res.json()) as T;
  } catch (cause) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw outage(`${ctx.provider}: the response was not JSON`, cause);
  }
}

/** Downloads an output file within the size cap; the key is sent only to the API's own origin. */
export async function download(
  ctx: JobContext,
  url: string,
): Promise<{ bytes: Uint8Array; contentType: string | null }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new GenerationError('temporary', `${ctx.provider}: the output URL is not a URL`, { cause });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new GenerationError('temporary', `${ctx.provider}: the output URL is not http(s)`);
  }
  const sameOrigin = parsed.origin === new URL(ctx.config.baseUrl).origin;
  const res = await call(ctx, parsed.href, { method: 'GET', auth: sameOrigin, phase: 'download' });
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  const cap = ctx.config.maxOutputBytes;
  if (declared > cap) {
    await res.body?.cancel();
    throw new GenerationError(
      'temporary',
      `${ctx.provider}: the output is ${declared} bytes, over the ${cap}-byte cap`,
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = res.body?.getReader();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > cap) {
          await reader.cancel();
          throw new GenerationError('temporary', `${ctx.provider}: the output is over the ${cap}-byte cap`);
        }
        chunks.push(value);
      }
    }
  } catch (cause) {
    if (cause instanceof GenerationError) throw cause;
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw new GenerationError('temporary', `${ctx.provider}: the download broke off`, { cause });
  }
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  if (!bytes.length) throw new GenerationError('temporary', `${ctx.provider}: the output file is empty`);
  return { bytes, contentType: res.headers.get('content-type') };
}

/**
 * Runs one job: `start` creates it, `step` polls until it returns a result, `cancel` is
 * called (best effort, not awaited for long) when the caller aborts or the deadline passes.
 */
export async function runJob<T>(
  ctx: JobContext,
  job: {
    start: () => Promise<string>;
    step: (id: string) => Promise<T | undefined>;
    cancel?: (id: string) => Promise<void>;
  },
): Promise<T> {
  let id: string | undefined;
  const stop = async () => {
    if (!id || !job.cancel) return;
    // A fresh context: the caller's signal is already aborted, but the cancel should still go out.
    await Promise.race([job.cancel(id).catch(() => {}), sleep(2000)]);
  };
  try {
    id = await job.start();
    for (;;) {
      try {
        const result = await job.step(id);
        if (result !== undefined) return result;
      } catch (error) {
        // Polling is idempotent: an outage (5xx, network, timeout) is retried until the deadline.
        if (!(error instanceof GenerationError && outages.has(error))) throw error;
      }
      const left = ctx.deadline - Date.now();
      if (left <= 0) throw new DeadlineError(`${ctx.provider}: the job did not finish in time`);
      await sleep(Math.min(ctx.config.pollIntervalMs, left), ctx.signal);
    }
  } catch (error) {
    if (ctx.signal?.aborted) {
      await stop();
      throw ctx.signal.reason;
    }
    if (error instanceof DeadlineError) {
      await stop();
      throw new GenerationError('temporary', error.message, { cause: error });
    }
    throw error;
  }
}

/** Starts a job clock. */
export function jobContext(
  config: HostedConfig,
  provider: string,
  signal: AbortSignal | undefined,
): JobContext {
  return { config, provider, deadline: Date.now() + config.timeoutMs, signal };
}

/** `data:<mime>;base64,…` for an image, as both providers accept. */
export function dataUri(bytes: Uint8Array, mime: string): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${mime};base64,${btoa(binary)}`;
}
