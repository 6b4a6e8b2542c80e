// tools/console/app.js — the ipledger web console (docs/console.md).
//
// Plain modern JavaScript, no framework and no dependency: every section is a form whose submit
// calls /api/v1 with `Authorization: Bearer TOKEN` (the token is entered once and kept in
// sessionStorage) and renders the answer with DOM calls (never parsed as HTML: values go in
// as text). Every API error is shown with the API's own message ({"error", "field"}).
//
// The live feed reads /api/v1/tail with fetch() and a ReadableStream SSE parser, because
// EventSource cannot send an Authorization header; on a dropped stream it reconnects after the
// server's `retry:` delay with Last-Event-ID, so no change is missed or shown twice.
'use strict';

const TOKEN_KEY = 'ipledger.token';
const ROWS_SHOWN = 1000;            // table rows rendered (the count is of all rows)
const FEED_MAX = 200;               // feed items kept on the page
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);

// ---- small DOM helpers ----
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function showError(id, msg) {
  const e = $(id);
  e.textContent = msg || '';
  e.hidden = !msg;
}

// ---- the API ----
class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
  toString() {
    return `${this.status ? 'HTTP ' + this.status + ': ' : ''}${this.message}` +
      (this.field ? ` (${this.field})` : '');
  }
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}

// GET path -> the Response (ok), else throws ApiError with the API's message.
async function api(path, params, opts) {
  if (!token()) throw new ApiError(0, 'enter a token first (ipledger token create --name NAME --role ROLE)');
  let res;
  try {
    res = await fetch('/api/v1/' + path + qs(params || {}), {
      headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store', ...(opts || {}),
    });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server: ${e.message}`);
  }
  if (res.ok) return res;
  let msg = res.statusText || 'request failed', field = null;
  const text = await res.text();
  try {
    const j = JSON.parse(text);
    if (j && j.error) { msg = j.error; field = j.field || null; }
  } catch (_) {
    if (text.trim()) msg = text.trim().slice(0, 500);
  }
  throw new ApiError(res.status, msg, field);
}
async function apiJson(path, params) { return (await api(path, params)).json(); }

// NDJSON rows; a last line {"error": ...} (a stream cut short by the server) throws.
async function apiRows(path, params) {
  const text = await (await api(path, { ...params, format: 'ndjson' })).text();
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line);
    if (o && typeof o === 'object' && !Array.isArray(o) && Object.keys(o).length === 1 && 'error' in o)
      throw new ApiError(200, `the answer was cut short: ${o.error}`);
    rows.push(o);
  }
  return rows;
}

// ---- tables ----
function cellText(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
function renderTable(table, rows, cols) {
  table.replaceChildren();
  if (!rows.length) return;
  cols = cols || Object.keys(rows[0]);
  table.append(el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col' }, c)))));
  const body = el('tbody');
  for (const r of rows.slice(0, ROWS_SHOWN))
    body.append(el('tr', {}, ...cols.map((c) => el('td', { 'data-col': c }, cellText(r[c])))));
  table.append(body);
}

// ---- token ----
async function useToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  $('token').value = '';
  const state = $('token-state');
  feed.restart();
  if (!t) { state.textContent = 'no token'; state.className = 'muted'; return; }
  state.textContent = 'checking…';
  try {
    const s = await apiJson('stats');
    state.textContent = `connected: ${Number(s.events || 0).toLocaleString('en')} events`;
    state.className = 'ok';
    showError('app-error', '');
    health();
  } catch (e) {
    state.textContent = 'token refused';
    state.className = 'bad';
    showError('app-error', e.toString());
  }
}

// ---- search: /api/v1/track ----
function parseTime(s) { const t = Date.parse(s); return Number.isNaN(t) ? null : t; }

async function search(ev) {
  ev.preventDefault();
  const by = $('search-by').value, value = $('search-value').value.trim();
  const at = $('search-at').value.trim(), from = $('search-from').value.trim(), to = $('search-to').value.trim();
  const params = { [by]: value };
  if (at) params.at = at;
  else { params.from = from || '-30d'; params.to = to || 'now'; }
  showError('search-error', '');
  $('search-summary').textContent = 'searching…';
  $('search-table').replaceChildren();
  $('search-timeline').replaceChildren();
  try {
    const rows = await apiRows('track', params);
    renderTable($('search-table'), rows, ['ip', 'state', 'lease_start', 'lease_end', 'mac', 'host',
      'user', 'logon', 'logoff', 'via', 'dhcp_server', 'evidence']);
    $('search-summary').textContent = summarize(rows, params);
    timeline(rows, params);
  } catch (e) {
    $('search-summary').textContent = '';
    showError('search-error', e.toString());
  }
}

function summarize(rows, params) {
  if (!rows.length) return 'no answer';
  const held = rows.filter((r) => r.state === 'held');
  const when = params.at ? `at ${params.at}` : `from ${params.from} to ${params.to}`;
  if (!held.length) return `nobody held the address ${when}`;
  const macs = [...new Set(held.map((r) => r.mac).filter(Boolean))];
  const users = [...new Set(held.map((r) => r.user).filter((u) => u && u !== 'unknown user'))];
  return `${rows.length} row${rows.length === 1 ? '' : 's'} ${when}: device ${macs.join(', ') || '?'}` +
    (users.length ? `, users ${users.join(', ')}` : ', no user logged on');
}

// The timeline: one lane per address/device chunk; the lease as a bar, each user session as a
// thinner bar under it; the instant asked as a line.
function timeline(rows, params) {
  const g = $('search-timeline');
  g.replaceChildren();
  const spans = [];
  const t = (s) => (s ? parseTime(s) : null);
  for (const r of rows) {
    if (r.state !== 'held') continue;
    spans.push({ r, s: t(r.lease_start), e: t(r.lease_end), ls: t(r.logon), le: t(r.logoff) });
  }
  if (!spans.length) { g.setAttribute('height', 0); return; }
  const atT = params.at ? parseTime(params.at) : null;
  const times = [];
  for (const x of spans) times.push(x.s, x.e, x.ls, x.le);
  if (atT !== null) times.push(atT);
  const known = times.filter((x) => x !== null);
  let lo = Math.min(...known), hi = Math.max(...known);
  if (hi <= lo) { lo -= 3600e3; hi += 3600e3; }
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const lanes = new Map();
  for (const x of spans) {
    const key = `${x.r.ip} ${x.r.mac || ''} ${x.r.lease_start || ''}`;
    if (!lanes.has(key)) lanes.set(key, []);
    lanes.get(key).push(x);
  }
  const W = 900, left = 190, laneH = 34, top = 22;
  const H = top + lanes.size * laneH + 8;
  g.setAttribute('viewBox', `0 0 ${W} ${H}`);
  g.setAttribute('height', H);
  const X = (v) => left + ((v - lo) / (hi - lo)) * (W - left - 10);
  for (const frac of [0, 0.5, 1]) {
    const v = lo + frac * (hi - lo);
    g.append(svg('text', { x: X(v), y: 12, class: 'axis', 'text-anchor': frac === 0 ? 'start' : frac === 1 ? 'end' : 'middle' },
      new Date(v).toISOString().replace('.000Z', 'Z')));
  }
  let i = 0;
  for (const [, xs] of lanes) {
    const y = top + i * laneH, r = xs[0].r;
    g.append(svg('text', { x: 4, y: y + 13, class: 'lane' }, `${r.ip} ${r.mac || ''}`));
    g.append(svg('text', { x: 4, y: y + 27, class: 'lane muted' }, r.host || ''));
    const s = xs[0].s ?? lo, e = xs[0].e ?? hi;
    const bar = svg('rect', { x: X(s), y: y + 2, width: Math.max(2, X(e) - X(s)), height: 14, class: 'lease' });
    bar.append(svg('title', {}, `lease ${r.lease_start || '?'} – ${r.lease_end || 'open'} ${r.mac || ''}`));
    g.append(bar);
    for (const x of xs) {
      if (!x.r.user || x.r.user === 'unknown user') continue;
      const ss = x.ls ?? s, se = x.le ?? e;
      const b = svg('rect', { x: X(ss), y: y + 19, width: Math.max(2, X(se) - X(ss)), height: 9, class: 'session' });
      b.append(svg('title', {}, `${x.r.user} ${x.r.logon || '?'} – ${x.r.logoff || 'open'} (${x.r.via || ''})`));
      g.append(b);
    }
    i++;
  }
  if (atT !== null)
    g.append(svg('line', { x1: X(atT), x2: X(atT), y1: top - 4, y2: H, class: 'at' }));
}

// ---- query: /api/v1/query ----
let lastQuery = null;

async function runQuery(ev) {
  ev.preventDefault();
  const q = $('query-text').value;
  showError('query-error', '');
  $('query-count').textContent = 'running…';
  $('query-table').replaceChildren();
  $('query-csv').disabled = true;
  try {
    const rows = await apiRows('query', { q });
    lastQuery = q;
    renderTable($('query-table'), rows);
    $('query-count').textContent = `${rows.length} row${rows.length === 1 ? '' : 's'}` +
      (rows.length > ROWS_SHOWN ? ` (first ${ROWS_SHOWN} shown)` : '');
    $('query-count').dataset.rows = rows.length;
    $('query-csv').disabled = false;
  } catch (e) {
    $('query-count').textContent = '';
    showError('query-error', e.toString());
    pointAt(e.message);
  }
}

// "query:LINE:COL: ..." -> select that place in the editor.
function pointAt(msg) {
  const m = /query:(\d+):(\d+)/.exec(msg || '');
  if (!m) return;
  const ta = $('query-text'), lines = ta.value.split('\n');
  const line = Math.min(Number(m[1]), lines.length), col = Number(m[2]);
  let off = 0;
  for (let i = 0; i < line - 1; i++) off += lines[i].length + 1;
  off += Math.max(0, Math.min(col - 1, lines[line - 1].length));
  ta.focus();
  ta.setSelectionRange(off, Math.min(off + 1, ta.value.length));
}

// The API's own CSV (RFC 4180) of the last query, saved through a Blob.
async function exportCsv() {
  if (lastQuery === null) return;
  showError('query-error', '');
  try {
    const blob = await (await api('query', { q: lastQuery, format: 'csv' })).blob();
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
    const a = el('a', { href: url, download: 'ipledger-query.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    showError('query-error', e.toString());
  }
}

// ---- address space: /api/v1/asm/utilization and /api/v1/asm/trend ----
async function asm(ev) {
  if (ev) ev.preventDefault();
  showError('asm-error', '');
  const box = $('asm-bars');
  box.replaceChildren();
  $('asm-count').textContent = 'loading…';
  try {
    const u = await apiJson('asm/utilization', {
      type: $('asm-type').value, space: $('asm-space').value.trim(), at: $('asm-at').value.trim(),
    });
    $('asm-count').textContent = `${u.count} ${u.type}${u.count === 1 ? '' : 's'} at ${u.at}` +
      (u.truncated ? ' (more not shown)' : '');
    $('asm-count').dataset.count = u.count;
    for (const o of u.objects) {
      const pct = Math.max(0, Math.min(100, o.pct));
      const label = el('button', { type: 'button', class: 'link', title: 'show the trend' }, o.id);
      label.addEventListener('click', () => { $('trend-id').value = o.id; trend(); });
      const fill = el('div', { class: `fill ${o.state}` });
      fill.style.width = `${pct}%`;
      const bar = el('div', { class: 'bar', role: 'meter', 'aria-valuenow': o.pct, 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
      const lowMark = el('div', { class: 'mark' }); lowMark.style.left = `${o.thresholds.low}%`;
      const highMark = el('div', { class: 'mark' }); highMark.style.left = `${o.thresholds.high}%`;
      bar.append(lowMark, highMark);
      box.append(el('div', { class: 'asm-row', 'data-id': o.id },
        el('div', { class: 'asm-id' }, label, el('span', { class: 'muted' }, ` ${o.space}${o.name ? ' · ' + o.name : ''}`)),
        bar,
        el('div', { class: 'asm-pct' }, `${o.pct.toFixed(1)}% (${o.used.toLocaleString('en')} of ${o.size.toLocaleString('en')}) ${o.state}`)));
    }
    if (!u.objects.length) box.append(el('p', { class: 'muted' }, `no ${u.type}s`));
  } catch (e) {
    $('asm-count').textContent = '';
    showError('asm-error', e.toString());
  }
}

async function trend(ev) {
  if (ev) ev.preventDefault();
  showError('trend-error', '');
  const g = $('trend-chart');
  g.replaceChildren();
  $('trend-summary').textContent = '';
  try {
    const t = await apiJson('asm/trend', {
      id: $('trend-id').value.trim(), space: $('asm-space').value.trim(),
      from: $('trend-from').value.trim(), to: $('trend-to').value.trim(), step: $('trend-step').value.trim(),
    });
    const max = Math.max(1, ...t.points.map((p) => p.leased));
    $('trend-summary').textContent = `${t.id} (${t.lo} – ${t.hi}, ${t.size.toLocaleString('en')} addresses): ` +
      `${t.points.length} points every ${t.step_seconds} s, at most ${max} leased`;
    const W = 900, H = 180, L = 50, B = 20;
    g.setAttribute('viewBox', `0 0 ${W} ${H}`);
    g.setAttribute('height', H);
    const n = t.points.length;
    const X = (i) => L + (n > 1 ? (i / (n - 1)) * (W - L - 10) : 0);
    const Y = (v) => H - B - (v / max) * (H - B - 10);
    g.append(svg('line', { x1: L, x2: W - 10, y1: H - B, y2: H - B, class: 'axisline' }));
    g.append(svg('text', { x: L - 4, y: Y(max) + 4, 'text-anchor': 'end', class: 'axis' }, String(max)));
    g.append(svg('text', { x: L - 4, y: H - B, 'text-anchor': 'end', class: 'axis' }, '0'));
    if (n) {
      g.append(svg('text', { x: L, y: H - 4, class: 'axis' }, t.points[0].ts));
      g.append(svg('text', { x: W - 10, y: H - 4, 'text-anchor': 'end', class: 'axis' }, t.points[n - 1].ts));
      g.append(svg('polyline', { points: t.points.map((p, i) => `${X(i)},${Y(p.leased)}`).join(' '), class: 'trend' }));
    }
  } catch (e) {
    showError('trend-error', e.toString());
  }
}

// ---- the live feed: /api/v1/tail?kinds=config.change over fetch + ReadableStream ----
const feed = {
  ctl: null, lastId: null, retry: 1000, timer: null,

  restart() {
    if (this.ctl) this.ctl.abort();
    clearTimeout(this.timer);
    this.ctl = null;
    this.lastId = null;
    $('feed-list').replaceChildren();
    if (token()) this.connect(); else this.state('off', 'off');
  },

  state(text, cls) { const s = $('feed-state'); s.textContent = text; s.className = 'badge ' + cls; },

  async connect() {
    const ctl = new AbortController();
    this.ctl = ctl;
    const headers = { Authorization: 'Bearer ' + token(), Accept: 'text/event-stream' };
    if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
    this.state('connecting', 'wait');
    try {
      const res = await fetch('/api/v1/tail?kinds=config.change', { headers, signal: ctl.signal, cache: 'no-store' });
      if (!res.ok) {
        let msg = `HTTP ${res.status}`;
        try { msg += ': ' + (await res.json()).error; } catch (_) { /* not JSON */ }
        this.state(msg, 'bad');
        if (res.status === 401 || res.status === 403) return;   // a new token restarts it
        throw new Error(msg);
      }
      this.state('live', 'ok');
      await this.read(res.body.getReader(), ctl);
      if (!ctl.signal.aborted) this.state('reconnecting', 'wait');
    } catch (e) {
      if (ctl.signal.aborted) return;
      this.state(`reconnecting (${e.message})`, 'wait');
    }
    if (this.ctl === ctl) this.timer = setTimeout(() => this.connect(), this.retry);
  },

  // Server-Sent Events: fields per line, an event ends at a blank line (LF, CRLF or CR).
  async read(reader, ctl) {
    const dec = new TextDecoder();
    let buf = '', ev = { id: null, event: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done || ctl.signal.aborted) return;
      buf += dec.decode(value, { stream: true });
      let m;
      while ((m = /\r\n|\r|\n/.exec(buf))) {
        if (m[0] === '\r' && m.index === buf.length - 1) break;   // a CR that may be a CRLF
        const line = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        if (line === '') {
          if (ev.data.length) this.dispatch(ev);
          ev = { id: null, event: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;                         // a comment
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        let v = c < 0 ? '' : line.slice(c + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'data') ev.data.push(v);
        else if (field === 'event') ev.event = v;
        else if (field === 'id') { ev.id = v; this.lastId = v; }
        else if (field === 'retry' && /^\d+$/.test(v)) this.retry = Number(v);
      }
      if (buf.length > 1 << 20) throw new Error('an event over 1 MiB');
    }
  },

  dispatch(ev) {
    let e;
    try { e = JSON.parse(ev.data.join('\n')); } catch (_) { return; }
    const a = e.attrs || {};
    const pick = (k) => e[k] ?? a[k];
    const what = [pick('object'), pick('action')].filter(Boolean).join(' ');
    const detail = pick('message') ?? pick('new') ?? '';
    const item = el('li', { 'data-seq': ev.id || '' },
      el('time', {}, e.time || e.ts || ''), ' ',
      el('strong', {}, pick('user') || pick('subject') || e.source || ''), ' ',
      el('span', { class: 'what' }, what || ev.event), ' ',
      el('code', {}, typeof detail === 'string' ? detail.slice(0, 300) : JSON.stringify(detail).slice(0, 300)));
    const list = $('feed-list');
    list.prepend(item);
    while (list.children.length > FEED_MAX) list.lastElementChild.remove();
  },
};

// ---- server health: /api/v1/servers/health (404: not available) ----
async function health() {
  showError('health-error', '');
  const sum = $('health-summary');
  $('health-table').replaceChildren();
  try {
    const h = await apiJson('servers/health');
    const servers = h.servers || [];
    const down = servers.filter((s) => s.state && !/^(up|ok|healthy|running)$/i.test(s.state));
    sum.textContent = `${servers.length} server${servers.length === 1 ? '' : 's'}` +
      (servers.length ? `, ${down.length} not up` : '');
    renderTable($('health-table'), servers, ['name', 'type', 'state', 'since', 'detail']);
  } catch (e) {
    if (e.status === 404) sum.textContent = 'not available (this server has no /api/v1/servers/health)';
    else { sum.textContent = ''; showError('health-error', e.toString()); }
  }
}

// ---- reports: /api/v1/report?name=&format=html (404: not available) ----
let reportUrl = null;
async function report(ev) {
  ev.preventDefault();
  showError('report-error', '');
  const frame = $('report-frame');
  for (const id of ['report-open', 'report-download']) $(id).hidden = true;
  frame.hidden = true;
  const name = $('report-name').value.trim();
  try {
    const res = await api('report', {
      name, format: 'html', from: $('report-from').value.trim(), to: $('report-to').value.trim(),
      ip: $('report-ip').value.trim(), user: $('report-user').value.trim(),
    });
    const blob = new Blob([await res.blob()], { type: 'text/html' });
    if (reportUrl) URL.revokeObjectURL(reportUrl);
    reportUrl = URL.createObjectURL(blob);
    frame.src = reportUrl;
    frame.hidden = false;
    $('report-open').href = reportUrl;
    $('report-download').href = reportUrl;
    $('report-download').setAttribute('download', `ipledger-${name.replace(/[^\w.-]+/g, '_')}.html`);
    for (const id of ['report-open', 'report-download']) $(id).hidden = false;
  } catch (e) {
    showError('report-error', e.status === 404 && /no endpoint/.test(e.message)
      ? 'not available (this server has no /api/v1/report)' : e.toString());
  }
}

// ---- wiring ----
function init() {
  $('token-form').addEventListener('submit', (ev) => { ev.preventDefault(); useToken($('token').value.trim()); });
  $('token-forget').addEventListener('click', () => useToken(''));
  $('search-form').addEventListener('submit', search);
  $('query-form').addEventListener('submit', runQuery);
  $('query-csv').addEventListener('click', exportCsv);
  $('asm-form').addEventListener('submit', asm);
  $('trend-form').addEventListener('submit', trend);
  $('health-refresh').addEventListener('click', health);
  $('report-form').addEventListener('submit', report);
  $('query-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) $('query-form').requestSubmit();
  });
  if (token()) useToken(token());
}

document.addEventListener('DOMContentLoaded', init);
