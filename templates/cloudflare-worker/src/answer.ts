/**
 * What the Worker sells: an answer to a prompt. Pick one with `ANSWER` in wrangler.jsonc,
 * or write your own {@link Answer}.
 *
 * - `echo` (default): the seed tutorial's placeholder answer.
 * - `ai`: Workers AI through the `AI` binding (`AI_MODEL`, default Llama 3.1 8B).
 * - `upstream`: POSTs `{"prompt": …}` to `UPSTREAM_URL` (with `UPSTREAM_AUTHORIZATION` as the
 *   `Authorization` header when set) and returns its `result`/`response`, or its whole body.
 *
 * An answer that throws makes the Worker reply 502, and the paywall gives the paid use back:
 * the client retries with the same token and pays nothing more.
 *
 * @module
 */
import type { Config, Env } from './config.js';

/** Turns a prompt into an answer (any JSON value). */
export type Answer = (prompt: string, env: Env) => Promise<unknown>;

/** The answer for the configured `ANSWER`. */
export function answerFor(cfg: Config): Answer {
  if (cfg.answer === 'ai') return aiAnswer(cfg.aiModel);
  if (cfg.answer === 'upstream') return upstreamAnswer(cfg.upstreamUrl!, cfg.upstreamAuthorization);
  return echoAnswer;
}

/** The seed's answer. */
export const echoAnswer: Answer = async (prompt) => `This is your paid API response for: ${prompt}`;

/** Workers AI text generation. */
export function aiAnswer(model: string): Answer {
  return async (prompt, env) => {
    if (!env.AI) throw new Error('no AI binding');
    const out = (await env.AI.run(model as Parameters<Ai['run']>[0], { prompt } as never)) as {
      response?: unknown;
    };
    if (typeof out?.response !== 'string') throw new Error('Workers AI gave no response');
    return out.response;
  };
}

/** Another HTTP service does the work. */
export function upstreamAnswer(url: string, authorization?: string): Answer {
  return async (prompt) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (authorization) headers.authorization = authorization;
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt }),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`upstream answered ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('json')) return await res.text();
    const body = (await res.json()) as Record<string, unknown> | null;
    return body?.result ?? body?.response ?? body;
  };
}
