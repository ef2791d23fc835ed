// connect() under node against the real daemon: the `ws` package's WebSocket
// passed as the WebSocket option (node 20 has no global one), and polling with
// node's fetch. The daemon runs config/demo.toml (simulated prices, no network)
// on a free loopback port.
//
//   npm ci --prefix tests/web && node --test tests/web/node-client.test.mjs
// Environment: TICKERD_BINARY (default <source>/build/tickerd), TICKERD_SOURCE_DIR.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { WebSocket } from "ws";

import { connect, formatQuote } from "../../web/client.js";

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.env.TICKERD_SOURCE_DIR || join(here, "../.."));
const binary = process.env.TICKERD_BINARY || join(sourceDir, "build/tickerd");
const SYMBOLS = ["NVDA", "TSM", "9988.HK", "BTC", "USD/VND"];

let daemon;
let dir;
let log = "";

before(async () => {
  assert.ok(existsSync(binary), `no tickerd binary at ${binary} (build it, or set TICKERD_BINARY)`);
  dir = mkdtempSync(join(tmpdir(), "tickerd-node-client-"));
  const config = readFileSync(join(sourceDir, "config/demo.toml"), "utf8")
    .replace(/^\s*(web_root|heartbeat_interval)\s*=.*$/gm, "")
    .replace(/^\s*listen\s*=.*$/m, 'listen = "127.0.0.1:0"\nheartbeat_interval = "1s"');
  writeFileSync(join(dir, "tickerd.toml"), config);
  daemon = spawn(binary, ["--config", join(dir, "tickerd.toml")], {
    cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, STATE_DIRECTORY: join(dir, "state") },
  });
  daemon.stdout.on("data", (c) => { log += c; });
  daemon.stderr.on("data", (c) => { log += c; });
  daemon.url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`tickerd did not listen within 10 s:\n${log}`)), 10_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); ok(m[1]); }
    };
    daemon.stderr.on("data", check);
    daemon.on("exit", (code) => { clearTimeout(timer); fail(new Error(`tickerd exited (${code}):\n${log}`)); });
  });
});

after(async () => {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.once("exit", r));
    daemon.kill("SIGTERM");
    const kill = setTimeout(() => daemon.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(kill);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs connect() until `done(events)` is true; returns the events seen. */
function run(options, done, timeoutMs = 10_000) {
  return new Promise((ok, fail) => {
    const ev = { snapshots: [], updates: [], statuses: [], errors: [] };
    let feed = null;
    const check = () => {
      if (feed && done(ev, feed)) { clearTimeout(timer); feed.close(); ok({ ev, feed }); }
    };
    const timer = setTimeout(() => {
      feed?.close();
      fail(new Error(`not within ${timeoutMs} ms: statuses ${JSON.stringify(ev.statuses)}, ` +
        `${ev.snapshots.length} snapshots, ${ev.updates.length} updates, errors ${JSON.stringify(ev.errors)}\n${log.slice(-2000)}`));
    }, timeoutMs);
    feed = connect({
      url: daemon.url,
      ...options,
      onSnapshot: (qs) => { ev.snapshots.push(qs); check(); },
      onUpdate: (qs) => { ev.updates.push(qs); check(); },
      onStatus: (s) => { ev.statuses.push(`${s.state}/${s.transport}`); check(); },
      onError: (e) => ev.errors.push(e),
    });
  });
}

test("under node, with the ws package as WebSocket: a snapshot of every symbol, then live updates", async () => {
  const { ev, feed } = await run({ WebSocket, transports: ["ws"] }, (e) => e.snapshots.length >= 1 && e.updates.length >= 3);
  assert.deepEqual(ev.snapshots[0].map((q) => q.symbol), SYMBOLS);
  assert.equal(ev.statuses[0], "connecting/ws");
  assert.ok(ev.statuses.includes("open/ws"), ev.statuses.join(" "));
  for (const q of ev.updates.flat()) assert.ok(SYMBOLS.includes(q.symbol) && Number.isFinite(q.price) && q.source === "sim", JSON.stringify(q));
  assert.ok(feed.lastMessageAt() > Date.now() - 5000, "lastMessageAt is recent");
  assert.equal(feed.status().state, "closed");
  // The locale formatting on real quotes: USD/VND has precision 0.
  const vnd = feed.quote("USD/VND");
  assert.match(formatQuote(vnd, "vi-VN").price, /^\d{2}\.\d{3}$/, "vi-VN groups USD/VND with a dot, no decimals");
  assert.equal(formatQuote(vnd, "en-US").price, vnd.display.price, "en-US is the daemon's own string");
});

test("under node without a WebSocket class, WebSocket is not offered: it polls with fetch", async () => {
  assert.equal(globalThis.WebSocket, undefined, "this test assumes node 20's missing global WebSocket");
  const { ev } = await run({ pollMs: 300 }, (e) => e.snapshots.length >= 1 && e.statuses.includes("open/poll"));
  assert.deepEqual(ev.snapshots[0].map((q) => q.symbol), SYMBOLS);
});

test("a subscription list over ws: only those symbols, in the daemon's order", async () => {
  const { ev, feed } = await run({ WebSocket, symbols: "BTC,NVDA" }, (e) => e.snapshots.length >= 1 && e.updates.length >= 1);
  assert.deepEqual(ev.snapshots[0].map((q) => q.symbol), ["NVDA", "BTC"]);
  for (const q of ev.updates.flat()) assert.ok(["NVDA", "BTC"].includes(q.symbol), q.symbol);
  assert.deepEqual(feed.quotes().map((q) => q.symbol), ["NVDA", "BTC"]);
});
