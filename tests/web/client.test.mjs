// Unit tests for the browser client (web/tickerd-core.js, web/client.js).
// Run: node --test tests/web/client.test.mjs   (node 18+, no packages)
//
// The pure logic is tested directly; connect() is driven with fake
// WebSocket / EventSource / fetch classes and a fake clock.

import { test, describe, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";

import {
  QuoteBook, backoffDelay, baseUrl, streamUrl, eventsUrl, snapshotUrl, historyUrl, parseSymbols, formatAge,
  formatQuote, freshness, maxAgeMs, DEFAULT_MAX_AGE_MS,
} from "../../web/tickerd-core.js";
import { connect } from "../../web/client.js";

const q = (symbol, seq, price = 100, extra = {}) => ({ symbol, seq, price, direction: "up", source: "sim", ...extra });
const held = (book) => Object.fromEntries(book.list().map((x) => [x.symbol, x.seq]));

describe("QuoteBook: snapshots and updates", () => {
  test("first snapshot fills the book and sets the resume seq", () => {
    const book = new QuoteBook();
    const r = book.apply({ type: "snapshot", seq: 50, quotes: [q("NVDA", 40), q("BTC", 50)] }, { replace: true });
    assert.deepEqual(held(book), { NVDA: 40, BTC: 50 });
    assert.equal(book.seq, 50);
    assert.deepEqual(r.changed.map((x) => x.symbol), ["NVDA", "BTC"]);
  });

  test("an update applies only quotes newer than the copy held", () => {
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 50, quotes: [q("NVDA", 40, 1), q("BTC", 50, 2)] }, { replace: true });
    const r = book.apply({ type: "update", seq: 60, quotes: [q("NVDA", 60, 3), q("BTC", 45, 9)] });
    assert.deepEqual(r.changed.map((x) => x.symbol), ["NVDA"]);
    assert.equal(book.quotes.get("NVDA").price, 3);
    assert.equal(book.quotes.get("BTC").price, 2, "older BTC copy must be ignored");
    assert.equal(book.seq, 60);
  });

  test("out-of-order updates: the late older one is ignored, equal seq too", () => {
    const book = new QuoteBook();
    book.apply({ type: "update", seq: 7, quotes: [q("TSM", 7, 70)] });
    book.apply({ type: "update", seq: 5, quotes: [q("TSM", 5, 50)] });
    assert.equal(book.quotes.get("TSM").price, 70);
    const r = book.apply({ type: "update", seq: 7, quotes: [q("TSM", 7, 71)] });
    assert.equal(r.changed.length, 0);
    assert.equal(book.quotes.get("TSM").price, 70);
    assert.equal(book.seq, 7, "the resume seq never goes back on an update");
  });

  test("per-quote seq decides, not the message seq", () => {
    // A subscribe answer (snapshot at store seq 90) can be followed by a queued
    // update of another symbol with a lower message seq: it must still apply.
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 80, quotes: [q("NVDA", 80, 1)] }, { replace: true });
    book.apply({ type: "snapshot", seq: 90, quotes: [q("TSM", 85, 5)] });
    const r = book.apply({ type: "update", seq: 88, quotes: [q("NVDA", 88, 2)] });
    assert.equal(r.changed.length, 1);
    assert.equal(book.quotes.get("NVDA").price, 2);
    assert.equal(book.seq, 90);
  });

  test("a snapshot with since merges: quotes it leaves out are kept", () => {
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 50, quotes: [q("NVDA", 40, 1), q("BTC", 50, 2)] }, { replace: true });
    const r = book.apply({ type: "snapshot", seq: 70, since: 50, quotes: [q("BTC", 65, 3)] });
    assert.deepEqual(held(book), { NVDA: 40, BTC: 65 });
    assert.deepEqual(r.removed, []);
    assert.equal(book.seq, 70);
  });

  test("a replacing snapshot drops symbols it does not hold (removed from the daemon)", () => {
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 50, quotes: [q("NVDA", 40), q("OLD", 45)] }, { replace: true });
    const r = book.apply({ type: "snapshot", seq: 60, quotes: [q("NVDA", 40)] }, { replace: true });
    assert.deepEqual(held(book), { NVDA: 40 });
    assert.deepEqual(r.removed, ["OLD"]);
    assert.deepEqual(r.changed, [], "an unchanged quote is not reported as changed");
  });

  test("a replacing snapshot is authoritative even when its seq is lower (daemon replaced)", () => {
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 900, quotes: [q("NVDA", 900, 1)] }, { replace: true });
    book.apply({ type: "snapshot", seq: 100, quotes: [q("NVDA", 90, 2)] }, { replace: true });
    assert.equal(book.quotes.get("NVDA").price, 2);
    assert.equal(book.seq, 100);
  });

  test("a since-snapshot from a daemon behind our seq asks for a resync", () => {
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 900, quotes: [q("NVDA", 900)] }, { replace: true });
    const r = book.apply({ type: "snapshot", seq: 100, since: 900, quotes: [] });
    assert.equal(r.resync, true);
    assert.equal(book.seq, 900);
    assert.equal(book.apply({ type: "snapshot", seq: 900, since: 900, quotes: [] }).resync, false);
  });

  test("heartbeats advance the resume seq; errors and junk change nothing", () => {
    const book = new QuoteBook();
    book.apply({ type: "heartbeat", seq: 33 });
    assert.equal(book.seq, 33);
    book.apply({ type: "heartbeat", seq: 20 });
    assert.equal(book.seq, 33);
    book.apply({ type: "error", code: "bad_request", message: "x", seq: 99 });
    book.apply(null);
    book.apply({ type: "update", seq: 40, quotes: [null, { symbol: "X" }, q("OK", 40)] });
    assert.deepEqual(held(book), { OK: 40 });
  });

  test("unsubscribed symbols are ignored and dropped", () => {
    const book = new QuoteBook(["NVDA", "BTC"]);
    book.apply({ type: "snapshot", seq: 10, quotes: [q("NVDA", 5), q("BTC", 6), q("TSM", 7)] }, { replace: true });
    assert.deepEqual(held(book), { NVDA: 5, BTC: 6 });
    const { added, removed } = book.setSymbols(["BTC", "TSM"]);
    assert.deepEqual(added, ["TSM"]);
    assert.deepEqual(removed, ["NVDA"]);
    book.apply({ type: "update", seq: 11, quotes: [q("NVDA", 11), q("TSM", 11)] });
    assert.deepEqual(held(book), { BTC: 6, TSM: 11 });
  });

  test("a removed message drops the symbols from the quotes and from the subscription list", () => {
    const book = new QuoteBook(["NVDA", "BTC", "TSM"]);
    book.apply({ type: "snapshot", seq: 10, quotes: [q("NVDA", 5), q("BTC", 6)] }, { replace: true });
    const r = book.apply({ type: "removed", seq: 12, symbols: ["BTC", "TSM", "ETH", 7] });
    assert.deepEqual(r.removed, ["BTC", "TSM"], "held or listed ones; ETH was neither");
    assert.deepEqual(held(book), { NVDA: 5 });
    assert.deepEqual([...book.symbols], ["NVDA"]);
    assert.equal(book.seq, 12);
    const all = new QuoteBook();
    all.apply({ type: "snapshot", seq: 10, quotes: [q("A", 1), q("B", 2)] }, { replace: true });
    assert.deepEqual(all.apply({ type: "removed", seq: 11, symbols: ["B"] }).removed, ["B"]);
    assert.equal(all.symbols, null, "following everything stays so");
    assert.deepEqual(held(all), { A: 1 });
  });

  test("setSymbols between 'everything' and a list", () => {
    const book = new QuoteBook();
    book.apply({ type: "snapshot", seq: 10, quotes: [q("A", 1), q("B", 2)] }, { replace: true });
    assert.deepEqual(book.setSymbols(["A"]), { added: [], removed: ["B"] });
    assert.deepEqual(book.setSymbols(null), { added: null, removed: [] });
    assert.equal(book.wants("anything"), true);
  });
});

describe("backoffDelay", () => {
  test("doubles from 0.5 s and is capped at 30 s", () => {
    const top = (n) => backoffDelay(n, { random: () => 0.999999 });
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(top), [500, 1000, 2000, 4000, 8000, 16000, 30000]);
    assert.equal(top(60), 30000);
    assert.equal(top(5000), 30000, "huge attempts neither overflow nor exceed the cap");
  });

  test("equal jitter: always within [cap/2, cap]", () => {
    for (let n = 0; n < 12; n++) {
      const cap = Math.min(30000, 500 * 2 ** n);
      assert.equal(backoffDelay(n, { random: () => 0 }), cap / 2);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(n);
        assert.ok(d >= cap / 2 && d <= cap, `attempt ${n}: ${d} outside [${cap / 2}, ${cap}]`);
      }
    }
  });

  test("jitter actually varies the delay", () => {
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(4)));
    assert.ok(seen.size > 10, `only ${seen.size} distinct delays`);
  });

  test("bad attempts count as the first; custom base and max", () => {
    assert.equal(backoffDelay(-3, { random: () => 0.999999 }), 500);
    assert.equal(backoffDelay(NaN, { random: () => 0.999999 }), 500);
    assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 500, random: () => 0.999999 }), 500);
    assert.equal(backoffDelay(1, { baseMs: 100, maxMs: 500, random: () => 0 }), 100);
  });
});

describe("URL building", () => {
  test("base URL: page origin by default, trailing slash and query dropped, prefix kept", () => {
    assert.equal(baseUrl(undefined, "https://news.example/markets/page.html?x=1"), "https://news.example");
    assert.equal(baseUrl("", "http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
    assert.equal(baseUrl("http://10.0.0.5:8080/", "https://other.example/"), "http://10.0.0.5:8080");
    assert.equal(baseUrl("https://proxy.example/ticker/?a=b#c"), "https://proxy.example/ticker");
    assert.equal(baseUrl("/ticker", "https://site.example/x/y"), "https://site.example/ticker");
    assert.equal(baseUrl("ws://h:1/"), "http://h:1");
    assert.throws(() => baseUrl("ftp://h/"), /http/);
    assert.throws(() => baseUrl("not a url"), /bad daemon url/);
  });

  test("stream URL: ws for http, wss for https, since only when set", () => {
    assert.equal(streamUrl("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/v1/stream");
    assert.equal(streamUrl("https://q.example"), "wss://q.example/v1/stream");
    assert.equal(streamUrl("https://q.example/p", { since: 0 }), "wss://q.example/p/v1/stream");
    assert.equal(streamUrl("http://h:1", { since: 1795881403184812 }), "ws://h:1/v1/stream?since=1795881403184812");
  });

  test("symbols are comma-joined and escaped one by one", () => {
    assert.equal(
      streamUrl("http://h:1", { symbols: ["NVDA", "USD/VND", "VND=X"], since: 42 }),
      "ws://h:1/v1/stream?symbols=NVDA,USD%2FVND,VND%3DX&since=42",
    );
    assert.equal(eventsUrl("https://h", { symbols: ["BTC"], since: 9 }), "https://h/v1/events?symbols=BTC&since=9");
    assert.equal(eventsUrl("https://h", { symbols: [] }), "https://h/v1/events");
    assert.equal(snapshotUrl("http://h:1", { symbols: ["9988.HK"] }), "http://h:1/v1/snapshot?symbols=9988.HK");
    assert.equal(snapshotUrl("http://h:1", { symbols: null }), "http://h:1/v1/snapshot");
  });

  test("history URL escapes ids with / and has a window", () => {
    assert.equal(historyUrl("http://h:1", "USD/VND", "6h"), "http://h:1/v1/history/USD%2FVND?window=6h");
    assert.equal(historyUrl("http://h:1", "NVDA"), "http://h:1/v1/history/NVDA?window=1d");
    assert.equal(historyUrl("http://h:1", "NVDA", "1d", 60), "http://h:1/v1/history/NVDA?window=1d&points=60");
    assert.equal(historyUrl("http://h:1", "NVDA", "1h", 0), "http://h:1/v1/history/NVDA?window=1h");
  });

  test("parseSymbols and formatAge", () => {
    assert.deepEqual(parseSymbols(" NVDA, BTC ,,NVDA"), ["NVDA", "BTC"]);
    assert.deepEqual(parseSymbols(["TSM"]), ["TSM"]);
    assert.equal(parseSymbols(""), null);
    assert.equal(parseSymbols(undefined), null);
    assert.equal(formatAge(45e3), "45 s");
    assert.equal(formatAge(12 * 60e3), "12 min");
    assert.equal(formatAge(185 * 60e3), "3 h 5 min");
    assert.equal(formatAge(-5), "0 s");
  });
});

describe("formatQuote: the daemon's strings, or Intl.NumberFormat for a locale", () => {
  // As the daemon sends them (precision 0 and 2).
  const vnd = { symbol: "USD/VND", price: 25412, change: -8, change_pct: -0.03, direction: "down",
    display: { price: "25,412", change: "-8", change_pct: "▼ 0.03%" }, seq: 1, stale: false };
  const btc = { symbol: "BTC", price: 71420, change: 594.93, change_pct: 0.84, direction: "up",
    display: { price: "71,420.00", change: "+594.93", change_pct: "▲ 0.84%" }, seq: 2, stale: false };
  const nvda = { symbol: "NVDA", price: 1284.3, change: 17.98, change_pct: 1.42, direction: "up",
    display: { price: "1,284.30", change: "+17.98", change_pct: "▲ 1.42%" }, seq: 3, stale: false };

  test("no locale: the display strings, without the arrow", () => {
    assert.deepEqual(formatQuote(vnd), { price: "25,412", change: "-8", changePct: "0.03%" });
    assert.deepEqual(formatQuote(btc), { price: "71,420.00", change: "+594.93", changePct: "0.84%" });
  });

  test("vi-VN groups with dots and keeps the symbol's decimals", () => {
    assert.equal(formatQuote(vnd, "vi-VN").price, "25.412");
    assert.equal(formatQuote(btc, "vi-VN").price, "71.420,00", "precision 2 keeps its zeros (JSON lost them)");
    assert.equal(formatQuote(nvda, "vi-VN").price, "1.284,30");
    assert.equal(formatQuote(nvda, "vi-VN").change, "+17,98");
    assert.equal(formatQuote(nvda, "vi-VN").changePct, "1,42%");
  });

  test("en-US matches the daemon's own strings", () => {
    for (const q of [vnd, btc, nvda]) {
      const f = formatQuote(q, "en-US");
      assert.equal(f.price, q.display.price, q.symbol);
      assert.equal(f.change, q.display.change, q.symbol);
      assert.equal(f.changePct, q.display.change_pct.replace(/^[▲▼] /, ""), q.symbol);
    }
  });
});

describe("freshness: the daemon's stale flag, or not heard of within max_age", () => {
  const now = 1_000_000_000;
  test("max_age from the quote when present, else the default", () => {
    assert.equal(maxAgeMs({ max_age: 60 }), 60e3);
    assert.equal(maxAgeMs({}), DEFAULT_MAX_AGE_MS);
    assert.equal(maxAgeMs({ max_age: "60" }, 5000), 5000, "not a number: the default");
    assert.equal(DEFAULT_MAX_AGE_MS, 15 * 60e3);
  });
  test("fresh while the last contact is within max_age; stale when the daemon says so", () => {
    assert.equal(freshness({ stale: false, max_age: 20 }, now, now - 19_000), "fresh");
    assert.equal(freshness({ stale: false, max_age: 20 }, now, now - 21_000), "expired");
    assert.equal(freshness({ stale: true, max_age: 20 }, now, now), "stale");
    assert.equal(freshness({ stale: false }, now, now - 14 * 60e3), "fresh", "default 15 min");
    assert.equal(freshness({ stale: false }, now, now - 16 * 60e3), "expired");
    assert.equal(freshness({ stale: false }, now, now - 30e3, 20e3), "expired", "a caller's default");
    assert.equal(freshness({ stale: false }, now, 0), "expired", "never heard of");
  });
});

describe("the package's entries", () => {
  test("the client entry exports connect, fetchHistory and formatQuote only; the bar mountTicker only", async () => {
    assert.deepEqual(Object.keys(await import("../../web/client.js")).sort(), ["connect", "fetchHistory", "formatQuote"]);
    assert.deepEqual(Object.keys(await import("../../web/ticker-bar.js")), ["mountTicker"]);
  });

  test("importing the client never loads the bar (static import graph)", async () => {
    const { readFileSync } = await import("node:fs");
    const seen = new Set();
    const walk = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(new URL(file, import.meta.url), "utf8");
      for (const m of src.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"(\.\/[^"]+)"/gm)) walk(new URL(m[1], new URL(file, import.meta.url)).href);
    };
    walk(new URL("../../web/client.js", import.meta.url).href);
    const names = [...seen].map((u) => u.split("/").pop()).sort();
    assert.deepEqual(names, ["client.js", "tickerd-core.js"]);
  });

  test("web/package.json: ES modules, separate entries with types, MIT, files that exist", async () => {
    const { readFileSync, existsSync } = await import("node:fs");
    const dir = new URL("../../web/", import.meta.url);
    const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8"));
    assert.equal(pkg.type, "module");
    assert.equal(pkg.license, "MIT");
    assert.ok(!pkg.private, "publishable");
    assert.deepEqual(pkg.exports["."], { types: "./client.d.ts", default: "./client.js" });
    assert.deepEqual(pkg.exports["./bar"], { types: "./ticker-bar.d.ts", default: "./ticker-bar.js" });
    for (const f of pkg.files) assert.ok(existsSync(new URL(f, dir)), `files: ${f} does not exist`);
    const targets = Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)));
    for (const t of targets) {
      assert.ok(existsSync(new URL(t, dir)), `exports: ${t} does not exist`);
      assert.ok(t === "./package.json" || pkg.files.includes(t.slice(2)), `exports: ${t} is not in files`);
    }
  });
});

// ---------------------------------------------------------------------------
// connect() with fake transports and a fake clock.

class Clock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.next = 1;
  }
  install() {
    this.saved = [globalThis.setTimeout, globalThis.clearTimeout];
    globalThis.setTimeout = (fn, ms = 0) => {
      const id = this.next++;
      this.timers.set(id, { at: this.now + ms, fn });
      return id;
    };
    globalThis.clearTimeout = (id) => this.timers.delete(id);
  }
  uninstall() {
    [globalThis.setTimeout, globalThis.clearTimeout] = this.saved;
  }
  /** Runs every timer due within ms, in time order. */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

class FakeWebSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closed = false;
    FakeWebSocket.all.push(this);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.closed = true; this.readyState = 3; }
  // test helpers
  open() { this.readyState = 1; this.onopen?.({}); }
  msg(obj) { this.onmessage?.({ data: JSON.stringify(obj) }); }
  drop(code = 1006) { this.readyState = 3; this.onclose?.({ code }); }
}

class FakeEventSource {
  static all = [];
  constructor(url) {
    this.url = url;
    this.listeners = {};
    this.closed = false;
    FakeEventSource.all.push(this);
  }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  close() { this.closed = true; }
  emit(type, obj) { for (const fn of this.listeners[type] || []) fn({ data: JSON.stringify(obj) }); }
  fail() { this.onerror?.({}); }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("connect()", () => {
  let clock;
  let fetches;
  let fetchReply;
  let statuses;

  beforeEach(() => {
    clock = new Clock();
    clock.install();
    FakeWebSocket.all = [];
    FakeEventSource.all = [];
    fetches = [];
    fetchReply = () => ({ status: 500, ok: false, headers: new Map(), json: async () => ({ error: "down" }) });
    statuses = [];
    globalThis.WebSocket = FakeWebSocket;
    globalThis.EventSource = FakeEventSource;
    globalThis.fetch = async (url, init = {}) => {
      fetches.push({ url, headers: init.headers || {} });
      return fetchReply(url, init);
    };
  });

  afterEach(() => {
    for (const feed of feeds.splice(0)) feed.close(); // no poll may outlive the fake clock
    clock.uninstall();
    delete globalThis.WebSocket;
    delete globalThis.EventSource;
  });

  const feeds = [];
  const open = (extra = {}) => {
    const feed = connect({ url: "http://127.0.0.1:8080", random: () => 0, onStatus: (s) => statuses.push(s), ...extra });
    feeds.push(feed);
    return feed;
  };

  test("resumes with ?since=<last seq> after the link drops, after a back-off", () => {
    const updates = [];
    const feed = open({ symbols: "NVDA,BTC", onUpdate: (qs) => updates.push(...qs) });
    const ws = FakeWebSocket.all[0];
    assert.equal(ws.url, "ws://127.0.0.1:8080/v1/stream?symbols=NVDA,BTC");
    ws.open();
    ws.msg({ type: "snapshot", seq: 100, quotes: [q("NVDA", 90), q("BTC", 100)] });
    ws.msg({ type: "update", seq: 101, quotes: [q("NVDA", 101, 5)] });
    ws.msg({ type: "heartbeat", seq: 101 });
    assert.equal(statuses.at(-1).state, "open");
    assert.equal(updates.length, 1);
    ws.drop();
    assert.equal(statuses.at(-1).state, "reconnecting");
    clock.tick(249);
    assert.equal(FakeWebSocket.all.length, 1, "waits for the back-off (>= 250 ms with random 0)");
    clock.tick(1);
    assert.equal(FakeWebSocket.all[1].url, "ws://127.0.0.1:8080/v1/stream?symbols=NVDA,BTC&since=101");
    FakeWebSocket.all[1].msg({ type: "snapshot", seq: 105, since: 101, quotes: [q("BTC", 104, 7)] });
    assert.deepEqual(held({ list: feed.quotes }), { NVDA: 101, BTC: 104 }, "since-snapshot merged");
    assert.equal(feed.seq, 105);
    feed.close();
    assert.equal(statuses.at(-1).state, "closed");
    assert.ok(FakeWebSocket.all[1].closed);
  });

  test("a removed message reaches onRemoved and later reconnects no longer ask for the symbol", () => {
    const removed = [];
    const updates = [];
    const feed = open({ symbols: "NVDA,BTC", onRemoved: (ids) => removed.push(...ids), onUpdate: (qs) => updates.push(...qs) });
    const ws = FakeWebSocket.all[0];
    ws.open();
    ws.msg({ type: "snapshot", seq: 100, quotes: [q("NVDA", 90), q("BTC", 100)] });
    ws.msg({ type: "removed", seq: 102, symbols: ["BTC"] });
    assert.deepEqual(removed, ["BTC"]);
    assert.deepEqual(feed.quotes().map((x) => x.symbol), ["NVDA"]);
    assert.equal(updates.length, 0);
    ws.drop();
    clock.tick(250);
    assert.equal(FakeWebSocket.all[1].url, "ws://127.0.0.1:8080/v1/stream?symbols=NVDA&since=102");
  });

  test("SSE delivers removed events too", () => {
    const removed = [];
    open({ transports: ["sse"], onRemoved: (ids) => removed.push(...ids) });
    const es = FakeEventSource.all[0];
    es.emit("snapshot", { type: "snapshot", seq: 1, quotes: [q("A", 1)] });
    es.emit("removed", { type: "removed", seq: 2, symbols: ["A"] });
    assert.deepEqual(removed, ["A"]);
  });

  test("back-off grows while the daemon stays down, and resets after a message", () => {
    open({ transports: ["ws"] });
    const gaps = [];
    const waitForNext = () => {
      const n = FakeWebSocket.all.length;
      const start = clock.now;
      while (FakeWebSocket.all.length === n) clock.tick(10);
      return clock.now - start;
    };
    for (let i = 0; i < 9; i++) {
      FakeWebSocket.all.at(-1).drop();
      gaps.push(waitForNext());
    }
    // random() = 0: the low end of each [cap/2, cap] range, cap 30 s.
    assert.deepEqual(gaps, [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    assert.equal(statuses.at(-1).state, "connecting", "never connected yet");
    assert.equal(statuses.at(-1).attempt, 9);
    FakeWebSocket.all.at(-1).msg({ type: "snapshot", seq: 1, quotes: [] });
    FakeWebSocket.all.at(-1).drop();
    assert.equal(waitForNext(), 250, "a link that worked retries quickly");
    assert.equal(statuses.at(-1).state, "reconnecting");
  });

  test("falls back to SSE after two WebSocket failures, then to polling with If-None-Match", async () => {
    const snaps = [];
    open({ onSnapshot: (qs) => snaps.push(qs.map((x) => x.symbol)) });
    FakeWebSocket.all[0].drop();
    clock.tick(250);
    assert.equal(FakeWebSocket.all.length, 2, "one retry on WebSocket first");
    FakeWebSocket.all[1].drop();
    clock.tick(250);
    assert.equal(FakeWebSocket.all.length, 2);
    assert.equal(FakeEventSource.all.length, 1);
    assert.equal(FakeEventSource.all[0].url, "http://127.0.0.1:8080/v1/events");
    assert.equal(statuses.at(-1).transport, "sse");

    FakeEventSource.all[0].fail();
    clock.tick(500);
    assert.equal(FakeEventSource.all.length, 2, "one retry on SSE");
    FakeEventSource.all[1].fail();
    clock.tick(250);
    assert.equal(FakeEventSource.all.length, 2);
    await flush();
    assert.equal(fetches.length, 1, "polling after two SSE failures");
    assert.equal(fetches[0].url, "http://127.0.0.1:8080/v1/snapshot");
    assert.equal(statuses.at(-1).transport, "poll");
  });

  test("a transport that worked rides out a daemon restart, then comes back from the fallback", () => {
    open({ upgradeMs: 60000 });
    FakeWebSocket.all[0].msg({ type: "snapshot", seq: 10, quotes: [q("NVDA", 10)] });
    FakeWebSocket.all[0].drop();
    const next = () => {
      const n = FakeWebSocket.all.length + FakeEventSource.all.length;
      while (FakeWebSocket.all.length + FakeEventSource.all.length === n) clock.tick(10);
    };
    for (let i = 1; i <= 6; i++) {
      next();
      assert.equal(FakeWebSocket.all.length, i + 1, "still retrying WebSocket");
      assert.equal(FakeEventSource.all.length, 0, "fewer than six failures are not enough");
      assert.match(FakeWebSocket.all[i].url, /since=10$/);
      FakeWebSocket.all[i].drop();
    }
    next(); // after the sixth failure in a row
    const es = FakeEventSource.all[0];
    assert.equal(es.url, "http://127.0.0.1:8080/v1/events?since=10");
    es.emit("snapshot", { type: "snapshot", seq: 12, since: 10, quotes: [q("NVDA", 12)] });
    es.emit("update", { type: "update", seq: 13, quotes: [q("NVDA", 13)] });
    assert.equal(statuses.at(-1).state, "open");
    assert.equal(statuses.at(-1).transport, "sse");
    es.fail();
    assert.ok(es.closed, "we reconnect ourselves, with a fresh since");
    clock.tick(250);
    const es2 = FakeEventSource.all[1];
    assert.equal(es2.url, "http://127.0.0.1:8080/v1/events?since=13");
    es2.emit("snapshot", { type: "snapshot", seq: 14, since: 13, quotes: [] });
    clock.tick(1999);
    assert.equal(FakeWebSocket.all.length, 7);
    clock.tick(1);
    const probe = FakeWebSocket.all[7];
    assert.equal(probe.url, "ws://127.0.0.1:8080/v1/stream?since=14", "the daemon is back: WebSocket is tried again soon");
    probe.msg({ type: "snapshot", seq: 15, since: 14, quotes: [] });
    assert.equal(es2.closed, true);
    assert.equal(statuses.at(-1).transport, "ws");
  });

  test("polling: ETag / If-None-Match, 304 keeps the quotes", async () => {
    let n = 0;
    fetchReply = (url, init) => {
      n++;
      if (init.headers["If-None-Match"] === '"20"') return { status: 304, ok: false, headers: new Map() };
      return {
        status: 200, ok: true, headers: new Map([["ETag", '"20"']]),
        json: async () => ({ seq: 20, generated_at: "x", quotes: [q("BTC", 20, 71420)] }),
      };
    };
    const feed = open({ transports: ["poll"], pollMs: 3000 });
    await flush();
    assert.deepEqual(fetches[0].headers, {});
    assert.equal(feed.quotes()[0].price, 71420);
    assert.equal(statuses.at(-1).state, "open");
    assert.equal(statuses.at(-1).transport, "poll");
    clock.tick(3000);
    await flush();
    assert.equal(n, 2);
    assert.equal(fetches[1].headers["If-None-Match"], '"20"');
    assert.equal(feed.quotes().length, 1);
    feed.close();
  });

  test("a silent link is declared dead after 2 heartbeat intervals", () => {
    open({ heartbeatMs: 15000 });
    const ws = FakeWebSocket.all[0];
    ws.open();
    ws.msg({ type: "snapshot", seq: 5, quotes: [] });
    clock.tick(29000);
    ws.msg({ type: "heartbeat", seq: 5 }); // resets the watchdog
    clock.tick(29999);
    assert.equal(ws.closed, false);
    clock.tick(1);
    assert.equal(ws.closed, true);
    assert.equal(statuses.at(-1).state, "reconnecting");
    clock.tick(250);
    assert.equal(FakeWebSocket.all[1].url, "ws://127.0.0.1:8080/v1/stream?since=5");
  });

  test("while on a fallback it retries WebSocket and switches when it works", () => {
    open({ upgradeMs: 60000, heartbeatMs: 60000 });
    FakeWebSocket.all[0].drop();
    clock.tick(250);
    FakeWebSocket.all[1].drop();
    clock.tick(250);
    const es = FakeEventSource.all[0];
    es.emit("snapshot", { type: "snapshot", seq: 10, quotes: [q("NVDA", 10)] });
    clock.tick(59000);
    assert.equal(FakeWebSocket.all.length, 2);
    clock.tick(1000);
    const probe = FakeWebSocket.all[2];
    assert.equal(probe.url, "ws://127.0.0.1:8080/v1/stream?since=10");
    assert.equal(es.closed, false, "SSE keeps serving until the probe delivers");
    probe.open();
    probe.msg({ type: "snapshot", seq: 12, since: 10, quotes: [q("NVDA", 12)] });
    assert.equal(es.closed, true);
    assert.equal(statuses.at(-1).transport, "ws");
  });

  test("a failed probe leaves the fallback alone", () => {
    open({ upgradeMs: 1000 });
    FakeWebSocket.all[0].drop();
    clock.tick(250);
    FakeWebSocket.all[1].drop();
    clock.tick(250);
    const es = FakeEventSource.all[0];
    es.emit("snapshot", { type: "snapshot", seq: 10, quotes: [] });
    clock.tick(1000);
    FakeWebSocket.all[2].drop();
    assert.equal(es.closed, false);
    assert.equal(statuses.at(-1).transport, "sse");
    clock.tick(1000);
    assert.equal(FakeWebSocket.all.length, 4, "tries again later");
  });

  test("subscribe/unsubscribe over an open WebSocket send ops; new symbols arrive by snapshot", () => {
    const feed = open({ symbols: ["NVDA", "BTC"] });
    const ws = FakeWebSocket.all[0];
    ws.open();
    ws.msg({ type: "snapshot", seq: 10, quotes: [q("NVDA", 9), q("BTC", 10)] });
    feed.unsubscribe("BTC");
    feed.subscribe(["TSM"]);
    assert.deepEqual(ws.sent, [
      { op: "unsubscribe", symbols: ["BTC"] },
      { op: "subscribe", symbols: ["TSM"] },
    ]);
    assert.deepEqual(held({ list: feed.quotes }), { NVDA: 9 });
    ws.msg({ type: "snapshot", seq: 12, quotes: [q("TSM", 3)] }); // subscribe answer: merged
    ws.msg({ type: "update", seq: 13, quotes: [q("BTC", 13)] }); // raced the unsubscribe: ignored
    assert.deepEqual(held({ list: feed.quotes }), { NVDA: 9, TSM: 3 });
    assert.equal(FakeWebSocket.all.length, 1, "no reconnect needed");
  });

  test("a daemon behind our seq triggers a full resync", () => {
    const feed = open();
    FakeWebSocket.all[0].msg({ type: "snapshot", seq: 500, quotes: [q("NVDA", 500)] });
    FakeWebSocket.all[0].drop();
    clock.tick(250);
    assert.match(FakeWebSocket.all[1].url, /since=500$/);
    FakeWebSocket.all[1].msg({ type: "snapshot", seq: 30, since: 500, quotes: [] });
    assert.equal(FakeWebSocket.all[1].closed, true);
    assert.equal(FakeWebSocket.all[2].url, "ws://127.0.0.1:8080/v1/stream");
    FakeWebSocket.all[2].msg({ type: "snapshot", seq: 31, quotes: [q("NVDA", 31, 2)] });
    assert.equal(feed.quote("NVDA").price, 2);
    assert.equal(feed.seq, 31);
  });
});
