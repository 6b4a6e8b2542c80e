// tests/browser/console.test.mjs — the web console in a real browser (run by tests/scripts/console.sh).
//
// Headless Debian Chromium driven by playwright-core against a real `ipledger serve` that this
// script starts (and restarts) on a prepared store. It enters the token, searches probe addresses
// and checks the device and users shown against the generator's truth, runs a query and checks
// the row count shown against the API's, exports the CSV and compares it with the API's CSV, shows
// the address space, sees config changes appear in the live feed (also one committed while the
// server was down: the reconnect resumes with Last-Event-ID), and fails on any page error or CSP
// violation. Screenshots go to $ARTIFACTS.
//
// Environment: IPL (the binary), STORE, PORT, TOKEN, PROBES_TSV (the generator's probes.tsv:
// ip, at, mac, host, users '|'-separated, '-' for none), ARTIFACTS (a directory), CHROMIUM
// (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`console.test.mjs: set ${k}`);
  return v;
};
const IPL = env('IPL'), STORE = env('STORE'), PORT = env('PORT'), TOKEN = env('TOKEN');
// the probes asked: the first where nobody held the address, the first held with nobody logged
// on, the first and the last held with users logged on (other addresses, other sites)
const PROBES = (() => {
  const rows = readFileSync(env('PROBES_TSV'), 'utf8').split('\n').slice(1).filter((l) => l.trim())
    .map((l) => l.split('\t')).map(([ip, at, mac, , user]) => ({ ip, at, mac, users: user === '-' ? [] : user.split('|') }));
  const pick = (f, n) => rows.filter(f).slice(0, n);
  const withUsers = rows.filter((r) => r.mac !== '-' && r.users.length);
  const p = [...pick((r) => r.mac === '-', 1), ...pick((r) => r.mac !== '-' && !r.users.length, 1),
    ...withUsers.slice(0, 1), ...withUsers.slice(-1)];
  if (p.length !== 4) throw new Error(`console.test.mjs: probes of every kind needed, found ${p.length}`);
  return p;
})();
const ARTIFACTS = env('ARTIFACTS');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const URL_ = `http://127.0.0.1:${PORT}`;
const TIMEOUT = 15000;
mkdirSync(ARTIFACTS, { recursive: true });

let failures = 0, passes = 0;
const shots = [];
async function step(name, fn) {
  try {
    await fn();
    passes++;
    console.log(`ok: ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL: ${name}\n  ${String(e && e.stack || e).split('\n').slice(0, 4).join('\n  ')}`);
  }
}

// ---- the server ----
let server = null;
async function startServer() {
  server = spawn(IPL, ['serve', '--store', STORE, '--listen', `127.0.0.1:${PORT}`, '--log', join(ARTIFACTS, 'serve.log')],
    { stdio: 'inherit' });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${URL_}/healthz`)).ok) return; } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}
// SIGTERM: the server commits and exits 0 (a sanitizer report would make it exit non-zero)
async function stopServer() {
  if (!server) return;
  const s = server;
  server = null;
  const done = new Promise((r) => s.once('exit', (code, sig) => r(code ?? sig)));
  s.kill('SIGTERM');
  const code = await done;
  if (code !== 0) throw new Error(`the server exited with ${code}`);
}
process.on('exit', () => { if (server) server.kill('SIGKILL'); });

async function apiText(path) {
  const r = await fetch(`${URL_}/api/v1/${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const t = await r.text();
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${t}`);
  return t;
}

// ---- the browser ----
await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
page.on('console', (m) => {
  // a refused script, style or connection (CSP) or an uncaught error is a failure; failed API
  // calls the test provokes on purpose (400 of a bad query) are logged by Chromium as resources
  if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
});
async function shot(name) {
  const f = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: f, fullPage: true });
  if (!shots.includes(f)) shots.push(f);
}

await step('the page loads with its script and style (no CSP refusal)', async () => {
  const res = await page.goto(URL_ + '/');
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] || '', /default-src 'self'/);
  await page.waitForSelector('#token-form');
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor);
  assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'style.css applied');
  await shot('01-start');
});

await step('an API call without a token shows what to do', async () => {
  await page.fill('#search-value', '10.0.0.1');
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#search-error:not([hidden])');
  assert.match(await page.textContent('#search-error'), /enter a token/);
});

await step('a wrong token is refused with the API message', async () => {
  await page.fill('#token', 'ipl_0000000000000000000000000000000000000000');
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector('#token-state.bad');
  assert.match(await page.textContent('#app-error'), /HTTP 401/);
});

await step('the token is accepted and kept for the session; the live feed connects', async () => {
  await page.fill('#token', TOKEN);
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector('#token-state.ok');
  assert.match(await page.textContent('#token-state'), /connected: [\d,]+ events/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('ipledger.token')), TOKEN);
  await page.waitForFunction(() => document.querySelector('#feed-state').textContent === 'live');
});

// ---- search: every probe's device and users as the truth says ----
for (const [i, p] of PROBES.entries()) {
  await step(`search ${p.ip} at ${p.at}: ${p.mac === '-' ? 'nobody' : 'device ' + p.mac + ', users ' + (p.users.join('|') || 'none')}`, async () => {
    await page.selectOption('#search-by', 'ip');
    await page.fill('#search-value', p.ip);
    await page.fill('#search-at', p.at);
    await page.click('#search-form button[type=submit]');
    await page.waitForFunction(() => !/searching/.test(document.querySelector('#search-summary').textContent) ||
      !document.querySelector('#search-error').hidden);
    assert.equal(await page.isHidden('#search-error'), true, await page.textContent('#search-error'));
    const col = (c) => page.$$eval(`#search-table td[data-col=${c}]`, (tds) => tds.map((t) => t.textContent));
    const states = await col('state'), macs = await col('mac'), users = await col('user');
    assert.ok(states.length > 0, 'rows shown');
    const summary = await page.textContent('#search-summary');
    if (p.mac === '-') {
      assert.deepEqual([...new Set(states)], ['nobody']);
      assert.match(summary, /nobody held/);
    } else {
      assert.deepEqual([...new Set(states)], ['held']);
      assert.deepEqual([...new Set(macs)], [p.mac]);
      assert.match(summary, new RegExp(`device ${p.mac}`));
      for (const u of p.users) assert.ok(users.includes(u), `user ${u} among ${users.join(', ')}`);
      if (!p.users.length) assert.deepEqual([...new Set(users)], ['unknown user']);
      assert.ok(await page.$$eval('#search-timeline rect.lease', (r) => r.length) > 0, 'the timeline has the lease');
    }
    if (i === PROBES.length - 1 || (p.users.length && !shots.some((s) => s.includes('02-search')))) await shot('02-search');
  });
}

// ---- query ----
const Q = 'leases | fields time, kind, ip, mac, host, server';
await step('a query shows as many rows as the API returns', async () => {
  const want = (await apiText(`query?q=${encodeURIComponent(Q)}&format=ndjson`)).split('\n').filter((l) => l.trim()).length;
  assert.ok(want > 10, `the store has leases (${want})`);
  await page.fill('#query-text', Q);
  await page.click('#query-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#query-count').dataset.rows !== undefined ||
    !document.querySelector('#query-error').hidden);
  assert.equal(await page.isHidden('#query-error'), true, await page.textContent('#query-error'));
  assert.equal(Number(await page.getAttribute('#query-count', 'data-rows')), want);
  assert.match(await page.textContent('#query-count'), new RegExp(`^${want} rows`));
  const shown = await page.$$eval('#query-table tbody tr', (r) => r.length);
  assert.equal(shown, Math.min(want, 1000));
  await shot('03-query');
});

await step('Export CSV saves the API\'s CSV of the query', async () => {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#query-csv')]);
  const f = join(ARTIFACTS, 'query.csv');
  await dl.saveAs(f);
  const want = await apiText(`query?q=${encodeURIComponent(Q)}&format=csv`);
  assert.equal(readFileSync(f, 'utf8'), want);
  assert.match(dl.suggestedFilename(), /\.csv$/);
});

await step('a query error is shown with its line:col and the place is selected', async () => {
  await page.fill('#query-text', 'leases\n| count by nosuchfield');
  await page.click('#query-form button[type=submit]');
  await page.waitForSelector('#query-error:not([hidden])');
  const msg = await page.textContent('#query-error');
  assert.match(msg, /HTTP 400: query:2:\d+/);
  const sel = await page.evaluate(() => document.querySelector('#query-text').selectionStart);
  assert.ok(sel > 'leases\n'.length - 1, `selection at the error (${sel})`);
});

// ---- address space ----
await step('the address space shows one bar per range, and a trend', async () => {
  const at = PROBES[PROBES.length - 1].at;        // an instant with leases held
  const api = JSON.parse(await apiText(`asm/utilization?type=range&at=${encodeURIComponent(at)}`));
  assert.ok(api.count > 0, 'ranges exist (asm discover)');
  await page.fill('#asm-at', at);
  await page.click('#asm-form button[type=submit]');
  await page.waitForFunction((n) => document.querySelectorAll('#asm-bars .asm-row').length === n, api.count);
  const first = api.objects[0];
  assert.match(await page.textContent(`#asm-bars .asm-row[data-id="${first.id}"] .asm-pct`),
    new RegExp(`^${first.pct.toFixed(1)}%`));
  await page.fill('#trend-from', `${at.slice(0, 10)}T00:00:00Z`);
  await page.fill('#trend-to', new Date(Date.parse(`${at.slice(0, 10)}T00:00:00Z`) + 2 * 86400e3).toISOString());
  await page.click(`#asm-bars .asm-row[data-id="${first.id}"] button`);
  await page.waitForSelector('#trend-chart polyline');
  assert.match(await page.textContent('#trend-summary'), new RegExp(first.id.replace(/[.]/g, '\\.')));
  await shot('04-asm');
});

// ---- server health and reports: shown, or "not available" while the endpoints are missing ----
await step('server health is shown (or "not available")', async () => {
  const r = await fetch(`${URL_}/api/v1/servers/health`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  await page.click('#health-refresh');
  if (r.status === 404) {
    await page.waitForFunction(() => /not available/.test(document.querySelector('#health-summary').textContent));
  } else {
    const n = (await r.json()).servers.length;
    await page.waitForFunction((k) => document.querySelectorAll('#health-table tbody tr').length === k || k === 0, n);
  }
});

await step('a report opens (or says "not available")', async () => {
  const r = await fetch(`${URL_}/api/v1/report?name=x`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  await page.fill('#report-name', 'ip-history');
  await page.fill('#report-ip', PROBES[0].ip);
  await page.click('#report-form button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('#report-frame').hidden ||
    !document.querySelector('#report-error').hidden);
  if (r.status === 404 && /no endpoint/.test(await r.text()))
    assert.match(await page.textContent('#report-error'), /not available/);
});

// ---- the live feed ----
async function feedShows(text) {
  try {
    await page.waitForFunction((t) => [...document.querySelectorAll('#feed-list li')].some((li) => li.textContent.includes(t)),
      text, { timeout: 10000 });
  } catch (e) {
    const items = await page.$$eval('#feed-list li', (l) => l.map((x) => x.textContent));
    throw new Error(`"${text}" not in the feed (${await page.textContent('#feed-state')}): ${items.join(' / ')}`);
  }
}
await step('a change made with the CLI appears in the live feed', async () => {
  execFileSync(IPL, ['asm', 'block', 'create', '10.99.0.0/16', 'description=console-test', '--store', STORE]);
  await feedShows("block '10.99.0.0/16'");
  await shot('05-feed');
});

await step('a token created through the API appears in the live feed', async () => {
  const r = await fetch(`${URL_}/api/v1/tokens?name=feedcheck&role=Reader`,
    { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 201);
  await feedShows('feedcheck');
});

await step('after a server restart the feed resumes with Last-Event-ID: the change made meanwhile appears once', async () => {
  await stopServer();
  await page.waitForFunction(() => document.querySelector('#feed-state').textContent !== 'live');
  execFileSync(IPL, ['asm', 'block', 'create', '10.98.0.0/16', 'description=while-down', '--store', STORE]);
  await startServer();
  await page.waitForFunction(() => document.querySelector('#feed-state').textContent === 'live', null, { timeout: 10000 });
  await feedShows("block '10.98.0.0/16'");
  const seqs = await page.$$eval('#feed-list li', (l) => l.map((x) => x.dataset.seq));
  assert.equal(new Set(seqs).size, seqs.length, `no event shown twice (${seqs.join(',')})`);
  await shot('06-feed-resumed');
});

await step('no page error and no CSP violation', async () => {
  assert.deepEqual(pageErrors, []);
});

await browser.close();
await step('the server stops cleanly (exit 0)', stopServer);
console.log(`screenshots:\n  ${shots.join('\n  ')}`);
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
