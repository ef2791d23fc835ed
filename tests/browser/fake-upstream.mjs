// fake-upstream.mjs: a fake Yahoo + Coinbase on loopback for the browser tests.
//
// Serves the real reply formats (copied from tests/fixtures/):
//   GET /v8/finance/chart/{SYMBOL}      Yahoo chart v8 (meta.regularMarketPrice, previousClose, currency,
//                                       regularMarketTime, currentTradingPeriod, indicators)
//   GET /products/{ID}/ticker           Coinbase Exchange ticker (price, time, …)
//   GET /products/{ID}/stats            Coinbase Exchange 24 h stats (open, …)
//
// Every instrument starts at its fixture's price and reference; the trading
// period is moved around "now" so the market reads as open. Prices are kept
// as strings and written into the JSON verbatim (as a number for Yahoo, a
// string for Coinbase), so "1284.30" is what the daemon reads.
//
//   const up = await startFakeUpstream({ fixturesDir });
//   up.baseUrl                     "http://127.0.0.1:PORT"
//   up.setPrice("NVDA", "1250.00")  Yahoo symbol or Coinbase product id ("BTC-USD")
//   up.setReference("NVDA", "1300")  previousClose (Yahoo) or stats.open (Coinbase)
//   up.fail("yahoo:TSM", 503)       or "garbage"; routes: "yahoo:SYM", "coinbase:ID:ticker", "coinbase:ID:stats",
//   up.fail("coinbase:BTC-USD")     "coinbase:ID" (both); up.heal(route) / up.heal() for all
//   up.hits("yahoo:NVDA")           requests served for a route (any outcome)
//   await up.close()
//
// Standalone, for poking at by hand: `node tests/browser/fake-upstream.mjs` prints its base URL.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// Yahoo symbol -> fixture file.
const YAHOO_FIXTURES = {
  NVDA: 'yahoo_chart_NVDA.json',
  TSM: 'yahoo_chart_TSM.json',
  '9988.HK': 'yahoo_chart_9988.HK.json',
  'VND=X': 'yahoo_chart_VND_X.json',
  'BTC-USD': 'yahoo_chart_BTC-USD.json',
};
const COINBASE_PRODUCTS = ['BTC-USD'];

// A JSON number literal written verbatim: JSON.stringify puts a marker string, replaced afterwards.
const RAW = '\u0000raw:';
const raw = (literal) => `${RAW}${literal}\u0000`;
const stringify = (obj) => JSON.stringify(obj).replace(/"\\u0000raw:([^"\\]*)\\u0000"/g, '$1');

const nowS = () => Math.floor(Date.now() / 1000);

export async function startFakeUpstream({ fixturesDir = process.env.TICKERD_SOURCE_DIR ? join(process.env.TICKERD_SOURCE_DIR, 'tests/fixtures') : resolve(here, '../fixtures') } = {}) {
  const load = (file) => JSON.parse(readFileSync(join(fixturesDir, file), 'utf8'));
  const yahoo = new Map(); // symbol -> {template, price, ref, time}
  for (const [symbol, file] of Object.entries(YAHOO_FIXTURES)) {
    const template = load(file);
    const meta = template.chart.result[0].meta;
    yahoo.set(symbol, { template, price: String(meta.regularMarketPrice), ref: String(meta.previousClose), time: nowS() });
  }
  // The fixture's own literals where JSON.parse would lose the trailing zeros.
  yahoo.get('NVDA').price = '1284.30';
  yahoo.get('9988.HK').price = '142.80';
  yahoo.get('VND=X').ref = '25419.6';
  const coinbase = new Map(); // product -> {ticker, stats, price, open, time}
  for (const id of COINBASE_PRODUCTS) {
    const ticker = load(`coinbase_ticker_${id}.json`);
    const stats = load(`coinbase_stats_${id}.json`);
    coinbase.set(id, { ticker, stats, price: ticker.price, open: stats.open, time: new Date().toISOString() });
  }

  const failures = new Map(); // route -> 503 | "garbage" | other status
  const hitCount = new Map();
  const started = nowS();

  function yahooBody(symbol) {
    const s = yahoo.get(symbol);
    const doc = structuredClone(s.template);
    const r = doc.chart.result[0];
    const m = r.meta;
    const price = Number(s.price);
    const ref = Number(s.ref);
    m.regularMarketPrice = raw(s.price);
    m.previousClose = raw(s.ref);
    m.chartPreviousClose = raw(s.ref);
    m.fulldayPrice = raw(s.price);
    m.fulldayChange = Math.round((price - ref) * 1e4) / 1e4;
    m.regularMarketChangePercent = Math.round(((price - ref) / ref) * 1e5) / 1e3;
    m.fulldayChangePercent = m.regularMarketChangePercent;
    m.regularMarketTime = s.time;
    // A regular session from 3 h before the fake started until 6 h after it: "open".
    const start = started - 3 * 3600;
    const end = started + 6 * 3600;
    const tz = m.currentTradingPeriod.regular.timezone;
    const gmtoffset = m.gmtoffset;
    m.currentTradingPeriod = {
      pre: { timezone: tz, start: start - 5 * 3600, end: start, gmtoffset },
      regular: { timezone: tz, start, end, gmtoffset },
      post: { timezone: tz, start: end, end: end + 4 * 3600, gmtoffset },
    };
    m.tradingPeriods = [[{ timezone: tz, start, end, gmtoffset }]];
    // Bars: the fixture's shape, shifted into today's session, ending at the price.
    const n = r.timestamp.length;
    r.timestamp = r.timestamp.map((_, i) => (i === n - 1 ? s.time : start + i * 300));
    const q = r.indicators.quote[0];
    for (const k of ['open', 'high', 'low', 'close']) if (Array.isArray(q[k])) q[k][n - 1] = price;
    return stringify(doc);
  }

  function coinbaseBody(id, kind) {
    const c = coinbase.get(id);
    if (kind === 'ticker') return JSON.stringify({ ...c.ticker, price: c.price, bid: c.price, time: c.time });
    return JSON.stringify({ ...c.stats, open: c.open, last: c.price });
  }

  function failureFor(routes) {
    for (const r of routes) if (failures.has(r)) return failures.get(r);
    return null;
  }

  function send(res, status, body, type = 'application/json; charset=utf-8') {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
    res.end(body);
  }

  function serveFailure(res, how) {
    if (how === 'garbage') return send(res, 200, '<html><body>Will be right back… {"chart":', 'text/html; charset=utf-8');
    const status = typeof how === 'number' ? how : 503;
    return send(res, status, JSON.stringify({ message: 'Service Unavailable' }));
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://upstream.invalid');
    if (req.method !== 'GET') return send(res, 405, '{"message":"method not allowed"}');
    let m = /^\/v8\/finance\/chart\/([^/]+)$/.exec(url.pathname);
    if (m) {
      let symbol;
      try { symbol = decodeURIComponent(m[1]); } catch { return send(res, 400, '{"message":"bad escape"}'); }
      const route = `yahoo:${symbol}`;
      hitCount.set(route, (hitCount.get(route) || 0) + 1);
      const how = failureFor([route]);
      if (how !== null) return serveFailure(res, how);
      if (!yahoo.has(symbol)) {
        return send(res, 404, JSON.stringify(load('yahoo_chart_error_unknown.json')));
      }
      return send(res, 200, yahooBody(symbol));
    }
    m = /^\/products\/([^/]+)\/(ticker|stats)$/.exec(url.pathname);
    if (m) {
      const id = decodeURIComponent(m[1]);
      const kind = m[2];
      const route = `coinbase:${id}:${kind}`;
      hitCount.set(route, (hitCount.get(route) || 0) + 1);
      const how = failureFor([route, `coinbase:${id}`]);
      if (how !== null) return serveFailure(res, how);
      if (!coinbase.has(id)) return send(res, 404, JSON.stringify(load('coinbase_error_notfound.json')));
      return send(res, 200, coinbaseBody(id, kind));
    }
    return send(res, 404, '{"message":"no such route on the fake upstream"}');
  });
  // Keep-alive connections must not hold close() up.
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();

  const checkPrice = (p) => {
    const text = String(p);
    if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`fake upstream: not a plain decimal: ${p}`);
    return text;
  };

  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    /** New last price for a Yahoo symbol ("NVDA", "VND=X") or Coinbase product ("BTC-USD"), with a new time. */
    setPrice(id, price) {
      const text = checkPrice(price);
      if (coinbase.has(id)) Object.assign(coinbase.get(id), { price: text, time: new Date().toISOString() });
      else if (yahoo.has(id)) Object.assign(yahoo.get(id), { price: text, time: nowS() });
      else throw new Error(`fake upstream: unknown instrument ${id}`);
    },
    /** New reference: Yahoo previousClose or Coinbase stats.open. */
    setReference(id, ref) {
      const text = checkPrice(ref);
      if (coinbase.has(id)) coinbase.get(id).open = text;
      else if (yahoo.has(id)) yahoo.get(id).ref = text;
      else throw new Error(`fake upstream: unknown instrument ${id}`);
    },
    /** Makes a route fail: with an HTTP status (default 503) or "garbage" (200, not JSON). */
    fail(route, how = 503) {
      failures.set(route, how);
    },
    /** Heals one route, or every route. */
    heal(route) {
      if (route === undefined) failures.clear();
      else failures.delete(route);
    },
    hits(route) {
      return hitCount.get(route) || 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const up = await startFakeUpstream();
  console.log(`fake upstream on ${up.baseUrl}`);
}
