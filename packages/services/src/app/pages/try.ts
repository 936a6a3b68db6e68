/**
 * A try-it page per service: the form (or an image upload), then the paywall's own flow run by
 * the page's script: the API's 402 JSON, the invoice as a QR code, payment by any wallet,
 * WebLN or the dev wallet, the preimage from the invoice status endpoint, the identical
 * request again with the credential (`Prefer: respond-async`, then polling the job with a
 * progress bar), and the result: the song in an `<audio>` player, the model in a WebGL viewer
 * bundled with the app (no CDN).
 *
 * @module
 */
import { escapeHtml } from '@farebox/server';
import { AUDIO_FORMATS, BITRATE_RANGE, MUSIC_EXAMPLE, SAMPLE_RATES } from '../requests.js';
import type { ServiceDefinition } from '../services.js';
import type { PageInput } from './home.js';
import { page } from './layout.js';

const e = escapeHtml;

function options(values: readonly (string | number)[], selected: string | number): string {
  return values
    .map(
      (v) => `<option value="${e(String(v))}"${v === selected ? ' selected' : ''}>${e(String(v))}</option>`,
    )
    .join('');
}

function errorSlot(name: string): string {
  return `<p class="field-error" data-for="${e(name)}" id="err-${e(name)}" hidden></p>`;
}

function musicFields(): string {
  const bitrates = [32000, 64000, 128000, 192000, 256000, 320000].filter(
    (b) => b >= BITRATE_RANGE.min && b <= BITRATE_RANGE.max,
  );
  return `<label for="f-prompt">Style prompt <span class="muted">(10-300 characters)</span></label>
<textarea id="f-prompt" name="prompt" rows="2" maxlength="300" required aria-describedby="err-prompt">${e(MUSIC_EXAMPLE.prompt)}</textarea>
${errorSlot('prompt')}
<label for="f-lyrics">Lyrics <span class="muted">(10-600 characters)</span></label>
<textarea id="f-lyrics" name="lyrics" rows="4" maxlength="600" required aria-describedby="err-lyrics">${e(MUSIC_EXAMPLE.lyrics)}</textarea>
${errorSlot('lyrics')}
<input type="hidden" name="model" value="Music Generation">
<div class="row">
<div><label for="f-format">Audio format</label><select id="f-format" name="audio_format">${options(AUDIO_FORMATS, 'mp3')}</select>${errorSlot('audio_format')}</div>
<div><label for="f-rate">Sample rate (Hz)</label><select id="f-rate" name="sample_rate" data-int="1">${options(SAMPLE_RATES, 44100)}</select>${errorSlot('sample_rate')}</div>
<div><label for="f-bitrate">Bitrate (bit/s, MP3)</label><select id="f-bitrate" name="bitrate" data-int="1">${options(bitrates, 256000)}</select>${errorSlot('bitrate')}</div>
</div>`;
}

function modelFields(maxBytes: number): string {
  return `<label for="f-image">Picture of an object <span class="muted">(PNG, JPEG or WebP, at most ${Math.floor(maxBytes / 1024 / 1024)} MB)</span></label>
<input id="f-image" type="file" accept="image/png,image/jpeg,image/webp" aria-describedby="err-image">
<p><button type="button" class="secondary" id="sample-image">Use a sample picture</button></p>
<img id="image-preview" class="preview" alt="The picture to turn into a 3D model" hidden>
${errorSlot('image')}`;
}

/** Renders the try-it page of a service. */
export function renderTry(input: PageInput & { service: ServiceDefinition }): Response {
  const s = input.service;
  const publicFiles = input.config.files.publicBaseUrl
    ? [new URL(input.config.files.publicBaseUrl).origin]
    : [];
  const body = `<h1>Try: ${e(s.title)}</h1>
<p>${e(s.description)} <span class="price">${e(s.priceText)}</span> per call, paid over Lightning. <a href="/#${e(s.name)}">API guide</a></p>
<form class="card" id="try" novalidate data-path="${e(s.path)}" data-service="${e(s.name)}" data-result="${e(s.resultKey)}" data-devwallet="${input.devWallet ? '1' : '0'}">
${s.name === 'music' ? musicFields() : modelFields(input.config.maxImageBytes)}
${errorSlot('body')}
<div class="actions"><button type="submit" id="submit">${s.name === 'music' ? 'Compose the song' : 'Make the 3D model'}</button></div>
</form>
<p id="status" role="status" aria-live="polite"></p>
<section class="card" id="pay" aria-labelledby="pay-h" hidden>
<h2 id="pay-h">Pay <span id="pay-amount"></span> with Lightning</h2>
<a id="pay-link" href="#"><img id="pay-qr" class="qr" alt="QR code of the Lightning invoice"></a>
<label for="pay-invoice">Invoice (BOLT11)</label>
<textarea id="pay-invoice" class="invoice" rows="4" readonly spellcheck="false"></textarea>
<div class="actions">
<button type="button" class="secondary" id="pay-copy">Copy invoice</button>
<button type="button" id="pay-webln" hidden>Pay with WebLN</button>
<button type="button" class="dev" id="pay-dev" hidden>Pay with the dev wallet</button>
</div>
<p class="muted">This page notices the payment by itself and then sends your request again with the proof of payment.</p>
</section>
<section class="card" id="progress-box" aria-labelledby="progress-h" hidden>
<h2 id="progress-h">Generating</h2>
<progress id="progress" max="1" value="0"></progress>
<p id="stage" class="muted"></p>
</section>
<section class="card" id="result" aria-labelledby="result-h" hidden>
<h2 id="result-h" tabindex="-1">${s.name === 'music' ? 'Your song' : 'Your 3D model'}</h2>
${
  s.name === 'music'
    ? '<audio id="player" controls preload="metadata"></audio>'
    : '<canvas id="viewer" width="800" height="600" aria-label="3D model viewer: drag to turn, wheel to zoom" role="img"></canvas><p class="muted">Drag to turn the model, use the wheel to zoom. <span id="viewer-info"></span></p>'
}
<p><a id="download" class="button secondary" download>Download</a> <span id="result-url" class="muted"></span></p>
<details><summary>Fetch it again from the command line</summary><pre><code id="again"></code></pre></details>
</section>`;
  return page({
    title: `Try ${s.title}: farebox services`,
    notice: input.notice,
    body,
    scripts: s.name === 'music' ? ['/assets/try.js'] : ['/assets/viewer.js', '/assets/try.js'],
    extraOrigins: publicFiles,
  });
}
