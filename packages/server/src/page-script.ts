/**
 * The payment page's browser script, as text: the page inlines it under a CSP nonce.
 *
 * Plain ES2017 for any current browser; it reads its inputs from the `data-*` attributes
 * of `<main id="l402">` (HTML-escaped by the server), so nothing is interpolated into code.
 * Kept as a string rather than a compiled function so no build tool can rewrite it
 * (coverage counters, helper names) into something the browser cannot run.
 *
 * What it does: shows the buttons that need JavaScript; polls
 * `<base>/invoices/<hash>` every 1.5 s; takes a preimage from polling, WebLN
 * (`webln.enable()` + `sendPayment`) or the dev wallet (`POST <base>/dev-pay`); then repeats
 * the original request with `Authorization: L402 <macaroon>:<preimage>` and renders the answer
 * in place (JSON pretty-printed, text as text, HTML replacing the document, images, audio and
 * video as object URLs, anything else as a download).
 *
 * @module
 */

/** The inline script of the payment page. */
export const PAYMENT_PAGE_SCRIPT = `(function () {
'use strict';
var root = document.getElementById('l402');
if (!root) return;
var d = root.dataset;
function $(id) { return document.getElementById(id); }
var statusEl = $('l402-status');
var preimage = null;
var timer = 0;
var stopped = false;
function say(msg, kind) { statusEl.textContent = msg; statusEl.setAttribute('data-kind', kind || 'info'); }
function errText(e) { return (e && e.message) || String(e); }
function reveal(id) { var el = $(id); if (el) el.hidden = false; }
reveal('l402-copy');
reveal('l402-webln');
if (d.devpay === '1') reveal('l402-devpay');
say('Waiting for payment…');

$('l402-copy').addEventListener('click', function () {
  var ta = $('l402-invoice');
  function fallback() { ta.focus(); ta.select(); try { document.execCommand('copy'); say('Invoice copied.'); } catch (e) { say('Select the invoice text and copy it.', 'error'); } }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(d.invoice).then(function () { say('Invoice copied.'); }, fallback);
  } else fallback();
});

$('l402-webln').addEventListener('click', function () {
  var w = window.webln;
  if (!w) { say('No WebLN wallet found in this browser: scan the QR code or copy the invoice.', 'error'); return; }
  say('Asking your wallet to pay…');
  Promise.resolve(w.enable()).then(function () { return w.sendPayment(d.invoice); }).then(function (r) {
    if (r && typeof r.preimage === 'string' && /^[0-9a-fA-F]{64}$/.test(r.preimage)) paid(r.preimage.toLowerCase(), 'Paid with your wallet.');
    else say('The wallet answered without a preimage; waiting for the payment to arrive…');
  }, function (e) { say('The wallet did not pay: ' + errText(e), 'error'); });
});

var dev = $('l402-devpay');
if (dev) dev.addEventListener('click', function () {
  dev.disabled = true;
  say('Paying with the dev wallet…');
  fetch(d.base + '/dev-pay', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ invoice: d.invoice }) })
    .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, status: r.status, j: j }; }); })
    .then(function (x) {
      if (x.ok && x.j && x.j.preimage) paid(x.j.preimage, 'Paid with the dev wallet.');
      else { dev.disabled = false; say('The dev wallet could not pay: ' + ((x.j && x.j.error && x.j.error.message) || ('HTTP ' + x.status)), 'error'); }
    }, function (e) { dev.disabled = false; say('The dev wallet could not pay: ' + errText(e), 'error'); });
});

function poll() {
  if (preimage || stopped) return;
  if (Date.now() >= Number(d.expires) * 1000) { stop('This invoice has expired. Reload the page for a new one.'); return; }
  fetch(d.base + '/invoices/' + d.hash, { headers: { accept: 'application/json' }, cache: 'no-store' })
    .then(function (r) { return r.ok ? r.json() : { state: r.status === 404 ? 'unknown' : 'retry' }; })
    .then(function (j) {
      if (preimage) return;
      if (j.preimage) { paid(j.preimage, 'Payment received.'); return; }
      if (j.state === 'expired' || j.state === 'canceled' || j.state === 'unknown') { stop('This invoice is ' + j.state + '. Reload the page for a new one.'); return; }
      timer = setTimeout(poll, 1500);
    }, function () { timer = setTimeout(poll, 1500); });
}
function stop(msg) { stopped = true; clearTimeout(timer); say(msg, 'error'); }

function paid(p, how) {
  if (preimage) return;
  preimage = p;
  clearTimeout(timer);
  root.setAttribute('data-paid', '1');
  var btns = root.querySelectorAll('.pay button');
  for (var i = 0; i < btns.length; i++) btns[i].disabled = true;
  var auth = 'L402 ' + d.macaroon + ':' + p;
  $('l402-auth').textContent = 'Authorization: ' + auth;
  if (d.body === '1') { say(how + ' Send your request again with the Authorization header below.', 'ok'); $('l402-manual').open = true; return; }
  say(how + ' Loading what you paid for…', 'ok');
  retry(auth, 0);
}

function retry(auth, attempt) {
  var headers = { authorization: auth };
  if (d.accept) headers.accept = d.accept;
  fetch(location.href.split('#')[0], { method: d.method, headers: headers, cache: 'no-store', credentials: 'same-origin' })
    .then(function (r) {
      if (r.status === 409 && attempt < 10) { setTimeout(function () { retry(auth, attempt + 1); }, 1000); return; }
      return render(r, auth, attempt);
    })
    .catch(function (e) { failed('Paid, but the request failed: ' + errText(e) + '.', auth, attempt); });
}

function failed(msg, auth, attempt) {
  say(msg, 'error');
  var b = $('l402-retry');
  b.hidden = false;
  b.onclick = function () { b.hidden = true; say('Trying again…'); retry(auth, attempt + 1); };
  $('l402-manual').open = true;
}

function render(r, auth, attempt) {
  var type = (r.headers.get('content-type') || '').toLowerCase();
  if (!r.ok) {
    return r.text().then(function (t) {
      var why = 'HTTP ' + r.status;
      try { var j = JSON.parse(t); if (j && j.error && j.error.message) why += ': ' + j.error.message; } catch (e) { /* not JSON */ }
      failed('Paid, but the server answered ' + why + '.', auth, attempt);
    });
  }
  if (type.indexOf('text/html') === 0) {
    return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
  }
  var out = $('l402-out');
  out.textContent = '';
  function done() {
    $('l402-result').hidden = false;
    $('l402-pay').hidden = true;
    $('l402-title').textContent = 'Paid';
    document.title = 'Paid: ' + document.title.replace(/^Pay [^:]*: /, '');
    say('Paid. HTTP ' + r.status + ' ' + (type || 'no content type') + '.', 'ok');
    $('l402-result-h').focus();
  }
  if (type.indexOf('json') !== -1) {
    return r.text().then(function (t) {
      var pre = document.createElement('pre');
      try { pre.textContent = JSON.stringify(JSON.parse(t), null, 2); } catch (e) { pre.textContent = t; }
      out.appendChild(pre); done();
    });
  }
  if (type.indexOf('text/') === 0 || type === '') {
    return r.text().then(function (t) { var pre = document.createElement('pre'); pre.textContent = t; out.appendChild(pre); done(); });
  }
  return r.blob().then(function (b) {
    var url = URL.createObjectURL(b);
    var kind = type.split('/')[0];
    var el;
    if (kind === 'image') { el = document.createElement('img'); el.alt = 'The image you paid for'; }
    else if (kind === 'audio' || kind === 'video') { el = document.createElement(kind); el.controls = true; }
    else { el = document.createElement('a'); el.download = ''; el.textContent = 'Download (' + b.size + ' bytes, ' + type + ')'; el.href = url; }
    if (el.tagName !== 'A') el.src = url;
    out.appendChild(el); done();
  });
}

poll();
})();
`;
