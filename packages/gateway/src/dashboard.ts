/**
 * The admin dashboard: one self-contained HTML document (no CDN, fonts, images or external
 * scripts) served at `/admin`. It holds no data itself: it asks for the admin token, keeps it
 * in `sessionStorage` (this tab only; never in a URL, a cookie or a log) and calls the admin
 * API with `Authorization: Bearer`. It shows the totals per service, earnings over time per
 * service as a stacked bar chart drawn as inline SVG, the recent payments, the active tokens
 * with a Revoke button, the Lightning backend's status and the dev-node notice.
 *
 * A strict `Content-Security-Policy`: the one inline script and style run by nonce, requests
 * go to the same origin only, and the page cannot be framed.
 *
 * @module
 */

/** What {@link renderDashboard} needs. */
export interface DashboardOptions {
  /** Where the admin API is (default `/admin/api`). */
  apiBase?: string;
}

const STYLE = `:root{color-scheme:light;--bg:#f4f5f7;--card:#fff;--fg:#101828;--muted:#5b6473;--line:#e4e7ec;--accent:#1d4ed8;--ok:#067647;--bad:#b42318;--warn-bg:#fffaeb;--warn-line:#f79009;--warn-fg:#7a2e0e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header.top{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:.7rem 1.5rem;background:#0f172a;color:#f8fafc}
.brand{display:flex;align-items:center;gap:.55rem;font-weight:700;font-size:1.05rem}
.brand svg{width:22px;height:22px}.brand .sub{font-weight:500;color:#94a3b8}
.session{display:flex;align-items:center;gap:.5rem}
main{max-width:76rem;margin:0 auto;padding:1.25rem 1.5rem 2rem}
h1{font-size:1.35rem;margin:0}h2{font-size:1rem;margin:0}
.headline{display:flex;align-items:baseline;justify-content:space-between;gap:1rem;margin:0 0 1rem}
.muted{color:var(--muted)}
.notice{display:flex;align-items:center;gap:.5rem;background:var(--warn-bg);border:1px solid var(--warn-line);color:var(--warn-fg);border-radius:10px;padding:.6rem .9rem;font-weight:600;margin:0 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem 1.1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(16,24,40,.05)}
.card-head{display:flex;align-items:center;justify-content:space-between;gap:1rem;margin-bottom:.6rem}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(10.5rem,1fr));gap:.75rem;margin:0 0 1rem}
.stat{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:.75rem 1rem;box-shadow:0 1px 2px rgba(16,24,40,.05)}
.stat .label{display:block;color:var(--muted);font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.stat .value{display:block;font-size:1.6rem;font-weight:700;font-variant-numeric:tabular-nums;margin-top:.1rem}
.stat .value small{font-size:.85rem;font-weight:600;color:var(--muted);margin-left:.2rem}
.grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem}
.grid.even{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
@media (max-width:860px){.grid{grid-template-columns:1fr}}
.chart svg{display:block;width:100%;height:auto}
.chart .grid-line{stroke:#eaecf0}.chart .axis{stroke:#98a2b3}
.chart text{font:11px system-ui,sans-serif;fill:#667085}
.chart .empty{font-size:13px;fill:#98a2b3}
.chart .bar:hover{opacity:.8}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.1rem;margin-top:.4rem;font-size:.85rem}
.legend span{display:inline-flex;align-items:center;gap:.35rem}
.swatch{width:10px;height:10px;flex:none}
.seg{display:inline-flex;border:1px solid var(--line);border-radius:8px;overflow:hidden}
.seg button{border:0;border-radius:0;background:#fff;color:var(--muted);padding:.3rem .75rem;font-weight:600}
.seg button+button{border-left:1px solid var(--line)}
.seg button[aria-pressed=true]{background:#eff4ff;color:var(--accent)}
table{width:100%;border-collapse:collapse;font-size:.875rem}
th{text-align:left;color:var(--muted);font-weight:600;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
td{padding:.45rem .5rem;border-bottom:1px solid #f2f4f7;vertical-align:middle}
tr:last-child td{border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace}
.svc{display:inline-flex;align-items:center;gap:.4rem;font-weight:600}
.empty-row td{color:var(--muted);text-align:center;padding:1rem}
.scroll{overflow-x:auto}
.tall{max-height:30rem;overflow-y:auto}
.tall thead th{position:sticky;top:0;background:var(--card)}
#tokens td,#payments td{white-space:nowrap}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
.pill{display:inline-flex;align-items:center;gap:.4rem;border-radius:999px;padding:.15rem .65rem;font-size:.8rem;font-weight:600;background:#ecfdf3;color:var(--ok)}
.pill::before{content:"";width:7px;height:7px;border-radius:50%;background:currentColor}
.pill.down{background:#fef3f2;color:var(--bad)}
header .pill{background:#14532d;color:#bbf7d0}header .pill.down{background:#7f1d1d;color:#fecaca}
button{font:inherit;font-weight:600;padding:.4rem .8rem;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.ghost{background:transparent;border-color:#475569;color:#e2e8f0}
button.revoke{background:#fff;border-color:#fda29b;color:var(--bad);padding:.2rem .6rem;font-size:.8rem}
button.revoke[data-armed="1"]{background:var(--bad);border-color:var(--bad);color:#fff}
button:disabled{opacity:.6;cursor:default}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.login{max-width:26rem;margin:3rem auto}
.login h1{margin-bottom:.25rem}
.login label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.login .row{display:flex;gap:.5rem}
.login input{flex:1;font:inherit;padding:.45rem .6rem;border:1px solid #d0d5dd;border-radius:8px}
.error{color:var(--bad);font-weight:600;min-height:1.5em;margin:.5rem 0 0}
#status{min-height:1.5em;font-weight:600}#status[data-kind=ok]{color:var(--ok)}#status[data-kind=error]{color:var(--bad)}
footer{font-size:.8rem}`;

/**
 * The dashboard's browser script, as text (plain ES2017, inlined under the CSP nonce; a
 * string so no build tool rewrites it). Everything it shows goes in by `textContent` or
 * `setAttribute`, never as HTML.
 */
export const DASHBOARD_SCRIPT = `(function () {
'use strict';
var root = document.getElementById('admin');
if (!root) return;
var API = root.getAttribute('data-api') || '/admin/api';
var KEY = 'farebox.admin.token';
var SVG = 'http://www.w3.org/2000/svg';
var PERIODS = { '60': 60, '3600': 24, '86400': 30 };
var COLORS = ['#2563eb', '#f59e0b', '#12b76a', '#e04f16', '#7a5af8', '#06aed4', '#ee46bc', '#84cc16'];
var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
var st = { bucket: 3600, order: [], colors: {}, timer: 0, busy: false, again: false };

function $(id) { return document.getElementById(id); }
function h(tag, attrs, kids) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) {
    if (k === 'text') e.textContent = attrs[k];
    else e.setAttribute(k, attrs[k]);
  }
  (kids || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
}
function s(tag, attrs, text) {
  var e = document.createElementNS(SVG, tag);
  for (var k in attrs) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined) e.textContent = text;
  return e;
}
function getToken() { try { return sessionStorage.getItem(KEY) || ''; } catch (e) { return ''; } }
function setToken(t) { try { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); } catch (e) { /* private mode */ } }
function say(msg, kind) { var el = $('status'); el.textContent = msg; el.setAttribute('data-kind', kind || 'info'); }

function call(path, method) {
  return fetch(API + path, {
    method: method || 'GET',
    headers: { authorization: 'Bearer ' + getToken(), accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit'
  }).then(function (r) {
    return r.json().catch(function () { return {}; }).then(function (j) {
      if (r.status === 401) { var e = new Error('The admin token was not accepted.'); e.unauthorized = true; throw e; }
      if (!r.ok) throw new Error((j && j.error && j.error.message) || ('HTTP ' + r.status));
      return j;
    });
  });
}

function fmtSats(n) { return Number(n).toLocaleString('en-US', { maximumFractionDigits: 3 }); }
function pad(n) { return n < 10 ? '0' + n : String(n); }
function fmtTime(t) {
  var d = new Date(t * 1000);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
function fmtDuration(sec) {
  sec = Math.max(0, Math.floor(sec));
  if (sec < 60) return sec + ' s';
  if (sec < 3600) return Math.floor(sec / 60) + ' min';
  if (sec < 86400) return Math.floor(sec / 3600) + ' h ' + Math.floor((sec % 3600) / 60) + ' min';
  return Math.floor(sec / 86400) + ' d ' + Math.floor((sec % 86400) / 3600) + ' h';
}
function ago(t, now) { var d = now - t; return d < 5 ? 'just now' : fmtDuration(d) + ' ago'; }
function short(id) { return id.length > 14 ? id.slice(0, 8) + '…' + id.slice(-4) : id; }
// A token id starts with the 4-byte id of the server key that minted it: the end tells tokens apart.
function shortToken(id) { return id.length > 14 ? '…' + id.slice(-12) : id; }
function color(name) {
  if (!st.colors[name]) st.colors[name] = COLORS[Object.keys(st.colors).length % COLORS.length];
  return st.colors[name];
}
function swatch(name) {
  var g = s('svg', { viewBox: '0 0 10 10', class: 'swatch', 'aria-hidden': 'true' });
  g.appendChild(s('rect', { width: 10, height: 10, rx: 2, fill: color(name) }));
  return g;
}
function svcCell(name) { return h('td', {}, [h('span', { class: 'svc' }, [swatch(name), name])]); }
function emptyRow(body, cols, text) {
  body.appendChild(h('tr', { class: 'empty-row' }, [h('td', { colspan: String(cols), text: text })]));
}

function renderSummary(sm) {
  st.order = sm.services.map(function (x) { return x.name; });
  st.order.forEach(color);
  st.now = sm.now;
  $('title').textContent = sm.title || 'Gateway';
  var n = $('notice');
  n.hidden = !sm.notice;
  $('notice-text').textContent = sm.notice || '';
  $('t-sats').textContent = fmtSats(sm.totals.sats);
  $('t-payments').textContent = fmtSats(sm.totals.payments);
  $('t-paid').textContent = fmtSats(sm.totals.paidRequests);
  $('t-requests').textContent = fmtSats(sm.totals.requests);
  $('t-uptime').textContent = fmtDuration(sm.uptimeSeconds);
  var body = $('services-body');
  body.textContent = '';
  sm.services.forEach(function (x) {
    body.appendChild(h('tr', {}, [
      svcCell(x.name),
      h('td', { text: x.price || '–' }),
      h('td', { text: x.policy || '–' }),
      h('td', { class: 'num', text: fmtSats(x.sats) }),
      h('td', { class: 'num', text: fmtSats(x.payments) }),
      h('td', { class: 'num', text: fmtSats(x.paidRequests) }),
      h('td', { class: 'num', text: fmtSats(x.requests) })
    ]));
  });
  renderBackend(sm.backend, sm);
  $('foot').textContent = 'Earnings and payments: the last ' + fmtSats(sm.ledger.max) + ' served paid requests, kept ' + (sm.ledger.persistent ? 'in the SQLite file' : 'in memory') +
    (sm.ledger.oldest ? ' (since ' + fmtTime(sm.ledger.oldest) + ')' : '') + '. Started ' + sm.startedAt.replace('T', ' ').replace(/[.][0-9]+Z$/, ' UTC') + '. Refreshes every 10 s.';
}

function renderBackend(b, sm) {
  var pill = $('backend-pill');
  pill.textContent = b.backend + (b.network ? ' · ' + b.network : '') + (b.ok ? '' : ' · down');
  pill.className = 'pill' + (b.ok ? '' : ' down');
  var dl = $('backend');
  dl.textContent = '';
  function row(k, v, cls) { dl.appendChild(h('dt', { text: k })); dl.appendChild(h('dd', cls ? { class: cls } : {}, [v])); }
  row('Status', h('span', { class: 'pill' + (b.ok ? '' : ' down'), text: b.ok ? 'reachable' : 'unreachable' }));
  row('Backend', b.backend + (b.dev ? ' (embedded dev node)' : ''));
  row('Connection', b.connection, 'mono');
  if (b.network) row('Network', b.network);
  if (b.alias) row('Alias', b.alias);
  if (b.pubkey) row('Node key', short(b.pubkey), 'mono');
  if (b.blockHeight !== undefined) row('Block height', fmtSats(b.blockHeight));
  row('Latency', b.latencyMs + ' ms');
  if (b.error) row('Error', b.error.code + ': ' + b.error.message);
  if (sm) row('Store', sm.store);
}

function niceStep(v) {
  var p = Math.pow(10, Math.floor(Math.log10(v)));
  var m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}
function label(t, b) {
  var d = new Date(t * 1000);
  if (b >= 86400) return MONTHS[d.getMonth()] + ' ' + d.getDate();
  return pad(d.getHours()) + ':' + pad(d.getMinutes());
}

function renderChart(e) {
  var box = $('chart');
  box.textContent = '';
  var b = e.bucketSeconds, n = PERIODS[String(b)] || 24;
  var end = Math.floor(e.now / b) * b, start = end - (n - 1) * b;
  var cols = [];
  for (var i = 0; i < n; i++) cols.push({ t: start + i * b, total: 0, parts: {} });
  var totals = {};
  e.buckets.forEach(function (x) {
    var k = Math.round((x.bucket - start) / b);
    if (k < 0 || k >= n) return;
    cols[k].parts[x.service] = x;
    cols[k].total += x.sats;
    totals[x.service] = (totals[x.service] || 0) + x.sats;
  });
  var order = st.order.slice();
  Object.keys(totals).forEach(function (k) { if (order.indexOf(k) < 0) order.push(k); });
  var max = 0;
  cols.forEach(function (c) { if (c.total > max) max = c.total; });
  var W = Math.max(480, Math.round(box.clientWidth || 720)), H = 260, L = 60, R = 12, T = 12, B = 28;
  var pw = W - L - R, ph = H - T - B;
  var step = max > 0 ? niceStep(max / 4) : 1;
  var top = max > 0 ? Math.ceil(max / step - 1e-9) * step : 4;
  var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': 'Sats earned per ' + (b >= 86400 ? 'day' : b >= 3600 ? 'hour' : 'minute') + ', by service' });
  for (var v = 0; v <= top + 1e-9; v += max > 0 ? step : 1) {
    var y = T + ph - (ph * v) / top;
    svg.appendChild(s('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid-line' }));
    svg.appendChild(s('text', { x: L - 8, y: y + 4, 'text-anchor': 'end' }, fmtSats(v)));
  }
  svg.appendChild(s('text', { x: 12, y: T + ph / 2, transform: 'rotate(-90 12 ' + (T + ph / 2) + ')', 'text-anchor': 'middle' }, 'sats'));
  var band = pw / n, bw = Math.max(2, Math.min(48, band * 0.66));
  var bars = s('g', { class: 'bars' });
  cols.forEach(function (c, i) {
    var y0 = T + ph;
    order.forEach(function (name) {
      var p = c.parts[name];
      if (!p || !(p.sats > 0)) return;
      var hh = Math.max(1, (ph * p.sats) / top);
      var r = s('rect', { x: (L + i * band + (band - bw) / 2).toFixed(1), y: (y0 - hh).toFixed(1), width: bw.toFixed(1), height: hh.toFixed(1), fill: color(name), class: 'bar', 'data-service': name, 'data-sats': p.sats });
      r.appendChild(s('title', {}, name + ' · ' + label(c.t, b) + ': ' + fmtSats(p.sats) + ' sats from ' + p.count + (p.count === 1 ? ' payment' : ' payments')));
      bars.appendChild(r);
      y0 -= hh;
    });
  });
  svg.appendChild(bars);
  svg.appendChild(s('line', { x1: L, x2: W - R, y1: T + ph, y2: T + ph, class: 'axis' }));
  var every = Math.ceil(n / Math.max(2, Math.floor(pw / 70)));
  cols.forEach(function (c, i) {
    if ((n - 1 - i) % every !== 0) return;
    svg.appendChild(s('text', { x: L + i * band + band / 2, y: H - 8, 'text-anchor': 'middle' }, label(c.t, b)));
  });
  if (max === 0) svg.appendChild(s('text', { x: L + pw / 2, y: T + ph / 2, 'text-anchor': 'middle', class: 'empty' }, 'No earnings in this period yet'));
  box.appendChild(svg);
  var legend = $('legend');
  legend.textContent = '';
  order.forEach(function (name) {
    if (!totals[name]) return;
    legend.appendChild(h('span', {}, [swatch(name), h('strong', { text: name }), ' ' + fmtSats(totals[name]) + ' sats']));
  });
}

function renderPayments(list, now) {
  var body = $('payments-body');
  body.textContent = '';
  if (!list.length) return emptyRow(body, 5, 'No payments yet.');
  list.forEach(function (p) {
    body.appendChild(h('tr', {}, [
      h('td', { title: fmtTime(p.time), text: ago(p.time, now) }),
      svcCell(p.service),
      h('td', { class: 'num', text: fmtSats(p.sats) + ' sats' }),
      h('td', { class: 'mono', title: p.paymentHash, text: short(p.paymentHash) }),
      h('td', { class: 'num', text: String(p.uses) })
    ]));
  });
}

function revokeButton(id) {
  var btn = h('button', { type: 'button', class: 'revoke', 'data-token': id, 'aria-label': 'Revoke token ' + shortToken(id), text: 'Revoke' });
  var reset = 0;
  btn.addEventListener('click', function () {
    if (btn.getAttribute('data-armed') !== '1') {
      btn.setAttribute('data-armed', '1');
      btn.textContent = 'Confirm revoke';
      reset = setTimeout(function () { btn.removeAttribute('data-armed'); btn.textContent = 'Revoke'; }, 5000);
      return;
    }
    clearTimeout(reset);
    btn.disabled = true;
    btn.textContent = 'Revoking…';
    call('/tokens/' + encodeURIComponent(id) + '/revoke', 'POST').then(function () {
      say('Revoked token ' + shortToken(id) + ': its next request gets 401 L402_REVOKED.', 'ok');
      return refresh();
    }).catch(failed);
  });
  return btn;
}

function renderTokens(list, now) {
  var body = $('tokens-body');
  body.textContent = '';
  if (!list.length) return emptyRow(body, 6, 'No active tokens.');
  list.forEach(function (t) {
    body.appendChild(h('tr', { 'data-token': t.tokenId }, [
      h('td', { class: 'mono', title: t.tokenId, text: shortToken(t.tokenId) }),
      svcCell(t.service),
      h('td', { class: 'num', text: t.maxUses ? t.uses + ' / ' + t.maxUses : String(t.uses) }),
      h('td', { title: fmtTime(t.lastSeen), text: ago(t.lastSeen, now) }),
      h('td', { title: t.expiresAt ? fmtTime(t.expiresAt) : '', text: t.expiresAt ? 'in ' + fmtDuration(t.expiresAt - now) : '–' }),
      h('td', { class: 'num' }, [revokeButton(t.tokenId)])
    ]));
  });
}

function loadEarnings(now) {
  var b = st.bucket, n = PERIODS[String(b)];
  var since = (Math.floor(now / b) - n) * b;
  return call('/earnings?bucket=' + b + '&since=' + since).then(renderChart);
}

function refresh() {
  // One load at a time; a refresh asked for meanwhile (after a revocation) runs right after.
  if (st.busy) { st.again = true; return Promise.resolve(); }
  st.busy = true;
  st.again = false;
  return call('/summary').then(function (sm) {
    showApp();
    renderSummary(sm);
    return Promise.all([
      loadEarnings(sm.now),
      call('/payments?limit=50').then(function (j) { renderPayments(j.payments, sm.now); }),
      call('/tokens').then(function (j) { renderTokens(j.tokens, sm.now); })
    ]);
  }).catch(failed).then(function () {
    st.busy = false;
    if (st.again && !$('app').hidden) return refresh();
  });
}

function failed(e) {
  var msg = (e && e.message) || String(e);
  if ((e && e.unauthorized) || $('app').hidden) return signOut(e && e.unauthorized ? msg : 'Could not reach the admin API: ' + msg);
  say('Could not load: ' + msg, 'error');
}

function showApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('session').hidden = false;
  if (!st.timer) st.timer = setInterval(function () { if (!document.hidden) refresh(); }, 10000);
}

function signOut(msg) {
  setToken('');
  clearInterval(st.timer);
  st.timer = 0;
  st.busy = false;
  st.again = false;
  $('app').hidden = true;
  $('session').hidden = true;
  ['services-body', 'payments-body', 'tokens-body', 'chart', 'legend', 'backend'].forEach(function (id) { $(id).textContent = ''; });
  $('login').hidden = false;
  $('login-error').textContent = msg || '';
  $('token').focus();
}

$('login-form').addEventListener('submit', function (ev) {
  ev.preventDefault();
  var input = $('token');
  var t = input.value.trim();
  input.value = '';
  if (!t) return;
  setToken(t);
  $('login-error').textContent = '';
  refresh();
});
$('logout').addEventListener('click', function () { signOut('Signed out.'); });
$('refresh').addEventListener('click', function () { refresh(); });
Array.prototype.forEach.call(document.querySelectorAll('[data-bucket]'), function (btn) {
  btn.addEventListener('click', function () {
    st.bucket = Number(btn.getAttribute('data-bucket'));
    Array.prototype.forEach.call(document.querySelectorAll('[data-bucket]'), function (o) { o.setAttribute('aria-pressed', String(o === btn)); });
    loadEarnings(st.now || Math.floor(Date.now() / 1000)).catch(failed);
  });
});
if (getToken()) refresh();
else { $('login').hidden = false; $('token').focus(); }
})();
`;

const LOGO =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><rect width="24" height="24" rx="6" fill="#f59e0b"/>' +
  '<path d="M13.5 3.5 6.5 13.5h4.8l-1 7 7.2-10.2h-4.9z" fill="#0f172a"/></svg>';

const BODY = `<header class="top">
<div class="brand">${LOGO}<span>farebox</span><span class="sub">gateway admin</span></div>
<div class="session" id="session" hidden>
<span class="pill" id="backend-pill" title="Lightning backend">…</span>
<button type="button" class="ghost" id="refresh">Refresh</button>
<button type="button" class="ghost" id="logout">Sign out</button>
</div>
</header>
<main>
<noscript><p class="card">The dashboard needs JavaScript. The admin API works without it: <code>curl -H "Authorization: Bearer …" …/admin/api/summary</code>.</p></noscript>
<section class="card login" id="login" hidden aria-labelledby="login-h">
<h1 id="login-h">Sign in</h1>
<p class="muted">Enter the admin token (<code>admin.token</code> in the gateway configuration). It is kept in this tab only and sent as a bearer header.</p>
<form id="login-form" method="post" autocomplete="off">
<label for="token">Admin token</label>
<div class="row"><input id="token" type="password" required spellcheck="false" autocomplete="current-password"><button type="submit">Sign in</button></div>
<p class="error" id="login-error" role="alert"></p>
</form>
</section>
<div id="app" hidden>
<p class="notice" id="notice" role="note" hidden><span aria-hidden="true">⚠</span><span id="notice-text"></span></p>
<div class="headline"><h1 id="title">Gateway</h1><p id="status" role="status" aria-live="polite"></p></div>
<section class="stats" aria-label="Totals">
<div class="stat"><span class="label">Earned</span><span class="value"><span id="t-sats">–</span><small>sats</small></span></div>
<div class="stat"><span class="label">Payments</span><span class="value" id="t-payments">–</span></div>
<div class="stat"><span class="label">Paid requests</span><span class="value" id="t-paid">–</span></div>
<div class="stat"><span class="label">All requests</span><span class="value" id="t-requests">–</span></div>
<div class="stat"><span class="label">Uptime</span><span class="value" id="t-uptime">–</span></div>
</section>
<section class="card" aria-labelledby="earn-h">
<div class="card-head"><h2 id="earn-h">Earnings per service</h2>
<div class="seg" role="group" aria-label="Period">
<button type="button" data-bucket="60" aria-pressed="false">Last hour</button>
<button type="button" data-bucket="3600" aria-pressed="true">Last 24 hours</button>
<button type="button" data-bucket="86400" aria-pressed="false">Last 30 days</button>
</div></div>
<div class="chart" id="chart"></div>
<div class="legend" id="legend"></div>
</section>
<div class="grid">
<section class="card" aria-labelledby="svc-h">
<div class="card-head"><h2 id="svc-h">Services</h2></div>
<div class="scroll"><table><thead><tr><th>Service</th><th>Price</th><th>Policy</th><th class="num">Sats</th><th class="num">Payments</th><th class="num">Paid req.</th><th class="num">Requests</th></tr></thead>
<tbody id="services-body"></tbody></table></div>
</section>
<section class="card" aria-labelledby="backend-h">
<div class="card-head"><h2 id="backend-h">Lightning backend</h2></div>
<dl class="kv" id="backend"></dl>
</section>
</div>
<div class="grid even">
<section class="card" aria-labelledby="pay-h">
<div class="card-head"><h2 id="pay-h">Recent payments</h2></div>
<div class="scroll tall"><table id="payments"><thead><tr><th>When</th><th>Service</th><th class="num">Amount</th><th>Payment hash</th><th class="num">Uses</th></tr></thead>
<tbody id="payments-body"></tbody></table></div>
</section>
<section class="card" aria-labelledby="tok-h">
<div class="card-head"><h2 id="tok-h">Active tokens</h2></div>
<div class="scroll tall"><table id="tokens"><thead><tr><th>Token</th><th>Service</th><th class="num">Uses</th><th>Last used</th><th>Expires</th><th></th></tr></thead>
<tbody id="tokens-body"></tbody></table></div>
</section>
</div>
<footer class="muted" id="foot"></footer>
</div>
</main>`;

function nonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18))));
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The dashboard page: `text/html`, `no-store`, a fresh CSP nonce per response.
 *
 * @example
 * ```ts
 * import { renderDashboard } from '@farebox/gateway';
 * const res = renderDashboard({ apiBase: '/admin/api' });
 * res.headers.get('content-security-policy'); // "default-src 'none'; script-src 'nonce-…'; …"
 * ```
 */
export function renderDashboard(opts: DashboardOptions = {}): Response {
  const apiBase = opts.apiBase ?? '/admin/api';
  if (typeof apiBase !== 'string' || !apiBase.startsWith('/'))
    throw new TypeError('renderDashboard: "apiBase" must be a path starting with /');
  const n = nonce();
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>farebox admin</title>
<style nonce="${n}">${STYLE}</style>
</head>
<body id="admin" data-api="${escapeAttr(apiBase)}">
${BODY}
<script nonce="${n}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
  return new Response(html, {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': [
        "default-src 'none'",
        `script-src 'nonce-${n}'`,
        `style-src 'nonce-${n}'`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    },
  });
}
