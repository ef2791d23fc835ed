// A fake Coinbase Exchange WebSocket feed on loopback, for bench/run's push
// scenario (CLIENTSxpush): what tickerd's coinbase_ws provider connects to.
//
// A client sends {"type":"subscribe","product_ids":[...],"channels":[...]}
// (channels as names, or as {"name","product_ids"} objects); it is answered with
// a `subscriptions` message, then gets, for each subscribed product,
//   - RATE `ticker` messages a second: the price a random walk in whole cents
//     that moves on every ticker, `sequence` strictly increasing per product,
//     `time` the moment the message is sent (UTC, microseconds);
//   - a `heartbeat` every second (its `sequence` is the product's latest).
// Several connections may subscribe to one product; they share its walk.
//
// Usage: node bench/push_upstream.mjs PORT RATE
//   PORT 0 picks a free port. Prints one line once listening; on SIGTERM or
//   SIGINT, one line of what it sent, then exits.
// Needs the npm `ws` package of bench/peers/node-ws (bench/run installs it).
import { createRequire } from 'node:module';

const require = createRequire(new URL('./peers/node-ws/package.json', import.meta.url));
const { WebSocketServer } = require('ws');

const [portArg, rateArg] = process.argv.slice(2);
const port = Number(portArg);
const rate = Number(rateArg);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(rate > 0)) {
  console.error('usage: node bench/push_upstream.mjs PORT RATE   (RATE: tickers a second per product, > 0)');
  process.exit(2);
}

// --- wall-clock time in microseconds ------------------------------------------
// Date.now() has whole milliseconds. Microseconds come from the monotonic clock
// (process.hrtime), set against the wall clock at a moment Date.now() turns to
// the next millisecond, found between two monotonic readings a few µs apart (a
// wider pair, e.g. the process was preempted, is tried again at the next
// millisecond). NTP slews both clocks alike, so they part only when the wall
// clock is stepped: checked every second, and then set again.
let wallMinusMonoUs = 0;
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
function anchorClock() {
  let best = Infinity;
  for (let attempt = 0; attempt < 20 && best > 20; ++attempt) {
    let before = monoUs(); // read just before the last Date.now() that still says `old`
    const old = Date.now();
    let ms = old;
    let after = 0;
    for (;;) {
      const t = monoUs();
      ms = Date.now();
      if (ms !== old) {
        after = monoUs(); // the turn to `ms` happened between `before` and `after`
        break;
      }
      before = t;
    }
    if (after - before < best) {
      best = after - before;
      wallMinusMonoUs = ms * 1000 - Math.round((before + after) / 2);
    }
  }
}
anchorClock();
const nowUs = () => monoUs() + wallMinusMonoUs;
setInterval(() => {
  const ms = Date.now();
  const us = nowUs();
  if (us < ms * 1000 - 500 || us > (ms + 1) * 1000 + 500) anchorClock(); // the wall clock was stepped
}, 1000);
// "2026-12-07T12:00:00.123456Z"
function isoUs(us) {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

// --- products -----------------------------------------------------------------
const products = new Map(); // product id -> walk state, shared by every connection
function product(id) {
  let p = products.get(id);
  if (p) return p;
  // BTC near its usual price; any other product near 100.
  const startCents = id.startsWith('BTC-') ? 7142000 : 10000;
  p = {
    id,
    cents: startCents,
    openCents: startCents,
    lowCents: startCents,
    highCents: startCents,
    volume: 8236.07601234,
    sequence: 137512619000,
    tradeId: 1104412000,
  };
  products.set(id, p);
  return p;
}
const dec = (cents) => (cents / 100).toFixed(2);

// One step of the walk: 1 to 500 cents up or down (never 0, so every ticker is a
// new price); a step that would leave 50 % to 150 % of the open goes the other way.
function step(p) {
  const size = 1 + Math.floor(Math.random() * 500);
  let up = Math.random() < 0.5;
  if (up && p.cents + size > p.openCents * 1.5) up = false;
  if (!up && p.cents - size < p.openCents * 0.5) up = true;
  p.cents += up ? size : -size;
  p.lowCents = Math.min(p.lowCents, p.cents);
  p.highCents = Math.max(p.highCents, p.cents);
  const lastSize = Math.round(Math.random() * 1e8) / 1e8 || 0.00000001;
  p.volume += lastSize;
  p.sequence += 1;
  p.tradeId += 1;
  return { up, lastSize };
}

let tickersSent = 0;
let heartbeatsSent = 0;
let connections = 0;

function sendTicker(ws, p) {
  const { up, lastSize } = step(p);
  const price = dec(p.cents);
  // `time` is taken last, just before the send: it is what the bench times from.
  ws.send(`{"type":"ticker","sequence":${p.sequence},"product_id":"${p.id}","price":"${price}",`
    + `"open_24h":"${dec(p.openCents)}","volume_24h":"${p.volume.toFixed(8)}","low_24h":"${dec(p.lowCents)}",`
    + `"high_24h":"${dec(p.highCents)}","best_bid":"${price}","best_ask":"${dec(p.cents + 1)}",`
    + `"side":"${up ? 'buy' : 'sell'}","time":"${isoUs(nowUs())}","trade_id":${p.tradeId},`
    + `"last_size":"${lastSize.toFixed(8)}"}`);
  tickersSent += 1;
}

function sendHeartbeat(ws, p) {
  ws.send(`{"type":"heartbeat","last_trade_id":${p.tradeId},"product_id":"${p.id}",`
    + `"sequence":${p.sequence},"time":"${isoUs(nowUs())}"}`);
  heartbeatsSent += 1;
}

// --- connections ----------------------------------------------------------------
const wss = new WebSocketServer({ host: '127.0.0.1', port });

wss.on('connection', (ws) => {
  connections += 1;
  const ticker = new Set();    // product ids on the ticker channel of this connection
  const heartbeat = new Set(); // ... and on its heartbeat channel
  let tickerTimer = null;
  let heartbeatTimer = null;

  // RATE tickers a second per product, on a schedule from the first
  // subscription: each wake-up sends what is due (several at high rates).
  function startTickers() {
    if (tickerTimer !== null) return;
    const start = performance.now();
    let done = 0;
    const run = () => {
      tickerTimer = null;
      if (ws.readyState !== ws.OPEN) return;
      const due = Math.floor(((performance.now() - start) * rate) / 1000);
      if (due - done > rate) done = due - 1; // stalled for over a second: no catch-up burst
      for (; done < due; ++done) for (const id of ticker) sendTicker(ws, product(id));
      tickerTimer = setTimeout(run, Math.max(0, start + ((done + 1) * 1000) / rate - performance.now()));
    };
    tickerTimer = setTimeout(run, 1000 / rate);
  }
  function startHeartbeats() {
    if (heartbeatTimer !== null) return;
    heartbeatTimer = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return;
      for (const id of heartbeat) sendHeartbeat(ws, product(id));
    }, 1000);
  }

  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      ws.send('{"type":"error","message":"Failed to parse","reason":"not JSON"}');
      return;
    }
    if (msg === null || msg.type !== 'subscribe') return;
    const ids = Array.isArray(msg.product_ids) ? msg.product_ids.filter((x) => typeof x === 'string') : [];
    for (const ch of Array.isArray(msg.channels) ? msg.channels : []) {
      const name = typeof ch === 'string' ? ch : ch && typeof ch.name === 'string' ? ch.name : '';
      const chIds = ch && Array.isArray(ch.product_ids) ? ch.product_ids.filter((x) => typeof x === 'string') : [];
      const target = name === 'ticker' ? ticker : name === 'heartbeat' ? heartbeat : null;
      if (target) for (const id of [...ids, ...chIds]) target.add(id);
    }
    if (ticker.size === 0 && heartbeat.size === 0) {
      ws.send('{"type":"error","message":"Failed to subscribe","reason":"no ticker or heartbeat channel with a product"}');
      return;
    }
    const channels = [];
    if (ticker.size) channels.push({ name: 'ticker', product_ids: [...ticker], account_ids: null });
    if (heartbeat.size) channels.push({ name: 'heartbeat', product_ids: [...heartbeat], account_ids: null });
    ws.send(JSON.stringify({ type: 'subscriptions', channels }));
    for (const id of [...ticker, ...heartbeat]) product(id);
    if (ticker.size) startTickers();
    if (heartbeat.size) startHeartbeats();
  });

  ws.on('close', () => {
    if (tickerTimer !== null) clearTimeout(tickerTimer);
    if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
  });
  ws.on('error', () => {}); // a reset connection closes; nothing else to do
});

wss.on('listening', () => {
  console.log(`push_upstream: listening on ws://127.0.0.1:${wss.address().port}, ${rate} tickers/s per product`);
});
wss.on('error', (e) => {
  console.error(`push_upstream: ${e.message}`);
  process.exit(1);
});

function finish() {
  console.log(`push_upstream: sent ${tickersSent} tickers and ${heartbeatsSent} heartbeats `
    + `(${[...products.keys()].join(', ') || 'no products'}) over ${connections} connection(s)`);
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
