// The demo ticker bar (web/index.html, ticker-bar.js, tickerd.js) in real headless
// Chromium, against the real tickerd daemon polling a fake Yahoo/Coinbase on loopback.
//
//   node --test --test-concurrency=1 tests/browser/ticker-bar.test.mjs
//
// Needs `npm ci --prefix tests/browser` (playwright-core only: no browser download)
// and Chromium at /usr/bin/chromium (or CHROMIUM=/path).
// Environment: TICKERD_BINARY (default <source>/build/tickerd), TICKERD_SOURCE_DIR
// (default: two folders up from here), TICKERD_ARTIFACTS_DIR (default
// <source>/build/test-artifacts; the bar's screenshot goes there).
//
// Every daemon, fake upstream and browser context is per test and is torn down
// even when the test fails; daemons still running when node exits are SIGKILLed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startFakeUpstream } from './fake-upstream.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.env.TICKERD_SOURCE_DIR || join(here, '../..'));
const binary = process.env.TICKERD_BINARY || join(sourceDir, 'build/tickerd');
const artifactsDir = resolve(process.env.TICKERD_ARTIFACTS_DIR || join(sourceDir, 'build/test-artifacts'));
const webRoot = join(sourceDir, 'web');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const POLL_MS = 300; // the providers' interval in these configs
const TEST = { timeout: 45_000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The five symbols as the fake upstream starts them (tests/fixtures/), as the bar must show them.
const SYMBOLS = ['NVDA', 'TSM', '9988.HK', 'BTC', 'USD/VND'];
const INITIAL = {
  NVDA: { price: '1,284.30', direction: 'up', arrow: '▲', change: '1.42%', source: 'yahoo' }, // 1284.30 vs 1266.32
  TSM: { price: '248.72', direction: 'up', arrow: '▲', change: '0.68%', source: 'yahoo' }, // vs 247.04
  '9988.HK': { price: '142.80', direction: 'down', arrow: '▼', change: '2.11%', source: 'yahoo' }, // vs 145.88
  BTC: { price: '71,420.00', direction: 'up', arrow: '▲', change: '0.84%', source: 'coinbase', market: 'always' }, // vs 24 h open 70825.07
  'USD/VND': { price: '25,412', direction: 'down', arrow: '▼', change: '0.03%', source: 'yahoo' }, // vs 25419.6
};

// ---------------------------------------------------------------------------
// Processes

const running = new Set(); // daemons
const upstreams = new Set(); // fake upstreams still open
const killAll = () => {
  for (const d of running) d.proc.kill('SIGKILL');
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    setTimeout(() => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)), 500).unref();
  });
}

class Daemon {
  static async start(name, configText) {
    assert.ok(existsSync(binary), `no tickerd binary at ${binary} (build it, or set TICKERD_BINARY)`);
    const dir = mkdtempSync(join(tmpdir(), `tickerd-browser-${name}-`));
    const configPath = join(dir, 'tickerd.toml');
    writeFileSync(configPath, configText);
    const d = new Daemon(name, dir, spawn(binary, ['--config', configPath], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own fresh state dir (removed with `dir`): never another test's state or the user's.
      env: { ...process.env, STATE_DIRECTORY: join(dir, 'state') },
    }));
    running.add(d);
    try {
      d.port = await d.#waitForPort();
    } catch (e) {
      await d.stop();
      throw e;
    }
    return d;
  }

  constructor(name, dir, proc) {
    this.name = name;
    this.dir = dir;
    this.proc = proc;
    this.log = '';
    this.exitStatus = null;
    this.exited = new Promise((r) => proc.on('exit', (code, signal) => {
      running.delete(this);
      this.exitStatus = { code, signal };
      r(this.exitStatus);
    }));
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => { this.log += c; });
    proc.stderr.on('data', (c) => { this.log += c; });
  }

  #waitForPort() {
    return new Promise((ok, fail) => {
      let finished = false;
      const done = (err, port) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.proc.stderr.off('data', check);
        if (err) fail(err);
        else ok(port);
      };
      const timer = setTimeout(() => done(new Error(`tickerd (${this.name}) did not report its port within 10 s:\n${this.log}`)), 10_000);
      const check = () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.log);
        if (m) done(null, Number(m[1]));
      };
      this.proc.stderr.on('data', check);
      this.exited.then(({ code, signal }) => done(new Error(`tickerd (${this.name}) exited (${code ?? signal}) before listening:\n${this.log}`)));
      check();
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  // SIGTERM, then SIGKILL after 5 s. Returns {code, signal}.
  async stop() {
    if (this.exitStatus === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.exitStatus;
  }
}

// A port free now, for the restart tests, which stop the daemon and start it
// again on the same port. Picked at random below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range): connections and port-0 listeners, which every
// other test uses, only take ports inside it, so none takes this one while the
// daemon is down.
function ephemeralLow() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

function listenOnce(port) {
  return new Promise((ok) => {
    const s = net.createServer();
    s.once('error', () => ok(0));
    s.listen(port, '127.0.0.1', () => {
      const bound = s.address().port;
      s.close(() => ok(bound));
    });
  });
}

async function freePort() {
  const first = 20000;
  const low = ephemeralLow();
  for (let attempt = 0; low > first + 1000 && attempt < 200; attempt++) {
    const port = await listenOnce(first + Math.floor(Math.random() * (low - first)));
    if (port) return port;
  }
  const any = await listenOnce(0); // an unusual ephemeral range: any free port
  if (!any) throw new Error('no free port on 127.0.0.1');
  return any;
}

const toml = (s) => JSON.stringify(s); // a TOML basic string

// The five symbols on the fake upstream.
function fakeConfig(upstream, { port = 0, maxAge = '1m', historyResolution } = {}) {
  const symbol = (id, name, klass, currency, precision, source) => `
[[symbols]]
id = ${toml(id)}
name = ${toml(name)}
class = "${klass}"
currency = "${currency}"
precision = ${precision}
sources = [${toml(source)}]
max_age = "${maxAge}"
`;
  const provider = (name) => `
[providers.${name}]
base_url = ${toml(upstream.baseUrl)}
interval = "${POLL_MS}ms"
# The fake upstream has no rate limit: every symbol polled each interval
# (request pacing has its own test, tests/integration/test_daemon_pacing.cpp).
min_spacing = "0ms"
timeout = "2s"
max_backoff = "1s"
`;
  return `log_level = "info"

[server]
listen = "127.0.0.1:${port}"
threads = 2
heartbeat_interval = "1s"
ping_interval = "5s"
web_root = ${toml(webRoot)}
${historyResolution ? `\n[history]\nresolution = "${historyResolution}"\n` : ''}
${symbol('NVDA', 'NVIDIA', 'equity', 'USD', 2, 'yahoo:NVDA')}
${symbol('TSM', 'Taiwan Semiconductor ADR', 'equity', 'USD', 2, 'yahoo:TSM')}
${symbol('9988.HK', 'Alibaba', 'equity', 'HKD', 2, 'yahoo:9988.HK')}
${symbol('BTC', 'Bitcoin', 'crypto', 'USD', 2, 'coinbase:BTC-USD')}
${symbol('USD/VND', 'US dollar / Vietnamese dong', 'fx', 'VND', 0, 'yahoo:VND=X')}
${provider('yahoo')}
${provider('coinbase')}`;
}

// config/demo.toml (simulated prices, no network) on a free port, serving this tree's web/.
function demoConfig() {
  const text = readFileSync(join(sourceDir, 'config/demo.toml'), 'utf8');
  assert.match(text, /^\s*listen\s*=.*$/m, 'config/demo.toml has no listen line');
  return text
    .replace(/^\s*(web_root|heartbeat_interval)\s*=.*$/gm, '')
    .replace(/^\s*listen\s*=.*$/m, `listen = "127.0.0.1:0"\nheartbeat_interval = "1s"\nweb_root = ${toml(webRoot)}`);
}

// ---------------------------------------------------------------------------
// Browser

let browser;
before(async () => {
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (set CHROMIUM)`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});
// Whatever a timed-out test left behind.
after(async () => {
  await browser?.close().catch(() => {});
  for (const d of [...running]) await d.stop().catch(() => {});
  for (const up of [...upstreams]) await up.close().catch(() => {});
});

// Records every data-state the #status element takes (set up before any page script runs).
function recordStatusStates() {
  window.__statusStates = [];
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.id === 'status') {
        const s = r.target.getAttribute('data-state');
        if (window.__statusStates.at(-1) !== s) window.__statusStates.push(s);
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
}

// Records, from before any page script runs: what the live region says (each
// new text once), the layout shifts (CLS, as PerformanceObserver reports them)
// and when the first price was drawn (performance.now()).
function recordPageTimeline() {
  window.__live = [];
  window.__cls = 0;
  window.__shifts = [];
  window.__firstPriceAt = null;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      window.__cls += e.value;
      window.__shifts.push({ value: e.value, at: e.startTime, nodes: (e.sources || []).map((x) => x.node?.className || x.node?.nodeName || '?') });
    }
  }).observe({ type: 'layout-shift', buffered: true });
  new MutationObserver(() => {
    const region = document.querySelector('#ticker [aria-live]');
    const text = region?.textContent.trim();
    if (text && window.__live.at(-1)?.text !== text) window.__live.push({ text, at: Date.now() });
    if (window.__firstPriceAt === null && [...document.querySelectorAll('#ticker [data-symbol] .price')].some((p) => p.textContent)) {
      window.__firstPriceAt = performance.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

/**
 * Runs `body(env)` with a fresh fake upstream (unless demo), a daemon and a
 * fresh browser context; tears all of it down afterwards, and on failure adds
 * the daemon's log and the page's console to the error.
 * env: {up, daemon, context, page, open(path), restartDaemon()}.
 */
async function withTicker(name, options, body) {
  const { demo = false, port = 0, maxAge, historyResolution, viewport = { width: 1440, height: 360 }, deviceScaleFactor = 1, beforeDaemon } = options;
  const env = { up: null, daemon: null, daemons: [], context: null, page: null, console: [], pageErrors: [], offLoopback: [] };
  try {
    if (!demo) {
      env.up = await startFakeUpstream({ fixturesDir: join(sourceDir, 'tests/fixtures') });
      upstreams.add(env.up);
      beforeDaemon?.(env.up);
    }
    env.config = demo ? demoConfig() : fakeConfig(env.up, { port, maxAge, historyResolution });
    env.startDaemon = async () => {
      const d = await Daemon.start(name, env.config);
      env.daemons.push(d);
      env.daemon = d;
      return d;
    };
    await env.startDaemon();
    env.context = await browser.newContext({ viewport, deviceScaleFactor, reducedMotion: 'no-preference' });
    env.context.on('request', (r) => {
      const u = new URL(r.url());
      if (!['data:', 'blob:', 'about:'].includes(u.protocol) && u.hostname !== '127.0.0.1') env.offLoopback.push(r.url());
    });
    await env.context.addInitScript(recordStatusStates);
    await env.context.addInitScript(recordPageTimeline);
    env.page = await env.context.newPage();
    env.page.on('console', (m) => env.console.push(`[${m.type()}] ${m.text()} (${m.location()?.url || '?'})`));
    env.page.on('pageerror', (e) => env.pageErrors.push(String(e?.stack || e)));
    env.open = (path = '/') => env.page.goto(`${env.daemon.url}${path}`, { waitUntil: 'load' });
    await body(env);
    assert.deepEqual(env.pageErrors, [], 'uncaught errors in the page');
    assert.deepEqual(env.offLoopback, [], 'the page made requests off loopback');
  } catch (e) {
    const logs = env.daemons.map((d) => `--- tickerd (port ${d.port}) log, last lines:\n${d.log.trim().split('\n').slice(-25).join('\n')}`).join('\n');
    const consoleTail = env.console.slice(-20).join('\n');
    e.message += `\n${logs}\n--- page console, last lines:\n${consoleTail || '(empty)'}`;
    if (env.pageErrors.length) e.message += `\n--- page errors:\n${env.pageErrors.join('\n')}`;
    throw e;
  } finally {
    await env.context?.close().catch(() => {});
    for (const d of env.daemons) await d.stop().catch(() => {});
    if (env.up) {
      upstreams.delete(env.up);
      await env.up.close().catch(() => {});
    }
  }
}

// What the bar shows, read from the DOM hooks listed at the top of web/index.html.
function barState(page) {
  return page.evaluate(() => {
    const status = document.querySelector('#status');
    const badge = document.querySelector('#demo-badge');
    const items = {};
    for (const li of document.querySelectorAll('#ticker [data-symbol]')) {
      const arrow = li.querySelector('.arrow');
      const spark = li.querySelector('.spark');
      const line = spark?.querySelector('.spark-line');
      const staleMark = li.querySelector('.stale-mark');
      const cs = (sel) => { const el = li.querySelector(sel); return el ? getComputedStyle(el).color : null; };
      items[li.dataset.symbol] = {
        delayed: li.dataset.delayed ?? null,
        priceColour: cs('.price'),
        changeColour: cs('.change'),
        hasSpark: !!spark,
        price: li.querySelector('.price')?.textContent ?? null,
        arrow: arrow?.textContent ?? null,
        arrowRole: arrow?.getAttribute('role') ?? null,
        arrowLabel: arrow?.getAttribute('aria-label') ?? null,
        change: li.querySelector('.change')?.textContent ?? null,
        direction: li.dataset.direction ?? null,
        stale: li.dataset.stale ?? null,
        market: li.dataset.market ?? null,
        source: li.dataset.source ?? null,
        flash: [...li.classList].filter((c) => c.startsWith('flash-')),
        staleMarkShown: !!staleMark && staleMark.checkVisibility(),
        visible: li.checkVisibility(),
        label: li.getAttribute('aria-label'),
        sparkEmpty: !spark || spark.classList.contains('empty'),
        sparkPoints: (line?.getAttribute('points') || '').trim().split(/\s+/).filter(Boolean).length,
      };
    }
    const bar = document.querySelector('#ticker .tkd-bar');
    const notice = bar?.querySelector('.tkd-notice');
    const nb = notice?.getBoundingClientRect();
    return {
      freshness: bar?.dataset.freshness ?? null,
      notice: notice && notice.checkVisibility() ? notice.textContent : null,
      noticeBox: nb ? { left: nb.left, right: nb.right, top: nb.top, bottom: nb.bottom, fontPx: parseFloat(getComputedStyle(notice).fontSize) } : null,
      placeholder: (() => { const p = bar?.querySelector('.tkd-placeholder'); return p && p.checkVisibility() ? p.textContent : null; })(),
      dotColour: (() => { const d = bar?.querySelector('.tkd-dot'); return d ? getComputedStyle(d).backgroundColor : null; })(),
      staleColour: bar ? getComputedStyle(bar).getPropertyValue('--tkd-stale').trim() : null,
      scrolling: bar ? bar.hasAttribute('data-scrolling') : null,
      live: window.__live || [],
      state: status?.dataset.state ?? null,
      transport: status?.dataset.transport ?? null,
      statusText: status?.textContent.trim() ?? null,
      demoHidden: badge ? badge.hidden : null,
      demoVisible: badge ? badge.checkVisibility() : null,
      order: [...document.querySelectorAll('#ticker [data-symbol]')].map((li) => li.dataset.symbol),
      items,
      states: window.__statusStates || [],
    };
  });
}

function describeBar(s) {
  if (!s) return '(no state read yet)';
  const lines = [`#status data-state=${s.state} data-transport=${s.transport} (states seen: ${s.states.join(' → ')}); #demo-badge hidden=${s.demoHidden}`,
    `bar data-freshness=${s.freshness} notice=${JSON.stringify(s.notice)} placeholder=${JSON.stringify(s.placeholder)} live region: ${JSON.stringify(s.live.map((x) => x.text))}`];
  for (const [sym, it] of Object.entries(s.items)) {
    lines.push(`  ${sym}: price=${JSON.stringify(it.price)} arrow=${JSON.stringify(it.arrow)} change=${JSON.stringify(it.change)} ` +
      `direction=${it.direction} stale=${it.stale} delayed=${it.delayed} market=${it.market} source=${it.source} flash=[${it.flash}] spark=${it.sparkPoints}pts`);
  }
  if (!Object.keys(s.items).length) lines.push('  (no [data-symbol] items)');
  return lines.join('\n');
}

/** Polls the bar until check(state) is truthy; fails after timeoutMs with what the page shows. */
async function waitForBar(page, what, check, timeoutMs = 5000) {
  const t0 = Date.now();
  let last = null;
  for (;;) {
    last = await barState(page);
    if (check(last)) return { state: last, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms. The page shows:\n${describeBar(last)}`);
    await sleep(50);
  }
}

const showsInitial = (s) => SYMBOLS.every((sym) => s.items[sym]?.price === INITIAL[sym].price);

async function waitForInitial(page, timeoutMs = 10_000) {
  return (await waitForBar(page, 'all five symbols with their fixture prices', showsInitial, timeoutMs)).state;
}

// ---------------------------------------------------------------------------
// 1. All five symbols

test('1. the page shows all five symbols with prices, arrows and change, live over WebSocket', TEST, async () => {
  await withTicker('five', {}, async ({ page, open }) => {
    await open('/');
    await waitForInitial(page);
    const s = (await waitForBar(page, '#status open', (x) => x.state === 'open')).state;

    assert.deepEqual(s.order, SYMBOLS, 'items in config order');
    for (const sym of SYMBOLS) {
      const it = s.items[sym];
      const want = INITIAL[sym];
      assert.deepEqual(
        { price: it.price, arrow: it.arrow, direction: it.direction, change: it.change, source: it.source, stale: it.stale, market: it.market },
        { market: 'open', ...want, stale: 'false' }, // the fake's Yahoo session is open now; crypto is "always"
        `${sym} as shown`,
      );
      assert.ok(it.visible, `${sym} is not visible`);
      assert.equal(it.staleMarkShown, false, `${sym} shows the stale mark`);
    }
    assert.equal(s.demoHidden, true, '#demo-badge should carry [hidden]: no quote comes from sim');
    assert.equal(s.demoVisible, false, '#demo-badge should not be visible');
    assert.equal(s.transport, 'ws', 'transport');
    assert.equal(await page.locator('#status[data-state="open"]').count(), 1);
  });
});

// ---------------------------------------------------------------------------
// 2. A price change at the upstream

test('2. an upstream price change reaches the page within a poll interval, flips the direction and flashes', TEST, async (t) => {
  await withTicker('change', {}, async ({ page, open, up }) => {
    await open('/');
    const s0 = await waitForInitial(page);
    assert.deepEqual(s0.items.NVDA.flash, [], 'NVDA flashes before any change');
    const limit = POLL_MS + 2700; // one poll interval plus slack for push, render batching and a busy machine

    up.setPrice('NVDA', '1250.00'); // below the previous close 1266.32: down 1.29%
    const down = await waitForBar(page, 'NVDA at 1,250.00', (s) => s.items.NVDA?.price === '1,250.00', limit);
    t.diagnostic(`down move shown after ${down.ms} ms`);
    const d = down.state.items.NVDA;
    assert.deepEqual({ direction: d.direction, arrow: d.arrow, arrowLabel: d.arrowLabel, change: d.change },
      { direction: 'down', arrow: '▼', arrowLabel: 'down', change: '1.29%' }, 'NVDA after falling below its reference');
    assert.deepEqual(d.flash, ['flash-down'], 'NVDA flash class after a fall');
    assert.equal(down.state.items.TSM.price, INITIAL.TSM.price, 'TSM must not change');

    await sleep(1600); // the bar flashes a symbol at most once per 1.5 s
    up.setPrice('NVDA', '1300.00'); // above it again: up 2.66%
    const upMove = await waitForBar(page, 'NVDA at 1,300.00', (s) => s.items.NVDA?.price === '1,300.00', limit);
    t.diagnostic(`up move shown after ${upMove.ms} ms`);
    const u = upMove.state.items.NVDA;
    assert.deepEqual({ direction: u.direction, arrow: u.arrow, arrowLabel: u.arrowLabel, change: u.change },
      { direction: 'up', arrow: '▲', arrowLabel: 'up', change: '2.66%' }, 'NVDA after rising above its reference');
    assert.deepEqual(u.flash, ['flash-up'], 'NVDA flash class after a rise');

    // The other symbols' formatting on a change: BTC (Coinbase) and USD/VND (precision 0).
    up.setPrice('BTC-USD', '69999.99'); // below the 24 h open 70825.07: down 1.16%
    up.setPrice('VND=X', '25480.4'); // above 25419.6: up 0.24%, shown rounded to 25,480
    const other = await waitForBar(page, 'BTC at 69,999.99 and USD/VND at 25,480',
      (s) => s.items.BTC?.price === '69,999.99' && s.items['USD/VND']?.price === '25,480', limit);
    assert.deepEqual([other.state.items.BTC.direction, other.state.items.BTC.arrow, other.state.items.BTC.change], ['down', '▼', '1.16%']);
    assert.deepEqual([other.state.items['USD/VND'].direction, other.state.items['USD/VND'].arrow, other.state.items['USD/VND'].change],
      ['up', '▲', '0.24%']);
  });
});

// ---------------------------------------------------------------------------
// 3. Daemon restart

test('3. a daemon restart on the same port: the bar reconnects by itself and shows fresh data', { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  await withTicker('restart', { port }, async (env) => {
    const { page, open, up } = env;
    await open('/');
    await waitForInitial(page);
    await waitForBar(page, '#status open over ws', (s) => s.state === 'open' && s.transport === 'ws');

    const first = env.daemon;
    const exit = await first.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'tickerd should exit 0 on SIGTERM');
    const down = await waitForBar(page, '#status no longer open after the daemon stopped', (s) => s.state !== 'open', 5000);
    t.diagnostic(`status left "open" ${down.ms} ms after the daemon exited: ${down.state.state}`);
    assert.equal(down.state.state, 'reconnecting', '#status data-state while the daemon is down');
    assert.equal(down.state.items.NVDA?.price, INITIAL.NVDA.price, 'the last prices stay on screen while down');

    up.setPrice('NVDA', '1301.25'); // only the new daemon can know this
    await sleep(1500); // let the page fail a reconnect or two
    const mid = await barState(page);
    assert.equal(mid.state, 'reconnecting', `still reconnecting while the daemon is down:\n${describeBar(mid)}`);

    const second = await env.startDaemon(); // same config, so the same port
    assert.equal(second.port, port, 'the new daemon listens on the same port');
    const back = await waitForBar(page, 'open again with the price set while the daemon was down (1,301.25)',
      (s) => s.state === 'open' && s.items.NVDA?.price === '1,301.25', 20_000);
    t.diagnostic(`back with fresh data ${back.ms} ms after the new daemon listened; states: ${back.state.states.join(' → ')}`);
    assert.equal(back.state.transport, 'ws', 'after a restart the page should return to WebSocket, not fall back');
    assert.deepEqual(back.state.order, SYMBOLS, 'all five symbols still shown once each');
    for (const sym of SYMBOLS.filter((x) => x !== 'NVDA')) assert.equal(back.state.items[sym].price, INITIAL[sym].price, `${sym} after the restart`);
    assert.deepEqual(back.state.states.slice(-2), ['reconnecting', 'open'], 'status states end reconnecting → open');
  });
});

// ---------------------------------------------------------------------------
// 4. Stale symbols

test('4. a symbol whose upstream fails is marked stale after max_age, keeps its price, and recovers', TEST, async (t) => {
  await withTicker('stale', { maxAge: '2s' }, async ({ page, open, up }) => {
    await open('/');
    await waitForInitial(page);
    await waitForBar(page, 'every symbol fresh', (s) => SYMBOLS.every((x) => s.items[x]?.stale === 'false'));

    const hits = { tsm: up.hits('yahoo:TSM'), btc: up.hits('coinbase:BTC-USD:ticker') };
    const failedAt = Date.now();
    up.fail('yahoo:TSM', 503);
    up.fail('coinbase:BTC-USD:ticker', 'garbage');
    const stale = await waitForBar(page, 'TSM (503) and BTC (garbage) marked data-stale="true"',
      (s) => s.items.TSM?.stale === 'true' && s.items.BTC?.stale === 'true', 2000 + 5000);
    const after = Date.now() - failedAt;
    t.diagnostic(`stale shown ${after} ms after the upstream started failing (max_age 2 s)`);
    assert.ok(after >= 1000, `marked stale after only ${after} ms: the price was confirmed less than max_age (2 s) earlier`);
    assert.ok(up.hits('yahoo:TSM') > hits.tsm && up.hits('coinbase:BTC-USD:ticker') > hits.btc, 'the daemon kept polling the failing routes');
    for (const sym of ['TSM', 'BTC']) {
      const it = stale.state.items[sym];
      assert.equal(it.price, INITIAL[sym].price, `${sym} keeps its last price while stale`);
      assert.equal(it.staleMarkShown, true, `${sym} shows its "stale" mark`);
      assert.match(it.label || '', /stale/, `${sym} aria-label mentions stale`);
    }
    for (const sym of ['NVDA', '9988.HK', 'USD/VND']) assert.equal(stale.state.items[sym].stale, 'false', `${sym} must stay fresh`);

    up.heal();
    const fresh = await waitForBar(page, 'TSM and BTC back to data-stale="false" after the upstream healed',
      (s) => s.items.TSM?.stale === 'false' && s.items.BTC?.stale === 'false', 6000);
    t.diagnostic(`fresh again ${fresh.ms} ms after healing`);
    for (const sym of ['TSM', 'BTC']) {
      assert.equal(fresh.state.items[sym].staleMarkShown, false, `${sym} still shows the stale mark`);
      assert.equal(fresh.state.items[sym].price, INITIAL[sym].price, `${sym} price after recovery`);
    }
  });
});

// ---------------------------------------------------------------------------
// 5. Fallback transports

test('5a. with WebSocket blocked the page falls back to Server-Sent Events and stays live', TEST, async (t) => {
  await withTicker('sse', {}, async ({ context, page, open, up }) => {
    let wsAttempts = 0;
    // Every WebSocket to /v1/stream is accepted by Playwright and closed at once: it never reaches the daemon.
    await context.routeWebSocket(/\/v1\/stream/, (ws) => { wsAttempts++; ws.close(); });
    await open('/');
    const s = (await waitForBar(page, 'data-transport="sse", open, with the fixture prices',
      (x) => x.transport === 'sse' && x.state === 'open' && showsInitial(x), 15_000)).state;
    assert.ok(wsAttempts >= 1, 'the page never tried WebSocket first');
    t.diagnostic(`WebSocket attempts before settling on SSE: ${wsAttempts}; states: ${s.states.join(' → ')}`);
    for (const sym of SYMBOLS) assert.equal(s.items[sym].arrow, INITIAL[sym].arrow, `${sym} arrow over SSE`);

    up.setPrice('BTC-USD', '72000.50');
    const moved = await waitForBar(page, 'BTC at 72,000.50 over SSE', (x) => x.items.BTC?.price === '72,000.50', POLL_MS + 2700);
    assert.equal(moved.state.transport, 'sse', 'still on SSE');
    assert.deepEqual([moved.state.items.BTC.direction, moved.state.items.BTC.change], ['up', '1.66%']);
  });
});

test('5b. ?transport=poll polls /v1/snapshot and stays live', TEST, async (t) => {
  await withTicker('poll', {}, async ({ page, open, up }) => {
    const snapshots = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/v1/snapshot') snapshots.push(r.url()); });
    await open('/?transport=poll');
    const s = (await waitForBar(page, 'data-transport="poll", open, with the fixture prices',
      (x) => x.transport === 'poll' && x.state === 'open' && showsInitial(x), 10_000)).state;
    assert.ok(snapshots.length >= 1, 'no /v1/snapshot request seen');
    assert.ok(!s.states.length || !s.states.includes('reconnecting'), `unexpected states: ${s.states.join(' → ')}`);

    up.setPrice('9988.HK', '150.10'); // above 145.88: up 2.89%
    const moved = await waitForBar(page, '9988.HK at 150.10 by polling', (x) => x.items['9988.HK']?.price === '150.10', 3000 + POLL_MS + 3000);
    t.diagnostic(`shown after ${moved.ms} ms (poll period 3 s); ${snapshots.length} snapshot requests`);
    assert.deepEqual([moved.state.items['9988.HK'].direction, moved.state.items['9988.HK'].arrow, moved.state.items['9988.HK'].change],
      ['up', '▲', '2.89%']);
    assert.equal(moved.state.transport, 'poll');
  });
});

// ---------------------------------------------------------------------------
// 6. The demo config

test('6. config/demo.toml: DEMO badge, moving prices and drawn sparklines; at 1280 px all five without scrolling', TEST, async (t) => {
  await withTicker('demo', { demo: true, viewport: { width: 1280, height: 800 } }, async ({ page, open }) => {
    await open('/');
    const first = (await waitForBar(page, 'five simulated symbols, open',
      (x) => x.state === 'open' && SYMBOLS.every((s) => x.items[s]?.price), 10_000)).state;
    assert.deepEqual(first.order, SYMBOLS);
    for (const sym of SYMBOLS) assert.equal(first.items[sym].source, 'sim', `${sym} data-source`);
    assert.equal(first.demoHidden, false, '#demo-badge should not carry [hidden] with sim quotes');
    assert.equal(first.demoVisible, true, '#demo-badge should be visible');
    assert.equal((await page.locator('#demo-badge').textContent()).trim(), 'DEMO');

    const moved = await waitForBar(page, 'at least 3 of the 5 simulated prices changing',
      (x) => SYMBOLS.filter((s) => x.items[s]?.price !== first.items[s].price).length >= 3, 6000);
    t.diagnostic(`prices moved within ${moved.ms} ms`);

    const drawn = await waitForBar(page, 'a sparkline of at least 20 points for every symbol',
      (x) => SYMBOLS.every((s) => !x.items[s].sparkEmpty && x.items[s].sparkPoints >= 20), 5000);
    t.diagnostic(`sparkline points: ${SYMBOLS.map((s) => `${s}=${drawn.state.items[s].sparkPoints}`).join(' ')}`);
    const box = await page.locator('[data-symbol="NVDA"] .spark').boundingBox();
    assert.ok(box && box.width > 20 && box.height > 8, `NVDA's sparkline has no size: ${JSON.stringify(box)}`);
    const path = await page.locator('[data-symbol="NVDA"] .spark .spark-line').getAttribute('points');
    const ys = new Set(path.trim().split(/\s+/).map((p) => p.split(',')[1]));
    assert.ok(ys.size >= 5, `NVDA's sparkline is flat (${ys.size} distinct heights)`);

    // The compact layout: the five demo symbols and the DEMO badge fit 1280 px, no marquee.
    const fit = await page.evaluate(() => {
      const bar = document.querySelector('#ticker .tkd-bar');
      return { scrolling: bar.hasAttribute('data-scrolling'), need: bar.querySelector('.tkd-items').scrollWidth, have: bar.querySelector('.tkd-viewport').clientWidth };
    });
    t.diagnostic(`at 1280 px: the items need ${fit.need} px of ${fit.have} px`);
    assert.equal(fit.scrolling, false, `the demo bar scrolls at 1280 px: ${fit.need} px needed, ${fit.have} px available`);

    mkdirSync(artifactsDir, { recursive: true });
    await page.locator('#ticker .tkd-bar').screenshot({ path: join(artifactsDir, 'ticker-bar-demo.png'), animations: 'disabled' });
  });
});

// ---------------------------------------------------------------------------
// 7. Screenshot

test('7. screenshot of the bar (test artifact ticker-bar.png)', TEST, async (t) => {
  await withTicker('screenshot', { historyResolution: '1s', deviceScaleFactor: 2 }, async ({ page, open, up }) => {
    // A few seconds of history (1 s buckets) so the sparklines have a shape, ending at the fixture prices.
    const paths = {
      NVDA: ['1279.10', '1281.55', '1280.20', '1283.05', '1284.30'],
      TSM: ['249.40', '248.95', '249.10', '248.60', '248.72'],
      '9988.HK': ['144.90', '144.10', '143.60', '143.20', '142.80'],
      'BTC-USD': ['71180.00', '71260.40', '71390.10', '71350.00', '71420.00'],
      'VND=X': ['25418', '25416', '25415', '25413', '25412'],
    };
    for (let i = 0; i < 5; i++) {
      for (const [id, prices] of Object.entries(paths)) up.setPrice(id, prices[i]);
      await sleep(1100);
    }
    await open('/');
    await waitForInitial(page);
    const s = (await waitForBar(page, 'open, and every sparkline drawn with at least 3 points',
      (x) => x.state === 'open' && SYMBOLS.every((sym) => !x.items[sym]?.sparkEmpty && x.items[sym]?.sparkPoints >= 3), 5000)).state;
    // ticker.css applied (the bar stays visibility:hidden until it loads): the dark theme's background.
    const look = await page.locator('#ticker .tkd-bar').evaluate((el) => {
      const cs = getComputedStyle(el);
      return { visibility: cs.visibility, background: cs.backgroundColor, height: cs.height };
    });
    assert.deepEqual(look, { visibility: 'visible', background: 'rgb(15, 23, 42)', height: '40px' }, 'the bar as styled by ticker.css');
    await page.evaluate(() => document.fonts.ready);
    await sleep(300); // let the stylesheet's transitions settle

    mkdirSync(artifactsDir, { recursive: true });
    const file = join(artifactsDir, 'ticker-bar.png');
    const bar = page.locator('#ticker .tkd-bar');
    await bar.screenshot({ path: file, animations: 'disabled' });
    const png = readFileSync(file);
    assert.equal(png.subarray(1, 4).toString(), 'PNG', 'the artifact is not a PNG');
    const box = await bar.boundingBox();
    assert.ok(box.height >= 24 && box.width >= 600, `the bar is oddly sized: ${JSON.stringify(box)}`);
    const scrolling = await bar.getAttribute('data-scrolling');
    t.diagnostic(`${file}: ${png.length} bytes, bar ${box.width}x${box.height} CSS px, marquee ${scrolling === null ? 'off' : 'on'}; ` +
      `sparkline points ${SYMBOLS.map((sym) => `${sym}=${s.items[sym].sparkPoints}`).join(' ')}`);
  });
});

// ---------------------------------------------------------------------------
// 8. Accessibility smoke

test('8. accessibility: a polite live region, and direction in text, not only colour', TEST, async () => {
  await withTicker('a11y', {}, async ({ page, open }) => {
    await open('/');
    const s = await waitForInitial(page);

    const live = page.locator('#ticker [aria-live="polite"]');
    assert.ok(await live.count() >= 1, 'no element with aria-live="polite" in the bar');
    const liveText = (await live.first().textContent()) || '';
    for (const sym of SYMBOLS) assert.ok(!liveText.includes(INITIAL[sym].price), `the live region reads prices: ${JSON.stringify(liveText)}`);
    assert.equal(await page.locator('#ticker [aria-live="assertive"]').count(), 0, 'ticks must not be assertive');

    for (const sym of SYMBOLS) {
      const it = s.items[sym];
      const word = it.direction === 'up' ? 'up' : 'down';
      assert.equal(it.arrowRole, 'img', `${sym} .arrow role`);
      assert.equal(it.arrowLabel, word, `${sym} .arrow aria-label`);
      assert.equal(it.arrow, INITIAL[sym].arrow, `${sym} .arrow text (a glyph, not just a colour)`);
      assert.match(it.label || '', new RegExp(`^${sym.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .*${INITIAL[sym].price.replace(/[.]/g, '\\.')}.* ${word} ${INITIAL[sym].change.replace('.', '\\.')}`),
        `${sym} li aria-label should name the symbol, the price and "${word} ${INITIAL[sym].change}"`);
    }
    // The accessible names as Chromium computes them.
    const arrowName = await page.getByRole('img', { name: 'down' }).count();
    assert.ok(arrowName >= 2, `expected the two falling symbols' arrows as role=img named "down", found ${arrowName}`);
    const status = page.locator('#status');
    assert.match((await status.textContent()).trim(), /live/i, '#status has a text alternative for its coloured dot');
  });
});

// ---------------------------------------------------------------------------
// 9. Config reload

test('9. a config reload (SIGHUP) that removes a symbol drops it from the bar without a reconnect', TEST, async () => {
  await withTicker('reload', {}, async ({ page, open, daemon, config }) => {
    await open('/');
    await waitForInitial(page);
    await waitForBar(page, '#status open', (x) => x.state === 'open');
    const start = config.indexOf('[[symbols]]\nid = "TSM"');
    assert.ok(start >= 0, 'the TSM block in the config');
    const end = config.indexOf('[[symbols]]', start + 1);
    writeFileSync(join(daemon.dir, 'tickerd.toml'), config.slice(0, start) + config.slice(end));
    daemon.proc.kill('SIGHUP');
    const { state } = await waitForBar(page, 'TSM gone from the bar', (x) => !x.items.TSM);
    assert.deepEqual(state.order, SYMBOLS.filter((s) => s !== 'TSM'), 'the other items stay, in order');
    assert.equal(state.state, 'open');
    assert.deepEqual(state.states.filter((s) => s === 'reconnecting'), [], 'no reconnect');
  });
});

// ---------------------------------------------------------------------------
// 10. Honest freshness: the daemon stops under the open page

const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
const UP_COLOUR = rgb('#4ade80'); // --tkd-up, dark theme
const GREEN_DOT = rgb('#22c55e'); // --tkd-ok

// Mostly waiting (40 s): ctest runs it on its own, beside other tests (TICKERD_BROWSER_SKIP_OUTAGE=1 in the other run).
test('10. the daemon stops under the open page: "Reconnecting…" and greyed prices at 5 s, "Prices delayed since" and stale at 40 s, then recovery', {
  timeout: 180_000,
  skip: process.env.TICKERD_BROWSER_SKIP_OUTAGE === '1' ? 'run by its own ctest' : false,
}, async (t) => {
  const port = await freePort();
  // A phone's width: the notice must be readable there. max_age 20 s for the quotes (the daemon
  // puts it in every quote); the config's heartbeat is 1 s.
  await withTicker('freshness', { port, maxAge: '20s', viewport: { width: 390, height: 700 }, deviceScaleFactor: 2 }, async (env) => {
    const { page, open, up } = env;
    await open('/');
    await waitForInitial(page);
    const live = (await waitForBar(page, 'live: open, green dot, no notice',
      (s) => s.freshness === 'live' && s.state === 'open' && s.notice === null)).state;
    assert.equal(live.dotColour, GREEN_DOT, 'the dot is green while live');
    for (const sym of SYMBOLS) assert.deepEqual([live.items[sym].stale, live.items[sym].delayed], ['false', 'false'], sym);
    assert.equal(live.items.NVDA.changeColour, UP_COLOUR, 'NVDA change in the up colour while live');
    const staleColour = rgb(live.staleColour);

    const stoppedAt = Date.now();
    assert.deepEqual(await env.daemon.stop(), { code: 0, signal: null });
    const liveTextsBefore = live.live.length;

    await sleep(Math.max(0, stoppedAt + 5000 - Date.now()));
    const at5 = await barState(page);
    t.diagnostic(`at 5 s: freshness=${at5.freshness} notice=${JSON.stringify(at5.notice)} live region=${JSON.stringify(at5.live.slice(liveTextsBefore).map((x) => x.text))}`);
    assert.equal(at5.freshness, 'reconnecting', `data-freshness at 5 s:\n${describeBar(at5)}`);
    assert.equal(at5.notice, 'Reconnecting…', 'a visible text label at 5 s, not just the dot');
    assert.ok(at5.noticeBox.fontPx >= 12, `notice font ${at5.noticeBox.fontPx} px`);
    assert.ok(at5.noticeBox.left >= 0 && at5.noticeBox.right <= 390, `the notice fits a 390 px phone screen: ${JSON.stringify(at5.noticeBox)}`);
    assert.notEqual(at5.dotColour, GREEN_DOT, 'the dot is not green while down');
    for (const sym of SYMBOLS) {
      const it = at5.items[sym];
      assert.equal(it.price, INITIAL[sym].price, `${sym} keeps its last price`);
      assert.equal(it.delayed, 'true', `${sym} data-delayed at 5 s`);
      assert.equal(it.stale, 'false', `${sym} is 5 s old, within its max_age (20 s)`);
      assert.equal(it.priceColour, staleColour, `${sym} price greyed at 5 s`);
      assert.equal(it.changeColour, staleColour, `${sym} change greyed at 5 s`);
      assert.match(it.label, /delayed/, `${sym} aria-label says delayed`);
    }

    await sleep(Math.max(0, stoppedAt + 40_000 - Date.now()));
    const at40 = await barState(page);
    t.diagnostic(`at 40 s: freshness=${at40.freshness} notice=${JSON.stringify(at40.notice)}`);
    assert.equal(at40.freshness, 'delayed', `data-freshness at 40 s:\n${describeBar(at40)}`);
    assert.match(at40.notice, /^Prices delayed since \d{1,2}:\d{2}/, 'the notice names the time of the last contact');
    for (const sym of SYMBOLS) {
      const it = at40.items[sym];
      assert.equal(it.price, INITIAL[sym].price, `${sym} keeps its last price`);
      assert.deepEqual([it.stale, it.delayed, it.staleMarkShown], ['true', 'true', true], `${sym} stale (last contact 40 s ago > max_age 20 s), with its mark`);
      assert.equal(it.priceColour, staleColour, `${sym} price greyed at 40 s`);
    }
    const outage = at40.live.slice(liveTextsBefore).map((x) => x.text);
    assert.equal(outage.length, 1, `announced once during the outage: ${JSON.stringify(outage)}`);
    assert.match(outage[0], /interrupted/);

    up.setPrice('NVDA', '1301.25'); // only the new daemon can know this
    const second = await env.startDaemon();
    assert.equal(second.port, port, 'the new daemon listens on the same port');
    // The page retries with a back-off of up to 30 s after 40 s of failures.
    const back = await waitForBar(page, 'live again: NVDA at 1,301.25, no notice, colours back',
      (s) => s.freshness === 'live' && s.items.NVDA?.price === '1,301.25' && s.notice === null, 45_000);
    t.diagnostic(`recovered ${back.ms} ms after the new daemon listened, via ${back.state.transport}`);
    for (const sym of SYMBOLS) assert.deepEqual([back.state.items[sym].stale, back.state.items[sym].delayed], ['false', 'false'], `${sym} after recovery`);
    assert.equal(back.state.items.NVDA.changeColour, UP_COLOUR, 'NVDA change back in the up colour');
    assert.notEqual(back.state.items.TSM.priceColour, staleColour, 'TSM price no longer greyed');
    assert.equal(back.state.dotColour, GREEN_DOT);
    await waitForBar(page, '"Live prices restored." announced', (s) => s.live.at(-1)?.text === 'Live prices restored.', 3000);
    up.setPrice('BTC-USD', '72000.50');
    await waitForBar(page, 'prices updating again (BTC at 72,000.50)', (s) => s.items.BTC?.price === '72,000.50', POLL_MS + 2700);
  });
});

// ---------------------------------------------------------------------------
// 11. Connected but no prices: never "Loading…" beside "Live"

test('11. a daemon with no quotes (every upstream failing): "Waiting for the first prices…", not a green "Live"', TEST, async () => {
  const routes = ['yahoo:NVDA', 'yahoo:TSM', 'yahoo:9988.HK', 'yahoo:VND=X', 'coinbase:BTC-USD'];
  await withTicker('no-quotes', { beforeDaemon: (up) => { for (const r of routes) up.fail(r, 503); } }, async ({ page, open }) => {
    await open('/');
    const s = (await waitForBar(page, 'open with no quotes: data-freshness="waiting"', (x) => x.state === 'open' && x.freshness === 'waiting')).state;
    await sleep(1500);
    const later = await barState(page);
    assert.equal(later.freshness, 'waiting');
    assert.equal(later.placeholder, 'Waiting for the first prices…');
    assert.notEqual(later.dotColour, GREEN_DOT, 'no green dot without prices');
    assert.doesNotMatch(later.statusText, /live/i, `#status text: ${later.statusText}`);
    assert.deepEqual(Object.keys(later.items), [], 'no items');
    assert.equal(s.notice, null);
  });
});

// ---------------------------------------------------------------------------
// 12. Locale and sparklines off

test('12. ?locale=vi-VN&sparklines=0: Intl.NumberFormat numbers, no sparklines and no history requests', TEST, async () => {
  await withTicker('locale', {}, async ({ page, open }) => {
    const history = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/v1/history/')) history.push(r.url()); });
    await open('/?locale=vi-VN&sparklines=0');
    const s = (await waitForBar(page, 'USD/VND as 25.412 (vi-VN)', (x) => x.items['USD/VND']?.price === '25.412')).state;
    assert.equal(s.items.NVDA.price, '1.284,30');
    assert.equal(s.items.BTC.price, '71.420,00');
    assert.equal(s.items.NVDA.change, '1,42%');
    for (const sym of SYMBOLS) assert.equal(s.items[sym].hasSpark, false, `${sym} has no sparkline`);
    await sleep(500);
    assert.deepEqual(history, [], 'no /v1/history requests without sparklines');
  });
});

// ---------------------------------------------------------------------------
// 13. Page weight, requests before the first price, layout shift, 1280 px

/** Chromium's network log (CDP) for one view: every HTTP request and its bytes on the wire. */
async function networkLog(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const reqs = new Map();
  const sockets = [];
  cdp.on('Network.requestWillBeSent', (e) => { if (!reqs.has(e.requestId)) reqs.set(e.requestId, { url: e.request.url, wallMs: e.wallTime * 1000, bytes: 0, cached: false, status: null }); });
  cdp.on('Network.requestServedFromCache', (e) => { const r = reqs.get(e.requestId); if (r) r.cached = true; });
  cdp.on('Network.responseReceived', (e) => {
    const r = reqs.get(e.requestId);
    if (r) { r.status = e.response.status; r.cached ||= !!(e.response.fromDiskCache || e.response.fromMemoryCache); }
  });
  cdp.on('Network.loadingFinished', (e) => { const r = reqs.get(e.requestId); if (r) r.bytes = e.encodedDataLength; }); // headers included
  cdp.on('Network.webSocketCreated', (e) => sockets.push(e.url));
  return {
    /** The view's figures; firstPriceWallMs: when the first price was drawn (wall clock). */
    figures(firstPriceWallMs) {
      const all = [...reqs.values()].filter((r) => /^https?:/.test(r.url));
      return {
        requests: all.length,
        fromCache: all.filter((r) => r.cached).length,
        bytes: all.reduce((n, r) => n + r.bytes, 0),
        beforeFirstPrice: all.filter((r) => r.wallMs < firstPriceWallMs).map((r) => new URL(r.url).pathname),
        webSockets: sockets.length,
        paths: all.map((r) => `${new URL(r.url).pathname}${new URL(r.url).search} ${r.status}${r.cached ? ' (cache)' : ''} ${r.bytes} B`),
      };
    },
    reset() { reqs.clear(); sockets.length = 0; },
    detach: () => cdp.detach().catch(() => {}),
  };
}

test('13. page weight (first and repeat view), 3 requests before the first price, no layout shift, five symbols without scrolling at 1280 px', { timeout: 90_000 }, async (t) => {
  await withTicker('weight', { viewport: { width: 1280, height: 800 } }, async ({ context, page, daemon }) => {
    const net = await networkLog(context, page);
    const view = async () => {
      net.reset();
      await page.goto(`${daemon.url}/`, { waitUntil: 'load' });
      await waitForInitial(page);
      await sleep(1500); // the sparklines' history requests, and any late shift
      const timeline = await page.evaluate(() => ({ firstPrice: performance.timeOrigin + window.__firstPriceAt, cls: window.__cls, shifts: window.__shifts }));
      return { ...net.figures(timeline.firstPrice), cls: timeline.cls, shifts: timeline.shifts };
    };
    const first = await view();
    const layout = await page.evaluate(() => {
      const bar = document.querySelector('#ticker .tkd-bar');
      return {
        scrolling: bar.hasAttribute('data-scrolling'),
        inside: [...document.querySelectorAll('#ticker [data-symbol]')].every((li) => { const r = li.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; }),
        listWidth: bar.querySelector('.tkd-items').scrollWidth,
        viewport: bar.querySelector('.tkd-viewport').clientWidth,
      };
    });
    const repeat = await view();
    await net.detach();
    const line = (v) => `${v.requests} requests (${v.fromCache} from cache), ${v.bytes} B incl. headers, ${v.beforeFirstPrice.length} before the first price, ${v.webSockets} WebSocket`;
    t.diagnostic(`figure: page weight first view: ${line(first)}; repeat view: ${line(repeat)}; CLS first ${first.cls.toFixed(4)} repeat ${repeat.cls.toFixed(4)}; ` +
      `items ${layout.listWidth} px in ${layout.viewport} px at 1280`);
    t.diagnostic(`first view: ${first.paths.join(', ')}`);
    t.diagnostic(`repeat view: ${repeat.paths.join(', ')}`);

    // Requests before the first price: the page, the stylesheet and the bundle (the stream is a WebSocket).
    assert.deepEqual(first.beforeFirstPrice, ['/', '/dist/ticker.min.css', '/dist/ticker-bar.min.js'], 'requests before the first price (first view)');
    assert.ok(repeat.beforeFirstPrice.length <= 3, `repeat view: ${repeat.beforeFirstPrice.join(' ')}`);
    assert.ok(!first.paths.some((p) => /ticker-bar\.js|tickerd\.js|client\.js|tickerd-core\.js|ticker\.css/.test(p)), 'only the bundle, never the unbundled modules');
    const history = first.paths.filter((p) => p.startsWith('/v1/history/'));
    assert.equal(history.length, 5, 'one history request per symbol');
    for (const h of history) assert.match(h, /[?&]points=\d+/, 'history asked with points= (the sparkline width)');
    // Budgets (transferred bytes, headers included): the daemon gzips, caches versioned assets for good,
    // and sends sparkline-sized history with ETags.
    assert.ok(first.bytes <= 40_000, `first view ${first.bytes} B`);
    assert.ok(repeat.bytes <= 5_000, `repeat view ${repeat.bytes} B`);
    for (const [name, v] of [['first', first], ['repeat', repeat]]) {
      assert.ok(v.cls < 0.001, `${name} view: cumulative layout shift ${v.cls}: ${JSON.stringify(v.shifts)}`);
    }
    assert.equal(layout.scrolling, false, `the bar scrolls at 1280 px: the items need ${layout.listWidth} px, ${layout.viewport} px available`);
    assert.equal(layout.inside, true, 'every item inside the window');
  });
});
