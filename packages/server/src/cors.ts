/**
 * CORS for browser clients: preflight answers, and `WWW-Authenticate` exposed so a page
 * can read the challenge.
 *
 * @module
 */
import type { PaywallOptions } from './types.js';

function allowedOrigin(cors: PaywallOptions['cors'], origin: string | null): string | undefined {
  if (!cors || !origin) return undefined;
  if (cors === true) return '*';
  if (cors.origins === '*') return '*';
  return cors.origins.includes(origin) ? origin : undefined;
}

/** Headers to add to an answer for a cross-origin request (undefined when CORS is off or the origin is not allowed). */
export function corsHeaders(cors: PaywallOptions['cors'], req: Request): Record<string, string> | undefined {
  const origin = allowedOrigin(cors, req.headers.get('origin'));
  if (!origin) return undefined;
  const h: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'WWW-Authenticate, Retry-After, Content-Type',
  };
  if (origin !== '*') h.vary = 'Origin';
  return h;
}

/** A preflight answer, or undefined when CORS is off. */
export function preflight(cors: PaywallOptions['cors'], req: Request): Response | undefined {
  const base = corsHeaders(cors, req);
  if (!base) return undefined;
  const extra = typeof cors === 'object' ? (cors.allowHeaders ?? []) : [];
  return new Response(null, {
    status: 204,
    headers: {
      ...base,
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'access-control-allow-headers': ['Authorization', 'Content-Type', 'Accept', ...extra].join(', '),
      'access-control-max-age': String(typeof cors === 'object' ? (cors.maxAgeSeconds ?? 600) : 600),
    },
  });
}
