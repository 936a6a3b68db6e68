/**
 * The payment page: what a browser (`Accept: text/html`) gets instead of the JSON 402.
 *
 * One self-contained HTML document (no CDN, fonts or external scripts) with the same status
 * and `WWW-Authenticate` headers as the JSON answer, so L402 clients that send
 * `Accept: text/html` still find their challenge. It shows what is bought, the price, the
 * invoice as a QR code drawn on the server, the invoice text, and ways to pay (any wallet,
 * WebLN, the dev wallet on a dev node). Its script polls the invoice status and, once it has
 * the preimage, repeats the request with `Authorization: L402 <macaroon>:<preimage>` and shows
 * the result. Without JavaScript the page still shows everything needed to pay and retry by
 * hand.
 *
 * Web Standards only (it renders in Workers too). A strict `Content-Security-Policy`: the
 * one inline script runs by nonce; nothing may load from another origin.
 *
 * @module
 */
import { buildChallenges } from '@farebox/core';
import qrcode from 'qrcode-generator';
import { PAYMENT_PAGE_SCRIPT } from './page-script.js';
import type { Challenge } from './responses.js';

/** What the engine hands the page renderer. */
export interface PaymentPageInput {
  /** The request that needs paying (its method and body presence decide the auto-retry). */
  req: Request;
  challenge: Challenge;
  /** 402, or 401 when a credential was refused (a fresh challenge is attached). */
  status: number;
  /** The error code of the JSON answer (shown on 401). */
  code: string;
  /** Shown prominently at the top, e.g. "dev node: no real money". */
  notice?: string | undefined;
  /** Offer "Pay with the dev wallet" (the server has a dev wallet at `<basePath>/dev-pay`). */
  devPay?: boolean | undefined;
  /** farebox's own endpoints (default `/.well-known/l402`). */
  basePath?: string | undefined;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from '@farebox/server';
 * escapeHtml('<b>"hi"</b>'); // '&lt;b&gt;&quot;hi&quot;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * An SVG QR code of `text`. Rows of dark modules become one stroked path (a few KB where the
 * library's own SVG, one square per module, is ~45 KB). Four modules of quiet zone, as the
 * QR spec (ISO/IEC 18004 §6.3.8) asks.
 *
 * @example
 * ```ts
 * import { qrSvg } from '@farebox/server';
 * const svg = qrSvg('LIGHTNING:LNBCRT10N1…', { label: 'QR code of the invoice' });
 * ```
 */
export function qrSvg(text: string, opts: { label?: string; alphanumeric?: boolean } = {}): string {
  if (typeof text !== 'string' || text.length === 0)
    throw new TypeError('qrSvg: "text" must be a non-empty string');
  const qr = qrcode(0, 'M');
  qr.addData(text, opts.alphanumeric ? 'Alphanumeric' : 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const q = 4;
  let d = '';
  for (let y = 0; y < n; y++) {
    let x = 0;
    let penX = -1;
    while (x < n) {
      if (!qr.isDark(y, x)) {
        x++;
        continue;
      }
      const start = x;
      while (x < n && qr.isDark(y, x)) x++;
      // The stroke runs along the middle of the row (y + .5); relative moves keep the path short.
      d += penX < 0 ? `M${start + q} ${y + q}.5` : `m${start - penX} 0`;
      d += `h${x - start}`;
      penX = x;
    }
  }
  const size = n + 2 * q;
  const label = escapeHtml(opts.label ?? 'QR code');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" role="img" ` +
    `aria-label="${label}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/>` +
    `<path stroke="#000" stroke-width="1" d="${d}"/></svg>`
  );
}

/** `1234567` → `1,234,567`; fractional sats keep their msat digits. */
function formatSats(msat: bigint): string {
  const whole = (msat / 1000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = msat % 1000n;
  return frac === 0n ? whole : `${whole}.${frac.toString().padStart(3, '0').replace(/0+$/, '')}`;
}

function base64Nonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...b));
}

const STYLE = `:root{color-scheme:light;--fg:#111827;--muted:#4b5563;--line:#d1d5db;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#f3f4f6}
main{max-width:34rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid var(--line);border-radius:.75rem;padding:1.25rem;margin:1rem 0}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:0 0 .75rem}
.notice{background:#fef3c7;border:2px solid #b45309;color:#78350f;border-radius:.5rem;padding:.6rem .9rem;font-weight:700;margin:0}
.what{margin:.25rem 0 .75rem;color:var(--muted);overflow-wrap:anywhere}
.price{font-size:2rem;font-weight:700;margin:0}.price small{font-size:1rem;color:var(--muted)}
.refused{color:#991b1b}
.qr{display:block;max-width:18rem;margin:0 auto 1rem;border:1px solid var(--line)}.qr svg{display:block;width:100%;height:auto}
label{display:block;font-weight:600;margin-bottom:.25rem}
textarea{width:100%;font:.8rem/1.4 ui-monospace,Menlo,Consolas,monospace;border:1px solid var(--line);border-radius:.4rem;padding:.5rem;resize:vertical;word-break:break-all}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
button,.button{font:inherit;font-weight:600;padding:.55rem .9rem;border-radius:.45rem;border:2px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
.secondary{background:#fff;color:var(--accent)}
.dev{background:#92400e;border-color:#92400e}
button:disabled{opacity:.6;cursor:default}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
#l402-status{font-weight:600;min-height:1.5em}#l402-status[data-kind=error]{color:#991b1b}#l402-status[data-kind=ok]{color:#166534}
pre,code{font:.85rem/1.4 ui-monospace,Menlo,Consolas,monospace}pre{background:#f9fafb;border:1px solid var(--line);border-radius:.4rem;padding:.75rem;overflow:auto;white-space:pre-wrap;word-break:break-word}
#l402-out img,#l402-out video{max-width:100%}
.muted{color:var(--muted);font-size:.9rem}`;

/**
 * Renders the payment page for a challenge: same status and `WWW-Authenticate` headers as the
 * JSON answer, `text/html`, `no-store`, and a CSP whose only script is the page's own (nonce).
 * The engine uses it by default for browsers (`paymentPage: false` turns it off).
 *
 * @example
 * ```ts
 * import { renderPaymentPage } from '@farebox/server';
 * const res = renderPaymentPage({
 *   req: new Request('http://localhost/joke'),
 *   challenge: { macaroon: 'AgEE', invoice: 'lnbcrt210n1…', paymentHash: '00'.repeat(32), amountMsat: 21_000n, expiresAt: 1_900_000_000, description: 'A joke' },
 *   status: 402,
 *   code: 'PAYMENT_REQUIRED',
 *   notice: 'dev node: no real money',
 * });
 * ```
 */
export function renderPaymentPage(input: PaymentPageInput): Response {
  const { req, challenge: c, status, code } = input;
  const nonce = base64Nonce();
  const base = input.basePath ?? '/.well-known/l402';
  const sats = formatSats(c.amountMsat);
  const unit = c.amountMsat === 1000n ? 'sat' : 'sats';
  const description = c.description;
  const invoice = c.invoice;
  const expires = new Date(c.expiresAt * 1000).toISOString();
  // A body cannot be replayed from the page (it was read by the server): such requests are
  // retried by hand with the header shown once paid.
  const hasBody =
    req.method !== 'GET' &&
    req.method !== 'HEAD' &&
    (Number(req.headers.get('content-length') ?? 0) > 0 || req.headers.has('transfer-encoding'));
  // Upper case fits QR's alphanumeric mode (5.5 bits a character instead of 8): a smaller code.
  const qr = qrSvg(`LIGHTNING:${invoice.toUpperCase()}`, {
    alphanumeric: true,
    label: 'QR code of the Lightning invoice',
  });
  const e = escapeHtml;
  const lightningUri = `lightning:${e(invoice)}`;
  const data = [
    ['invoice', invoice],
    ['macaroon', c.macaroon],
    ['hash', c.paymentHash],
    ['base', base],
    ['method', req.method],
    ['accept', req.headers.get('accept') ?? ''],
    ['expires', String(c.expiresAt)],
    ['devpay', input.devPay ? '1' : '0'],
    ['body', hasBody ? '1' : '0'],
  ]
    .map(([k, v]) => ` data-${k}="${e(v!)}"`)
    .join('');

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>Pay ${sats} ${unit}: ${e(description)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main id="l402"${data}>
${input.notice ? `<p class="notice" role="note">${e(input.notice)}</p>\n` : ''}<div class="card">
<h1 id="l402-title">Payment required</h1>
<p class="what">${e(description)}</p>
<p class="price">${sats} <small>${unit}</small></p>
${status === 401 ? `<p class="refused">Your credential was not accepted (${e(code)}); this is a fresh invoice.</p>\n` : ''}</div>
<section class="card pay" id="l402-pay" aria-labelledby="l402-pay-h">
<h2 id="l402-pay-h">Pay with Lightning</h2>
<a class="qr" href="${lightningUri}" title="Open in a Lightning wallet">${qr}</a>
<label for="l402-invoice">Invoice (BOLT11)</label>
<textarea id="l402-invoice" rows="5" readonly spellcheck="false">${e(invoice)}</textarea>
<div class="actions">
<button type="button" id="l402-copy" class="secondary" hidden>Copy invoice</button>
<a class="button secondary" href="${lightningUri}">Open in wallet</a>
<button type="button" id="l402-webln" hidden>Pay with wallet (WebLN)</button>
${input.devPay ? '<button type="button" id="l402-devpay" class="dev" hidden>Pay with the dev wallet</button>\n' : ''}</div>
<p class="muted">The invoice expires at <time datetime="${expires}">${expires.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>.</p>
</section>
<p id="l402-status" role="status" aria-live="polite">After paying, repeat this request with the header below (this page fetches it for you when JavaScript is on).</p>
<button type="button" id="l402-retry" hidden>Try again</button>
<section class="card" id="l402-result" aria-labelledby="l402-result-h" hidden>
<h2 id="l402-result-h" tabindex="-1">What you paid for</h2>
<div id="l402-out"></div>
</section>
<details class="card" id="l402-manual">
<summary>Pay from code or the command line</summary>
<p>Pay the invoice, then send the identical request again with this header (the preimage in hex):</p>
<pre><code id="l402-auth">Authorization: L402 ${e(c.macaroon)}:&lt;preimage&gt;</code></pre>
<p class="muted">The same challenge is in this response's <code>WWW-Authenticate</code> header; ask with <code>Accept: application/json</code> for it as JSON.</p>
</details>
</main>
<script nonce="${nonce}">${PAYMENT_PAGE_SCRIPT}</script>
</body>
</html>
`;

  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      // Paid HTML replaces this document and keeps this policy: its same-origin stylesheets
      // and images still load; scripts stay limited to the nonce.
      `style-src 'self' 'nonce-${nonce}'`,
      "img-src 'self' data: blob:",
      "media-src 'self' blob:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  for (const v of buildChallenges({ macaroon: c.macaroon, invoice })) headers.append('www-authenticate', v);
  // The same hint as the JSON answer, for tools that read headers whatever the body.
  if (input.devPay) headers.set('x-farebox-dev-wallet', `${base}/dev-pay`);
  return new Response(html, { status, headers });
}
