/**
 * Route matching: method and path pattern, first match wins.
 *
 * Patterns: literal segments, `:name` for one segment, `*` at the end for the rest.
 *
 * @module
 */
import { invalidArgument } from '@farebox/core';
import type { RouteConfig } from './types.js';

/** A compiled route. */
export interface CompiledRoute {
  config: RouteConfig;
  /** `METHOD /path` as written, used in receipts, metrics and discovery. */
  key: string;
  method: string;
  service: string;
  match(path: string, host?: string): Record<string, string> | undefined;
}

const SERVICE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Derives a service name from a path: `/api/l402/music` → `music`. */
export function serviceFromPath(path: string): string {
  const segs = path.split('/').filter((s) => s && !s.startsWith(':') && s !== '*');
  const last = (segs[segs.length - 1] ?? 'api').replace(/[^A-Za-z0-9_.-]/g, '-');
  return SERVICE_RE.test(last) ? last : 'api';
}

/** Compiles a route; throws INVALID_ARGUMENT naming the bad field. */
export function compileRoute(r: RouteConfig, i: number): CompiledRoute {
  if (typeof r.path !== 'string' || !r.path.startsWith('/'))
    invalidArgument(`routes[${i}].path`, 'a path starting with /');
  const method = (r.method ?? '*').toUpperCase();
  const service = r.service ?? serviceFromPath(r.path);
  if (!SERVICE_RE.test(service) || service.includes('_')) {
    // `_` separates the service from the condition in `<service>_valid_until`.
    invalidArgument(`routes[${i}].service`, 'letters, digits, "-" or "." (no "_")');
  }
  if (r.policy?.type === 'credits' && !(Number.isInteger(r.policy.uses) && r.policy.uses >= 1)) {
    invalidArgument(`routes[${i}].policy.uses`, 'an integer ≥ 1');
  }
  if (r.policy?.type === 'pass' && !(r.policy.validSeconds > 0)) {
    invalidArgument(`routes[${i}].policy.validSeconds`, 'a positive number');
  }
  const segs = r.path.split('/').slice(1);
  const rest = segs[segs.length - 1] === '*';
  const fixed = rest ? segs.slice(0, -1) : segs;
  return {
    config: r,
    key: `${method} ${r.path}`,
    method,
    service,
    match(path: string, host?: string) {
      if (r.hosts && r.hosts.length > 0) {
        const h = (host ?? '').toLowerCase();
        const bare = h.replace(/:\d+$/, '');
        if (
          !r.hosts.some((x) =>
            typeof x === 'string'
              ? x.toLowerCase() === h || x.toLowerCase() === bare
              : x.test(h) || x.test(bare),
          )
        ) {
          return undefined;
        }
      }
      if (r.pathRegExp) {
        const m = r.pathRegExp.exec(path);
        return m ? { ...(m.groups ?? {}) } : undefined;
      }
      const parts = path.split('/').slice(1);
      if (rest ? parts.length < fixed.length : parts.length !== fixed.length) return undefined;
      const params: Record<string, string> = {};
      for (let k = 0; k < fixed.length; k++) {
        const p = fixed[k]!;
        const v = parts[k]!;
        if (p.startsWith(':')) {
          if (v === '') return undefined;
          try {
            params[p.slice(1)] = decodeURIComponent(v);
          } catch {
            return undefined;
          }
        } else if (p !== v) return undefined;
      }
      if (rest) params['*'] = parts.slice(fixed.length).join('/');
      return params;
    },
  };
}

/** Finds the first route matching the method and path. */
export function findRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
  host?: string,
): { route: CompiledRoute; params: Record<string, string> } | undefined {
  const m = method.toUpperCase();
  for (const route of routes) {
    if (route.method !== '*' && route.method !== m && !(m === 'HEAD' && route.method === 'GET')) continue;
    const params = route.match(path, host);
    if (params) return { route, params };
  }
  return undefined;
}
