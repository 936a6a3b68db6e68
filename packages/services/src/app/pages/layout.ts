/**
 * The pages' shell: one stylesheet, the dev-node notice on every page, and a strict
 * Content-Security-Policy (scripts and styles from this origin only, nothing from anywhere
 * else: the pages work offline and no CDN is ever asked).
 *
 * @module
 */
import { escapeHtml } from '@farebox/server';

/** Security headers of every page. `extraOrigins`: where files are published, when elsewhere. */
export function pageHeaders(extraOrigins: string[] = []): Record<string, string> {
  const extra = extraOrigins.length ? ` ${extraOrigins.join(' ')}` : '';
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      `media-src 'self' blob:${extra}`,
      `connect-src 'self'${extra}`,
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** A complete HTML page. */
export function page(opts: {
  title: string;
  notice: string | undefined;
  body: string;
  scripts?: string[];
  extraOrigins?: string[];
}): Response {
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(opts.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header class="top"><a class="brand" href="/">farebox services</a><nav><a href="/#services">Services</a><a href="/try/music">Try music</a><a href="/try/3d-model">Try 3D</a><a href="/openapi.json">OpenAPI</a></nav></header>
${opts.notice ? `<p class="notice" role="note">⚠ ${e(opts.notice)}</p>\n` : ''}<main>
${opts.body}
</main>
<footer><p>Machine-readable: <a href="/.well-known/l402-services">/.well-known/l402-services</a> · <a href="/llms.txt">/llms.txt</a> · <a href="/openapi.json">/openapi.json</a>. Served by farebox.</p></footer>
${(opts.scripts ?? []).map((s) => `<script src="${e(s)}" defer></script>`).join('\n')}
</body>
</html>
`;
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...pageHeaders(opts.extraOrigins),
    },
  });
}

/** The stylesheet (`/assets/style.css`). */
export const STYLE_CSS = `:root{color-scheme:light;--fg:#111827;--muted:#4b5563;--line:#d1d5db;--accent:#1d4ed8;--bg:#f3f4f6}
*{box-sizing:border-box}
[hidden]{display:none !important}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
.top{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;background:#111827}
.top a{color:#fff;text-decoration:none;margin-left:1rem}.top .brand{font-weight:700;margin:0}
.notice{background:#fef3c7;border-bottom:2px solid #b45309;color:#78350f;padding:.6rem 1rem;font-weight:700;margin:0;text-align:center}
main{max-width:52rem;margin:0 auto;padding:1rem}
footer{max-width:52rem;margin:0 auto;padding:1rem;color:var(--muted);font-size:.9rem}
.card{background:#fff;border:1px solid var(--line);border-radius:.75rem;padding:1.25rem;margin:1rem 0}
h1{font-size:1.7rem;margin:.5rem 0}h2{font-size:1.3rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
.services{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem}
.services .card{margin:0}
.price{font-weight:700}
.muted{color:var(--muted)}
pre,code{font:.85rem/1.45 ui-monospace,Menlo,Consolas,monospace}
pre{background:#0f172a;color:#e2e8f0;border-radius:.5rem;padding:.8rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
code{background:#e5e7eb;border-radius:.25rem;padding:0 .2rem}pre code{background:none;padding:0}
dl.params dt{font-weight:700;margin-top:.6rem}dl.params dd{margin:.1rem 0 0 1rem}
.button,button{display:inline-block;font:inherit;font-weight:600;padding:.55rem .9rem;border-radius:.45rem;border:2px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
.button.secondary,button.secondary{background:#fff;color:var(--accent)}
button.dev{background:#92400e;border-color:#92400e}
button:disabled{opacity:.6;cursor:default}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
label{display:block;font-weight:600;margin:.8rem 0 .25rem}
input[type=text],textarea,select{width:100%;font:inherit;border:1px solid var(--line);border-radius:.4rem;padding:.45rem;background:#fff}
textarea{resize:vertical}
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem}
.field-error{color:#991b1b;font-weight:600;margin:.2rem 0 0;font-size:.9rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.qr{display:block;width:16rem;max-width:100%;margin:0 auto 1rem;border:1px solid var(--line)}
#status{font-weight:600;min-height:1.5em}#status[data-kind=error]{color:#991b1b}#status[data-kind=ok]{color:#166534}
progress{width:100%;height:1.2rem}
#viewer{display:block;width:100%;aspect-ratio:4/3;background:#1f2937;border-radius:.5rem;touch-action:none;cursor:grab}
audio{width:100%}
.preview{max-width:12rem;max-height:12rem;display:block;margin:.5rem 0;border:1px solid var(--line);border-radius:.4rem}
.invoice{font:.75rem/1.4 ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
`;
