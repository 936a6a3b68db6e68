/**
 * The home page: the guide the seeds are (what L402 is, the two-step flow, and per service its
 * endpoint, price, the two curl requests, the expected answers and the request fields),
 * generated from the service table so it never drifts from what the paywall enforces.
 *
 * @module
 */
import { escapeHtml } from '@farebox/server';
import type { ServicesConfig } from '../config.js';
import type { ServiceDefinition } from '../services.js';
import { page } from './layout.js';

/** What the pages are made from. */
export interface PageInput {
  services: readonly ServiceDefinition[];
  config: ServicesConfig;
  notice: string | undefined;
  refunds: boolean;
  devWallet: boolean;
  /** The public origin, for absolute URLs in the examples. */
  base: string;
}

const e = escapeHtml;

/** Renders one JSON Schema property as the seeds list request fields. */
function param(name: string, p: Record<string, unknown>, required: boolean): string {
  const type = String(p.type ?? 'string');
  const lines: string[] = [];
  if (p.description) lines.push(e(String(p.description)));
  if (Array.isArray(p.enum) && p.enum.length > 1)
    lines.push(`Accepted values: ${p.enum.map((v) => `<code>${e(JSON.stringify(v))}</code>`).join(', ')}`);
  if (p.minimum !== undefined || p.maximum !== undefined)
    lines.push(`From ${e(String(p.minimum ?? '…'))} to ${e(String(p.maximum ?? '…'))}.`);
  if (p.default !== undefined) lines.push(`Default: <code>${e(JSON.stringify(p.default))}</code>`);
  return `<dt><code>${e(name)}</code>: ${e(type)} ${required ? '(required)' : '(optional)'}</dt>\n${lines.map((l) => `<dd>${l}</dd>`).join('\n')}`;
}

/** The curl command of a request; long data URIs are shortened for reading, as the seed does. */
function curl(base: string, s: ServiceDefinition, auth: boolean): string {
  const body = JSON.stringify(s.example);
  const lines = [
    `curl -X POST ${base}${s.path} \\`,
    `  -H "Content-Type: application/json" \\`,
    ...(auth ? ['  -H "Authorization: L402 <YOUR_MACAROON>:<YOUR_PREIMAGE>" \\'] : []),
    `  -d '${body}'${auth ? '' : ' \\\n  -i'}`,
  ];
  return lines.join('\n');
}

function serviceSection(input: PageInput, s: ServiceDefinition): string {
  const { base } = input;
  const props = (s.schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((s.schema.required as string[] | undefined) ?? []);
  const endpoint = `${base}${s.path}`;
  const imageTip =
    s.name === '3d-model'
      ? `<p>With your own picture (the example is a 1×1 pixel PNG):</p>
<pre><code>curl -X POST ${e(endpoint)} \\
  -H "Content-Type: application/json" \\
  -d "{\\"image\\":\\"data:image/png;base64,$(base64 -w0 photo.png)\\"}" \\
  -i</code></pre>`
      : '';
  return `<section class="card" id="${e(s.name)}" aria-labelledby="${e(s.name)}-h">
<h2 id="${e(s.name)}-h">Using the L402 ${e(s.title)} API</h2>
<p>${e(s.description)}</p>
<p><strong>API Endpoint:</strong> <code>${e(endpoint)}</code><br><strong>Price:</strong> <span class="price">${e(s.priceText)}</span> per call · <a href="${e(s.tryPath)}">Try it in the browser</a></p>
<h3>Step 1: Initial Request</h3>
<p>Send your ${s.name === 'music' ? 'music parameters' : 'image as a base64 data URI'}. You will receive a <code>402 Payment Required</code> response.</p>
<pre><code>${e(curl(base, s, false))}</code></pre>
${imageTip}
<p>Expected response headers:</p>
<pre><code>www-authenticate: L402 macaroon="&lt;YOUR_MACAROON&gt;", invoice="&lt;LIGHTNING_INVOICE&gt;"</code></pre>
<p>The JSON body carries the same: <code>macaroon</code>, <code>invoice</code>, <code>payment_hash</code>, <code>price_sats</code>.</p>
<h3>Step 2: Pay the Lightning Invoice</h3>
<p>Pay the invoice with any Lightning wallet and save the preimage.</p>
<h3>Step 3: Final Request</h3>
<p>Send the same request with the <code>Authorization</code> header. The JSON must be the same as in step 1 (formatting may differ; values may not).</p>
<pre><code>${e(curl(base, s, true))}</code></pre>
<p>Expected successful response:</p>
<pre><code>{ "${e(s.resultKey)}": "${e(base)}/files/…" }</code></pre>
${s.notes.map((n) => `<p><strong>Note:</strong> ${e(n)}</p>`).join('\n')}
<h3>Request Body Parameters</h3>
<dl class="params">
${Object.entries(props)
  .map(([k, p]) => param(k, p, required.has(k)))
  .join('\n')}
</dl>
</section>`;
}

/** Renders the home page. */
export function renderHome(input: PageInput): Response {
  const { services, config } = input;
  const cards = services
    .map(
      (s) => `<article class="card">
<h3>${e(s.title)}</h3>
<p>${e(s.description)}</p>
<p class="price">${e(s.priceText)}</p>
<p><a class="button" href="${e(s.tryPath)}">Try it</a> <a class="button secondary" href="#${e(s.name)}">API guide</a></p>
</article>`,
    )
    .join('\n');
  const body = `<h1>${e(config.title)}</h1>
<section aria-labelledby="l402-h">
<h2 id="l402-h">Understanding L402: pay-per-use APIs with Bitcoin</h2>
<p>L402 lets applications pay each other per call, without accounts, passwords or card details. It combines:</p>
<ul>
<li><strong>Macaroons</strong>: tamper-proof digital tickets that grant access.</li>
<li><strong>The Lightning Network</strong>: instant, low-fee Bitcoin payments.</li>
</ul>
<p>You pay only for what you use, and nobody learns more about you than the request itself.</p>
</section>
<h2 id="services">Choose a service</h2>
<div class="services">
${cards}
</div>
<section class="card" aria-labelledby="howto-h">
<h2 id="howto-h">How to use these L402 services: step by step</h2>
<p>Two requests: the first gets a bill (an invoice) and a ticket (a macaroon); the second, after you paid, presents the ticket and the proof of payment (the preimage).</p>
<h3>Step 1: Request access and get your ticket and invoice</h3>
<ol>
<li>Send your API request to the service endpoint.</li>
<li>Receive <code>402 Payment Required</code>. The response header holds a macaroon (your ticket) and an invoice (a Lightning payment request):
<pre><code>www-authenticate: L402 macaroon="&lt;YOUR_UNIQUE_MACAROON&gt;", invoice="&lt;LIGHTNING_INVOICE_STRING&gt;"</code></pre></li>
</ol>
<h3>Step 2: Pay the invoice and use the service</h3>
<ol>
<li>Pay the Lightning invoice with any Lightning wallet.</li>
<li>Your wallet gives you a preimage: your proof of payment.</li>
<li>Send the exact same request again, with the header
<pre><code>Authorization: L402 &lt;YOUR_UNIQUE_MACAROON&gt;:&lt;YOUR_PREIMAGE&gt;</code></pre></li>
</ol>
<h3>Important notes</h3>
<ul>
<li><strong>Identical requests.</strong> The ticket is bound to the request: same method, path and JSON. The JSON is compared as parsed JSON, so whitespace and key order do not matter; a changed value gets <code>401</code> with the code <code>L402_REQUEST_MISMATCH</code> (and a fresh invoice for the new request).</li>
<li><strong>Invalid requests cost nothing.</strong> They are checked before any invoice: <code>400</code> with every field's error.</li>
<li><strong>One payment, one generation.</strong> Repeating the paid request with the same header returns the same file again (a dropped connection loses nothing); two identical paid requests at once share one generation.</li>
<li><strong>A failed generation costs nothing.</strong> Repeat the same request with the same header.</li>
<li><strong>Refunds.</strong> ${
    input.refunds
      ? 'If the generator refuses your input for good (<code>422</code>, <code>SERVICE_GENERATION_REFUSED</code>), send <code>POST /api/l402/refund</code> with the same <code>Authorization</code> header and <code>{"invoice": "&lt;your invoice for the amount paid&gt;"}</code>: it is paid once.'
      : 'This server cannot pay refunds (its Lightning backend only receives).'
  }</li>
<li><strong>Long jobs.</strong> The request waits until the file is ready. Or add <code>Prefer: respond-async</code> to the paid request: the answer is <code>202</code> with a job URL (<code>/api/l402/jobs/&lt;id&gt;</code>) to poll with the same <code>Authorization</code> header for status, progress, then the result.</li>
<li><strong>Files</strong> are kept for ${Math.round(config.files.ttlSeconds / 3600)} hours at unguessable URLs; audio supports range requests (seeking).</li>
<li><strong>Not a stream.</strong> Answers are whole JSON documents.</li>
</ul>
</section>
${services.map((s) => serviceSection(input, s)).join('\n')}`;
  return page({ title: config.title, notice: input.notice, body });
}
