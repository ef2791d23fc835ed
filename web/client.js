// client.js: dependency-free client for the tickerd daemon (browsers, and node
// with a WebSocket class such as the `ws` package's). The package's main entry.
//   const feed = connect({ symbols: ["NVDA", "BTC"], onUpdate: (quotes) => … });
// Transports, best first: WebSocket /v1/stream, Server-Sent Events /v1/events,
// polling /v1/snapshot. Reconnects resume with ?since=<last seq>, so no change
// is missed. Pure logic: tickerd-core.js (unit-tested under node).

import {
  QuoteBook, backoffDelay, baseUrl, streamUrl, eventsUrl, snapshotUrl, historyUrl, parseSymbols,
} from "./tickerd-core.js";

export { formatQuote } from "./tickerd-core.js";

const TRANSPORTS = ["ws", "sse", "poll"];

/**
 * Options (all optional): url (daemon base, default the page's origin),
 * symbols (["NVDA", …] or "NVDA,BTC"; default all), onSnapshot(allQuotes, info),
 * onUpdate(changedQuotes, info), onRemoved(symbolIds, info) (a config reload
 * removed them from the daemon), onStatus({state, transport, attempt, error, retryInMs}),
 * onError(text), transports (default ["ws", "sse", "poll"]), heartbeatMs 15000,
 * pollMs 3000, upgradeMs 60000 (retry a better transport), baseMs 500 / maxMs 30000,
 * WebSocket / EventSource (constructors to use instead of the global ones,
 * e.g. the `ws` package's WebSocket under node).
 * Returns {close, quotes, quote(id), subscribe(ids), unsubscribe(ids), setSymbols, status,
 * lastMessageAt, seq}.
 */
export function connect(options = {}) {
  const o = { heartbeatMs: 15000, pollMs: 3000, upgradeMs: 60000, baseMs: 500, maxMs: 30000, ...options };
  const page = globalThis.location?.href;
  const base = baseUrl(o.url, page);
  const sameOrigin = !page || new URL(base).origin === new URL(page).origin;
  const WebSocketClass = o.WebSocket || globalThis.WebSocket;
  const EventSourceClass = o.EventSource || globalThis.EventSource;
  const available = { ws: !!WebSocketClass, sse: !!EventSourceClass, poll: !!globalThis.fetch };
  const allowed = (o.transports || TRANSPORTS).filter((t) => available[t]);
  if (!allowed.length) throw new Error("tickerd: no usable transport");
  const book = new QuoteBook(parseSymbols(o.symbols));

  let ti = 0; // index in `allowed` of the transport in use
  let conn = null; // the live connection
  let probe = null; // a better transport being tried while on a fallback
  let attempt = 0; // consecutive failures, for the back-off
  let failsBeforeMessage = 0; // in a row on the current transport, see onFail
  const worked = new Set(); // transports that delivered a message in this session
  let everOpen = false;
  let closed = false;
  let lastMessageAt = 0; // Date.now() of the last message from the daemon, heartbeats included
  let status = { state: "connecting", transport: allowed[0], attempt: 0 };
  const timers = {};
  const clear = (name) => clearTimeout(timers[name]);

  function setStatus(state, extra = {}) {
    status = { state, transport: allowed[ti], attempt, ...extra };
    o.onStatus?.(status);
  }

  const subs = () => (book.symbols ? [...book.symbols] : null);

  // One connection of any transport. `c.since` is the seq it resumed from.
  function open(kind) {
    const c = { kind, since: book.seq, got: false, first: true, send: () => false, close: () => {} };
    const h = { message: (m) => onMessage(c, m), fail: (why) => onFail(c, why) };
    const q = { symbols: subs(), since: c.since };
    if (kind === "ws") openWs(c, h, streamUrl(base, q));
    else if (kind === "sse") openSse(c, h, eventsUrl(base, q));
    else openPoll(c, h);
    return c;
  }

  function parse(data, h) {
    try { data = JSON.parse(data); } catch { return; }
    h.message(data);
  }

  function openWs(c, h, url) {
    const ws = new WebSocketClass(url);
    ws.onmessage = (ev) => parse(ev.data, h);
    ws.onerror = ws.onclose = (ev) => h.fail(ev.code ? `WebSocket closed (${ev.code})` : "WebSocket error");
    c.send = (obj) => ws.readyState === 1 && (ws.send(JSON.stringify(obj)), true);
    c.close = () => {
      ws.onmessage = ws.onerror = ws.onclose = null;
      try { ws.close(1000); } catch { /* already closing */ }
    };
  }

  function openSse(c, h, url) {
    const es = new EventSourceClass(url);
    for (const type of ["snapshot", "update", "heartbeat", "removed", "message"]) {
      es.addEventListener(type, (ev) => parse(ev.data, h));
    }
    // Reconnect ourselves (back-off, fresh ?since=), not EventSource's way.
    es.onerror = () => h.fail("EventSource error");
    c.close = () => es.close();
  }

  function openPoll(c, h) {
    let etag = null;
    let stopped = false;
    let ctl = null;
    let timer = 0;
    const tick = async () => {
      ctl = new AbortController();
      const limit = setTimeout(() => ctl.abort(), Math.max(10000, 2 * o.pollMs));
      try {
        // Cross-origin, If-None-Match would need a CORS preflight: there the
        // browser cache revalidates with the ETag itself (cache: "no-cache").
        const headers = sameOrigin && etag ? { "If-None-Match": etag } : {};
        const res = await fetch(snapshotUrl(base, { symbols: subs() }), { headers, cache: "no-cache", signal: ctl.signal });
        if (stopped) return;
        if (res.status === 304 || (res.ok && etag && res.headers.get("ETag") === etag)) {
          h.message({ type: "heartbeat" });
        } else if (res.ok) {
          etag = res.headers.get("ETag");
          h.message({ ...(await res.json()), type: "snapshot" });
        } else {
          const body = await res.json().catch(() => ({}));
          throw new Error(body.error || `HTTP ${res.status}`);
        }
      } catch (e) {
        if (!stopped) h.fail(`poll: ${e.message || e}`);
        return;
      } finally {
        clearTimeout(limit);
      }
      if (!stopped) timer = setTimeout(tick, o.pollMs);
    };
    tick();
    c.close = () => { stopped = true; clearTimeout(timer); ctl?.abort(); };
  }

  function armWatchdog(c) {
    clear("watchdog");
    if (c.kind === "poll") return;
    // Nothing within 10 s of connecting, or for 2 heartbeat intervals: dead link.
    const ms = c.got ? 2 * o.heartbeatMs : Math.min(10000, 2 * o.heartbeatMs);
    timers.watchdog = setTimeout(() => onFail(c, "no message from the daemon"), ms);
  }

  function start() {
    clear("retry");
    if (closed) return;
    conn?.close();
    conn = open(allowed[ti]);
    armWatchdog(conn);
    setStatus(everOpen ? "reconnecting" : "connecting");
  }

  function onMessage(c, msg) {
    if (c === probe) { // a better transport works: switch to it
      probe = null;
      clear("retry");
      conn?.close();
      conn = c;
      ti = allowed.indexOf(c.kind);
      scheduleUpgrade();
    }
    if (c !== conn || !msg || typeof msg !== "object") return;
    const firstOnLink = !c.got;
    c.got = true;
    lastMessageAt = Date.now();
    worked.add(c.kind);
    attempt = failsBeforeMessage = 0;
    // A fallback came up but a better transport worked before: retry it soon.
    if (firstOnLink && ti > 0 && allowed.slice(0, ti).some((k) => worked.has(k))) scheduleUpgrade(2000);
    armWatchdog(c);
    if (msg.type === "error") return o.onError?.(msg.message || msg.code);
    const isSnap = msg.type === "snapshot";
    const first = isSnap && c.first;
    if (isSnap) c.first = false;
    // Whole truth: every poll; a stream's first snapshot when opened without since.
    const r = book.apply(msg, { replace: isSnap && (c.kind === "poll" || (first && !c.since)) });
    if (r.resync) { // the daemon is behind our seq: start over from a full snapshot
      book.seq = 0;
      return restart();
    }
    if (!everOpen || status.state !== "open" || status.transport !== c.kind) {
      everOpen = true;
      setStatus("open");
    }
    const info = { seq: book.seq, since: msg.since ?? null, removed: r.removed, transport: c.kind };
    if (msg.type === "removed") {
      if (r.removed.length) o.onRemoved?.(r.removed, info);
      return;
    }
    if (isSnap && (c.kind !== "poll" || first || r.removed.length)) o.onSnapshot?.(book.list(), { ...info, changed: r.changed });
    else if (r.changed.length) o.onUpdate?.(r.changed, info);
  }

  function onFail(c, why) {
    if (c === probe) {
      probe = null;
      c.close();
      return tryBetter(allowed.indexOf(c.kind) + 1);
    }
    if (c !== conn || closed) return;
    c.close();
    conn = null;
    clear("watchdog");
    // Fall back after 2 failures in a row of a transport that never worked (a
    // proxy blocking WebSocket?); 6 if it did (likely a daemon restart).
    if (!c.got && ++failsBeforeMessage >= (worked.has(c.kind) ? 6 : 2) && ti < allowed.length - 1) {
      ti++;
      failsBeforeMessage = attempt = 0;
      scheduleUpgrade();
    }
    const retryInMs = backoffDelay(attempt++, o);
    setStatus(everOpen ? "reconnecting" : "connecting", { error: why, retryInMs });
    timers.retry = setTimeout(start, retryInMs);
  }

  function restart() {
    probe?.close();
    conn?.close();
    conn = probe = null;
    scheduleUpgrade();
    clear("watchdog");
    start();
  }

  // On a fallback, try the better transports in order every upgradeMs.
  function scheduleUpgrade(ms = o.upgradeMs) {
    clear("upgrade");
    if (ti > 0 && !closed) timers.upgrade = setTimeout(() => tryBetter(0), ms);
  }

  function tryBetter(k) {
    if (closed || k >= ti) return scheduleUpgrade();
    probe = open(allowed[k]);
    const p = probe;
    setTimeout(() => { if (probe === p) onFail(p, "probe timeout"); }, 10000);
  }

  function onOnline() {
    if (!conn && !closed) { attempt = 0; start(); }
  }
  globalThis.addEventListener?.("online", onOnline);

  function setSymbols(list) {
    const before = book.symbols;
    const next = parseSymbols(list);
    const { added } = book.setSymbols(next);
    const removed = before ? [...before].filter((s) => !book.wants(s)) : null;
    if (closed) return;
    if (conn?.kind === "ws" && conn.got && before && next) {
      if (removed.length) conn.send({ op: "unsubscribe", symbols: removed });
      if (added.length) conn.send({ op: "subscribe", symbols: added }); // answered with their snapshot
      return;
    }
    // Reconnect with the new list; new symbols need full quotes, not just changes.
    if (added === null || added.length) book.seq = 0;
    restart();
  }

  start();

  return {
    quotes: () => book.list(),
    quote: (symbol) => book.quotes.get(symbol),
    subscribe: (ids) => book.symbols && setSymbols([...book.symbols, ...(parseSymbols(ids) || [])]),
    unsubscribe: (ids) => {
      const drop = new Set(parseSymbols(ids) || []);
      setSymbols((book.symbols ? [...book.symbols] : book.list().map((q) => q.symbol)).filter((s) => !drop.has(s)));
    },
    setSymbols,
    status: () => status,
    lastMessageAt: () => lastMessageAt,
    get seq() { return book.seq; },
    close() {
      if (closed) return;
      closed = true;
      for (const name of Object.keys(timers)) clear(name);
      conn?.close();
      probe?.close();
      conn = probe = null;
      globalThis.removeEventListener?.("online", onOnline);
      setStatus("closed");
    },
  };
}

/**
 * GET /v1/history/{symbol}?window=1h|6h|1d[&points=N] → {symbol, window, resolution_s, points: [[t_ms, price]…]}.
 * `points`: about how many points to return (a daemon without that parameter ignores it).
 */
export async function fetchHistory(url, symbol, window = "1d", { signal, points } = {}) {
  const res = await fetch(historyUrl(baseUrl(url, globalThis.location?.href), symbol, window, points), { signal });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`tickerd: history of ${symbol}: ${body?.error || `HTTP ${res.status}`}`);
  return body;
}
