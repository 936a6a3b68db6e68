/**
 * The try pages' script, as browser script text served at `/assets/try.js` (plain ES2017,
 * kept as a string for the same reason as the paywall's page script).
 *
 * The flow is the paywall's own, driven from the page: POST the form as JSON → 400 shows each
 * field's error (nothing charged) → 402: the JSON challenge's invoice as a QR code
 * (`/qr.svg`), copy, WebLN, or the dev wallet (`x-farebox-dev-wallet`) → the preimage, from
 * the wallet or by polling `/.well-known/l402/invoices/<hash>` → the identical request again
 * with `Authorization: L402 <macaroon>:<preimage>` and `Prefer: respond-async` → 202: poll the
 * job URL with the same header, showing progress → the song in `<audio>`, the model in the
 * bundled viewer (`FareboxViewer`). A failed generation is retried with the same token
 * (it burnt nothing); a refused one says how to claim the refund.
 *
 * @module
 */

/** The try pages' script. */
export const TRY_SCRIPT = `(function () {
'use strict';
var form = document.getElementById('try');
if (!form) return;
var d = form.dataset;
function $(id) { return document.getElementById(id); }
var statusEl = $('status');
var submit = $('submit');
var imageUri = null, bodyText = null, challenge = null, auth = null, timer = 0, paidNow = false, retries = 0;

function say(msg, kind) { statusEl.textContent = msg; statusEl.setAttribute('data-kind', kind || 'info'); }
function errText(e) { return (e && e.message) || String(e); }
function clearErrors() {
  var els = form.querySelectorAll('.field-error');
  for (var i = 0; i < els.length; i++) { els[i].hidden = true; els[i].textContent = ''; }
}
function fieldError(name, msg) {
  var el = $('err-' + name) || $('err-body');
  el.textContent = (el.id === 'err-body' && name !== 'body' ? name + ': ' : '') + msg;
  el.hidden = false;
}

// --- the 3D page: an uploaded picture, or a sample drawn here, as a data URI -------------
function setImage(uri) {
  imageUri = uri;
  var p = $('image-preview');
  p.src = uri; p.hidden = false;
  clearErrors();
}
function samplePicture() {
  var c = document.createElement('canvas');
  c.width = 256; c.height = 256;
  var x = c.getContext('2d');
  var g = x.createRadialGradient(104, 96, 10, 128, 128, 100);
  g.addColorStop(0, '#fde68a'); g.addColorStop(0.45, '#f59e0b'); g.addColorStop(1, '#9a3412');
  x.fillStyle = g;
  x.beginPath(); x.arc(128, 128, 96, 0, Math.PI * 2); x.fill();
  x.fillStyle = '#166534';
  x.beginPath(); x.ellipse(150, 36, 26, 10, -0.5, 0, Math.PI * 2); x.fill();
  x.fillStyle = '#78350f'; x.fillRect(124, 22, 8, 24);
  return c.toDataURL('image/png');
}
var fileInput = $('f-image');
if (fileInput) {
  fileInput.addEventListener('change', function () {
    var f = fileInput.files && fileInput.files[0];
    if (!f) return;
    var r = new FileReader();
    r.onload = function () { setImage(String(r.result)); };
    r.onerror = function () { fieldError('image', 'The file could not be read.'); };
    r.readAsDataURL(f);
  });
  $('sample-image').addEventListener('click', function () { setImage(samplePicture()); });
}

function bodyOf() {
  if (d.service === '3d-model') return { image: imageUri || '' };
  var o = {};
  var els = form.querySelectorAll('[name]');
  for (var i = 0; i < els.length; i++) {
    var el = els[i];
    o[el.name] = el.getAttribute('data-int') ? parseInt(el.value, 10) : el.value;
  }
  return o;
}

function reset() {
  clearTimeout(timer);
  challenge = null; auth = null; paidNow = false; retries = 0;
  $('pay').hidden = true; $('progress-box').hidden = true; $('result').hidden = true;
}

form.addEventListener('submit', function (ev) {
  ev.preventDefault();
  reset();
  clearErrors();
  if (d.service === '3d-model' && !imageUri) { fieldError('image', 'Choose a picture first (or use the sample).'); return; }
  bodyText = JSON.stringify(bodyOf());
  submit.disabled = true;
  say('Asking for an invoice…');
  fetch(d.path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: bodyText, cache: 'no-store' })
    .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { r: r, j: j }; }); })
    .then(function (x) {
      if (x.r.status === 400) {
        var fields = (x.j.error && x.j.error.data && x.j.error.data.fields) || {};
        Object.keys(fields).forEach(function (k) { fieldError(k, fields[k]); });
        say('Please correct the fields marked in red; nothing was charged.', 'error');
        submit.disabled = false;
        return;
      }
      if (x.r.status !== 402 || !x.j.invoice) {
        say('Unexpected answer: HTTP ' + x.r.status + (x.j.error ? ' ' + x.j.error.message : ''), 'error');
        submit.disabled = false;
        return;
      }
      showInvoice(x.j, x.r.headers.get('x-farebox-dev-wallet'));
    }, function (e) { say('Could not reach the server: ' + errText(e), 'error'); submit.disabled = false; });
});

function showInvoice(j, devUrl) {
  challenge = j;
  $('pay-amount').textContent = j.price_sats + (j.price_sats === 1 ? ' sat' : ' sats');
  $('pay-invoice').value = j.invoice;
  $('pay-qr').src = '/qr.svg?invoice=' + encodeURIComponent(j.invoice);
  $('pay-link').href = 'lightning:' + j.invoice;
  $('pay-webln').hidden = !window.webln;
  var dev = $('pay-dev');
  dev.hidden = !devUrl; dev.disabled = false;
  dev.setAttribute('data-url', devUrl || '');
  $('pay').hidden = false;
  say('Waiting for the payment of ' + j.price_sats + ' sats…');
  poll();
}

$('pay-copy').addEventListener('click', function () {
  var ta = $('pay-invoice');
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(ta.value).then(function () { say('Invoice copied.'); }, function () { ta.select(); });
  else { ta.select(); try { document.execCommand('copy'); say('Invoice copied.'); } catch (e) { say('Select the invoice text and copy it.'); } }
});

$('pay-webln').addEventListener('click', function () {
  var w = window.webln;
  if (!w || !challenge) return;
  say('Asking your wallet to pay…');
  Promise.resolve(w.enable()).then(function () { return w.sendPayment(challenge.invoice); }).then(function (r) {
    if (r && /^[0-9a-fA-F]{64}$/.test(r.preimage || '')) paid(r.preimage.toLowerCase(), 'Paid with your wallet.');
    else say('The wallet answered without a preimage; waiting for the payment to arrive…');
  }, function (e) { say('The wallet did not pay: ' + errText(e), 'error'); });
});

$('pay-dev').addEventListener('click', function () {
  var btn = $('pay-dev');
  if (!challenge) return;
  btn.disabled = true;
  say('Paying with the dev wallet (no real money)…');
  fetch(btn.getAttribute('data-url'), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ invoice: challenge.invoice }) })
    .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
    .then(function (x) {
      if (x.ok && x.j.preimage) paid(x.j.preimage, 'Paid with the dev wallet.');
      else { btn.disabled = false; say('The dev wallet could not pay: ' + ((x.j.error && x.j.error.message) || 'unknown error'), 'error'); }
    }, function (e) { btn.disabled = false; say('The dev wallet could not pay: ' + errText(e), 'error'); });
});

function poll() {
  if (paidNow || !challenge) return;
  var c = challenge;
  fetch('/.well-known/l402/invoices/' + c.payment_hash, { headers: { accept: 'application/json' }, cache: 'no-store' })
    .then(function (r) { return r.ok ? r.json() : { state: 'retry' }; })
    .then(function (j) {
      if (paidNow || c !== challenge) return;
      if (j.preimage) { paid(j.preimage, 'Payment received.'); return; }
      if (j.state === 'expired' || j.state === 'canceled') { say('The invoice is ' + j.state + '. Send the form again for a new one.', 'error'); submit.disabled = false; return; }
      timer = setTimeout(poll, 1000);
    }, function () { timer = setTimeout(poll, 2000); });
}

function paid(preimage, how) {
  if (paidNow || !challenge) return;
  paidNow = true;
  clearTimeout(timer);
  auth = 'L402 ' + challenge.macaroon + ':' + preimage;
  $('pay').hidden = true;
  $('again').textContent = 'curl -X POST ' + location.origin + d.path + ' \\\\\\n  -H "Content-Type: application/json" \\\\\\n  -H "Authorization: ' + auth + '" \\\\\\n  -d \\'' + (bodyText.length > 300 ? bodyText.slice(0, 120) + '…' : bodyText) + '\\'';
  say(how + ' Sending your request again with the proof of payment…', 'ok');
  send();
}

function send() {
  fetch(d.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: auth, prefer: 'respond-async' },
    body: bodyText,
    cache: 'no-store'
  })
    .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { r: r, j: j }; }); })
    .then(function (x) {
      if (x.r.status === 202) { progress(x.j); pollJob(x.j.job_url); return; }
      finish(x.r.status, x.j);
    }, function (e) { say('Paid, but the request failed: ' + errText(e) + '. Retrying…', 'error'); setTimeout(send, 3000); });
}

function progress(j) {
  $('progress-box').hidden = false;
  $('progress').value = j.progress || 0;
  $('stage').textContent = (j.status === 'queued' ? 'Waiting for a free generator…' : (j.stage || j.status || '')) + ' (' + Math.round((j.progress || 0) * 100) + '%)';
  say('Generating… ' + Math.round((j.progress || 0) * 100) + '%');
}

function pollJob(url) {
  fetch(url, { headers: { authorization: auth, accept: 'application/json' }, cache: 'no-store' })
    .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { r: r, j: j }; }); })
    .then(function (x) {
      if (!x.r.ok) { say('The job could not be read: HTTP ' + x.r.status + (x.j.error ? ' ' + x.j.error.message : ''), 'error'); return; }
      var j = x.j;
      if (j.status === 'succeeded') { show(j.result[d.result], j.metadata); return; }
      if (j.status === 'failed') { retry(j.error ? j.error.message : 'failed'); return; }
      if (j.status === 'refused') { refused(j.error ? j.error.message : 'refused', j.refund); return; }
      progress(j);
      timer = setTimeout(function () { pollJob(url); }, 700);
    }, function () { timer = setTimeout(function () { pollJob(url); }, 2000); });
}

function retry(why) {
  if (retries++ >= 3) { say('The generation failed (' + why + '). Nothing was used: you can retry later with the same payment.', 'error'); submit.disabled = false; return; }
  say('The generation failed (' + why + '); nothing was used. Trying again with the same payment…', 'error');
  setTimeout(send, 2000);
}

function refused(why, refund) {
  $('progress-box').hidden = true;
  say('The generator refused this input: ' + why + '.' + (refund && refund.url ? ' You can claim a refund of ' + refund.amount_sats + ' sats: ' + refund.how + ' to ' + refund.url + '.' : ''), 'error');
  submit.disabled = false;
}

function finish(status, j) {
  if (status === 200 && j[d.result]) { show(j[d.result]); return; }
  if (status === 503) { retry(j.error ? j.error.message : 'unavailable'); return; }
  if (status === 422) { refused(j.error ? j.error.message : 'refused', j.error && j.error.data && j.error.data.refund); return; }
  say('Paid, but the server answered HTTP ' + status + (j.error ? ': ' + j.error.message : ''), 'error');
  submit.disabled = false;
}

function show(url, meta) {
  $('progress-box').hidden = true;
  $('result').hidden = false;
  var a = $('download');
  a.href = url;
  $('result-url').textContent = url;
  submit.disabled = false;
  if (d.service === 'music') {
    var p = $('player');
    p.src = url;
    say('Your song is ready.' + (meta && meta.tempo ? ' ' + meta.tempo + ' BPM' + (meta.key ? ', ' + meta.key : '') + '.' : ''), 'ok');
    $('result-h').focus();
    return;
  }
  say('Loading the model…');
  fetch(url).then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.arrayBuffer(); })
    .then(function (buf) { return window.FareboxViewer.show($('viewer'), buf, { renderer: location.hash === '#2d' ? '2d' : undefined }); })
    .then(function (v) {
      $('viewer-info').textContent = v.triangles + ' triangles, drawn with ' + (v.renderer === 'webgl' ? 'WebGL' : 'a 2D canvas') + '.';
      say('Your 3D model is ready.', 'ok');
      $('result-h').focus();
    }, function (e) { say('The model could not be shown: ' + errText(e) + '. You can still download it.', 'error'); });
}
})();
`;
