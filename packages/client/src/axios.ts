/**
 * An axios interceptor that pays L402 challenges, for code built on axios. It routes the
 * retry through the same {@link L402Client} (budget, token cache, receipts) as `wrapFetch`.
 *
 * @module
 */
import type { L402Client } from './client.js';

/** The parts of an axios instance the interceptor uses (axios is not a dependency). */
export interface AxiosLike {
  interceptors: { request: { use: (...args: never[]) => unknown } };
}

type Use = (onFulfilled: (config: AxiosConfigLike) => AxiosConfigLike) => number;

/** The parts of an axios request config the interceptor reads and writes. */
export interface AxiosConfigLike {
  url?: string;
  baseURL?: string;
  method?: string;
  headers?: Record<string, unknown> & { toJSON?: () => Record<string, unknown> };
  data?: unknown;
  params?: Record<string, unknown>;
  adapter?: unknown;
  responseType?: string;
}

function fullUrl(c: AxiosConfigLike): string {
  const base = c.baseURL ? c.baseURL.replace(/\/$/, '') : '';
  const u = new URL(c.url && /^https?:/i.test(c.url) ? c.url : `${base}/${(c.url ?? '').replace(/^\//, '')}`);
  for (const [k, v] of Object.entries(c.params ?? {}))
    if (v !== undefined && v !== null) u.searchParams.append(k, String(v));
  return u.href;
}

/**
 * Makes an axios instance pay L402 challenges: requests are sent through the farebox client,
 * whose answers axios then reads as usual.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { L402Client, withL402 } from '@farebox/client';
 * const api = withL402(axios.create(), new L402Client({ wallet, budget: { perRequestSats: 50 } }));
 * const { data } = await api.get('https://api.example.com/joke');
 * ```
 */
export function withL402<T extends AxiosLike>(instance: T, client: L402Client): T {
  (instance.interceptors.request.use as unknown as Use)((config) => {
    config.adapter = async (c: AxiosConfigLike) => {
      const raw = c.headers?.toJSON ? c.headers.toJSON() : (c.headers ?? {});
      const headers = new Headers();
      for (const [k, v] of Object.entries(raw))
        if (v !== undefined && v !== null && typeof v !== 'object') headers.set(k, String(v));
      const method = (c.method ?? 'get').toUpperCase();
      let body: BodyInit | undefined;
      if (c.data !== undefined && method !== 'GET' && method !== 'HEAD') {
        body =
          typeof c.data === 'string' || c.data instanceof Uint8Array
            ? (c.data as BodyInit)
            : JSON.stringify(c.data);
        if (typeof c.data === 'object' && !(c.data instanceof Uint8Array) && !headers.has('content-type')) {
          headers.set('content-type', 'application/json');
        }
      }
      const res = await client.fetch(fullUrl(c), {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      let data: unknown = text;
      if (c.responseType !== 'text') {
        try {
          data = text === '' ? '' : JSON.parse(text);
        } catch {
          data = text;
        }
      }
      const out = {
        data,
        status: res.status,
        statusText: res.statusText,
        headers: Object.fromEntries(res.headers),
        config: c,
        request: {},
      };
      if (res.status >= 400) {
        throw Object.assign(new Error(`Request failed with status code ${res.status}`), {
          response: out,
          config: c,
          isAxiosError: true,
        });
      }
      return out;
    };
    return config;
  });
  return instance;
}
