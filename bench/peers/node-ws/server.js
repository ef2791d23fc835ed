// The Node `ws` peer of the fan-out benchmark (bench/run): tickerd's sim feed
// and stream messages without tickerd. Every interval each of S symbols moves
// with probability 0.6, as tickerd's sim does, and each move is sent to every
// client as {"type":"update","seq","ts","quotes":[one Quote]}; a new client
// first gets a snapshot of all S. Usage: node server.js PORT SYMBOLS INTERVAL_MS
'use strict';
const { WebSocketServer } = require('ws');

const [port, symbols, intervalMs] = process.argv.slice(2).map(Number);
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/v1/stream' });
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const iso = (us) => new Date(Math.floor(us / 1000)).toISOString();
let seq = nowUs();

// Shaped like tickerd's Quote of a sim symbol (bench/run's config: S0 ... crypto, USD, precision 2).
const quotes = Array.from({ length: symbols }, (_, i) => ({ i, ref: 100 + i * 10, price: 100 + i * 10, json: '' }));
function render(q, us) {
  const change = q.price - q.ref, pct = (change / q.ref) * 100;
  const dir = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
  const arrow = dir === 'up' ? '▲ ' : dir === 'down' ? '▼ ' : '';
  // Written out, not JSON.stringify: prices keep their 2 decimals as tickerd prints them (110.10, not 110.1).
  const price = q.price.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  q.json = `{"symbol":"S${q.i}","name":"Symbol ${q.i}","class":"crypto","currency":"USD",`
    + `"price":${q.price.toFixed(2)},"ref_price":${q.ref.toFixed(2)},"change":${change.toFixed(2)},`
    + `"change_pct":${pct.toFixed(2)},"direction":"${dir}","display":{"price":"${price}",`
    + `"change":"${change >= 0 ? '+' : ''}${change.toFixed(2)}","change_pct":"${arrow}${Math.abs(pct).toFixed(2)}%"},`
    + `"market":"always","stale":false,"max_age":300,"source":"sim","as_of":"${iso(us)}",`
    + `"received_at":"${iso(us)}","seq":${seq}}`;
}
quotes.forEach((q) => render(q, nowUs()));

wss.on('connection', (ws) => {
  ws.send(`{"type":"snapshot","seq":${seq},"quotes":[${quotes.map((q) => q.json).join(',')}]}`);
});

// A client with this much unsent is skipped (tickerd conflates instead): memory stays bounded when saturated.
const maxBuffered = 256 * 1024;
setInterval(() => {
  for (const q of quotes) {
    if (Math.random() >= 0.6) continue;
    q.price = Math.max(0.01, q.price * (1 + (Math.random() - 0.5) / 500));
    const ts = nowUs();
    seq += 1;
    render(q, ts);
    const frame = Buffer.from(`{"type":"update","seq":${seq},"ts":${ts},"quotes":[${q.json}]}`);
    for (const ws of wss.clients) {
      if (ws.readyState === 1 && ws.bufferedAmount < maxBuffered) ws.send(frame, { binary: false });
    }
  }
}, intervalMs);

process.on('SIGTERM', () => process.exit(0));
