// ticker-bar.js: renders a live ticker strip into any element.
//
//   import { mountTicker } from "http://HOST:8080/dist/ticker-bar.min.js";
//   mountTicker(document.getElementById("ticker"), { symbols: "NVDA,BTC" });
//
// (dist/ticker-bar.min.js is this module bundled with the client by scripts/build-web.)
//
// DOM (stable hooks, see also index.html):
//   .tkd-bar[data-theme][data-scrolling][data-freshness]  the strip; freshness is
//                                                 connecting | waiting | live | reconnecting | delayed
//     .tkd-status[data-state][data-transport]       connection dot (+ id="status" with ids:true)
//     .tkd-notice[hidden]                           visible text while prices are not live:
//                                                 "Reconnecting…", "Prices delayed since 14:32"
//     .tkd-demo[hidden]                             DEMO badge (+ id="demo-badge")
//     .tkd-pause[aria-pressed]                      pause button, shown only with [data-scrolling]
//     li.tkd-item[data-symbol][data-direction][data-stale][data-delayed][data-market][data-source]
//        .symbol .price .arrow .change .spark .market .stale-mark
//     [aria-live=polite]                            status announcements only
// Items in the marquee copy carry data-clone-of instead of data-symbol.

import { connect, fetchHistory } from "./client.js";
import { DEFAULT_MAX_AGE_MS, formatAge, formatQuote, freshness, parseSymbols } from "./tickerd-core.js";

// Set by scripts/build-web for the bundle in dist/: the stylesheet next to it,
// and where the daemon's root is from there. Unbundled: ticker.css, and "./".
/* global __TKD_CSS__, __TKD_ROOT__ */
const DEFAULT_CSS = typeof __TKD_CSS__ === "string" ? __TKD_CSS__ : "./ticker.css";
const ROOT = typeof __TKD_ROOT__ === "string" ? __TKD_ROOT__ : "./";

const ARROW = { up: "▲", down: "▼", flat: "" };
const WORD = { up: "up", down: "down", flat: "unchanged" };
const STATUS_TEXT = { connecting: "Connecting", open: "Live", reconnecting: "Reconnecting", closed: "Disconnected" };
const TRANSPORT_TEXT = { ws: "WebSocket", sse: "Server-Sent Events", poll: "polling" };
const WINDOW_MS = { "1h": 3600e3, "6h": 6 * 3600e3, "1d": 24 * 3600e3 };
const SPARK_W = 48;
const SPARK_H = 18;
const SVG = "http://www.w3.org/2000/svg";
const BAR_HEIGHT = "40px"; // as in ticker.css: held before the stylesheet applies (no layout shift)
const GRACE_MS = 3000; // a link down this long greys the prices and says so (shorter blips stay quiet)
const DELAYED_AFTER_MS = 30000; // then "Reconnecting…" becomes "Prices delayed since HH:MM"

/**
 * Options: url (default: the server this module came from), symbols,
 * transports and heartbeatMs (as for connect()), theme "dark"|"light",
 * ids (true: also set id="status" / id="demo-badge"), shadow (render in a
 * shadow root), css (stylesheet URL, false for none), historyWindow "1h"|"6h"|"1d",
 * sparklines (false: none, and no history requests), locale (BCP 47 tag for
 * Intl.NumberFormat; default the daemon's en-US style display strings),
 * maxAge (seconds a quote without its own max_age stays current while the link
 * is down; default 900), speed (marquee px/s), label (accessible name).
 * Returns {feed, destroy()}.
 */
export function mountTicker(element, options = {}) {
  // The daemon defaults to where this module was loaded from, so an embed
  // needs no URL: <script type=module> importing http://HOST:8080/dist/ticker-bar.min.js.
  const o = { theme: "dark", historyWindow: "1d", speed: 40, label: "Market prices", sparklines: true, ...options };
  o.url ||= new URL(ROOT, import.meta.url).href;
  const defaultMaxAgeMs = o.maxAge > 0 ? o.maxAge * 1000 : DEFAULT_MAX_AGE_MS;
  const root = o.shadow ? element.shadowRoot || element.attachShadow({ mode: "open" }) : element;
  const wanted = parseSymbols(o.symbols);
  const span = WINDOW_MS[o.historyWindow] || WINDOW_MS["1d"];

  const bar = h("div", { class: "tkd-bar", role: "region", "aria-label": o.label, "data-theme": o.theme });
  const status = h("div", { class: "tkd-status", "data-state": "connecting" });
  const statusText = h("span", { class: "tkd-sr" }, "Connecting");
  status.append(h("span", { class: "tkd-dot", "aria-hidden": "true" }), statusText);
  const demo = h("span", { class: "tkd-demo", title: "Simulated prices (source: sim), not market data", hidden: "" }, "DEMO");
  const notice = h("span", { class: "tkd-notice", hidden: "" });
  const viewport = h("div", { class: "tkd-viewport" });
  const track = h("div", { class: "tkd-track" });
  const list = h("ul", { class: "tkd-items", role: "list" });
  const cloneList = h("ul", { class: "tkd-items tkd-clone", "aria-hidden": "true" });
  const placeholder = h("span", { class: "tkd-placeholder" }, "Connecting…");
  const live = h("div", { class: "tkd-sr", "aria-live": "polite", "aria-atomic": "true" });
  // WCAG 2.2.2: moving content needs a way to stop it (shown only while scrolling).
  const pause = h("button", { type: "button", class: "tkd-pause", "aria-pressed": "false", title: "Pause scrolling" });
  pause.append(h("span", { class: "tkd-sr" }, "Pause scrolling"));
  pause.addEventListener("click", () => {
    const paused = pause.getAttribute("aria-pressed") !== "true";
    pause.setAttribute("aria-pressed", String(paused));
    pause.title = paused ? "Resume scrolling" : "Pause scrolling";
    bar.toggleAttribute("data-paused", paused);
  });
  if (o.ids) { status.id = "status"; demo.id = "demo-badge"; }
  track.append(list);
  viewport.append(placeholder, track);
  bar.append(status, notice, demo, viewport, pause, live);
  bar.dataset.freshness = "connecting";
  if (!o.sparklines) bar.dataset.sparklines = "off";

  const cssReady = loadCss(root, o.css);
  // Hidden but already as tall as it will be, so nothing below moves when the styles arrive.
  Object.assign(bar.style, { visibility: "hidden", height: BAR_HEIGHT, overflow: "hidden" });
  cssReady.then(() => { Object.assign(bar.style, { visibility: "", height: "", overflow: "" }); checkOverflow(); });
  root.append(bar);

  const items = new Map(); // symbol -> {li, q, spark, flashAt}
  const dirty = new Set();
  let frame = 0;
  let frameTimer = 0;
  let scrolling = false;
  let destroyed = false;
  let downSince = 0; // when the link went down (0 while up), to grey the prices and refill the sparklines
  let everOpen = false;
  let linkState = "connecting";
  const historyQueue = []; // sparkline histories to ask for once the first prices are drawn

  function item(symbol) {
    let it = items.get(symbol);
    if (it) return it;
    const li = h("li", { class: "tkd-item", "data-symbol": symbol });
    li.append(h("span", { class: "symbol" }, symbol), h("span", { class: "price" }), h("span", { class: "arrow", role: "img" }), h("span", { class: "change" }));
    if (o.sparklines) {
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("class", "spark empty");
      svg.setAttribute("viewBox", `0 0 ${SPARK_W} ${SPARK_H}`);
      svg.setAttribute("width", SPARK_W);
      svg.setAttribute("height", SPARK_H);
      svg.setAttribute("aria-hidden", "true");
      for (const [tag, cls] of [["line", "spark-ref"], ["polyline", "spark-line"], ["circle", "spark-dot"]]) {
        const el = document.createElementNS(SVG, tag);
        el.setAttribute("class", cls);
        svg.append(el);
      }
      li.append(svg);
    }
    li.append(h("span", { class: "market", hidden: "" }), h("span", { class: "stale-mark", hidden: "" }, "stale"));
    it = { li, q: null, spark: { points: [], res: 60e3, tries: 0 }, flashAt: 0 };
    items.set(symbol, it);
    if (o.sparklines) historyQueue.push([symbol, it]);
    return it;
  }

  async function loadHistory(symbol, it) {
    it.spark.tries++;
    try {
      // About one point per pixel of the sparkline (a daemon without points= sends its resolution).
      const hist = await fetchHistory(o.url, symbol, o.historyWindow, { points: SPARK_W });
      const res = (hist.resolution_s || 60) * 1000;
      const pts = (hist.points || []).filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(+p[1]));
      const last = pts.length ? pts[pts.length - 1][0] : -Infinity;
      // Keep the live points that arrived after the history ends.
      it.spark = { ...it.spark, res, points: [...pts.map((p) => [p[0], +p[1]]), ...it.spark.points.filter((p) => p[0] > last)] };
      schedule(symbol);
    } catch {
      if (it.spark.tries < 3 && !destroyed && items.get(symbol) === it) setTimeout(() => loadHistory(symbol, it), 30e3 * it.spark.tries);
    }
  }

  function addLivePoint(spark, q) {
    const t = Date.parse(q.as_of) || Date.now();
    const bucket = Math.floor(t / spark.res) * spark.res;
    const last = spark.points[spark.points.length - 1];
    if (last && bucket < last[0]) return; // older than what the line already shows
    if (last && bucket === last[0]) last[1] = q.price;
    else spark.points.push([bucket, q.price]);
    const cut = Date.now() - span;
    while (spark.points.length > 2 && spark.points[0][0] < cut) spark.points.shift();
  }

  function onQuotes(quotes) {
    for (const q of quotes) {
      if (wanted && !wanted.includes(q.symbol)) continue;
      const it = item(q.symbol);
      if (it.q && q.price !== it.q.price && Date.now() - it.flashAt > 1500) {
        it.flash = q.price > it.q.price ? "up" : "down";
        it.flashAt = Date.now();
      }
      if (o.sparklines && Number.isFinite(q.price)) addLivePoint(it.spark, q);
      it.q = q;
      schedule(q.symbol);
    }
  }

  // Renders are batched per animation frame; the timer covers pages that get
  // no frames (hidden or headless), where rAF would hold everything back.
  function schedule(symbol) {
    dirty.add(symbol);
    if (frame) return;
    frame = requestAnimationFrame(flush);
    frameTimer = setTimeout(flush, 250);
  }

  function flush() {
    cancelAnimationFrame(frame);
    clearTimeout(frameTimer);
    frame = 0;
    for (const symbol of dirty) {
      const it = items.get(symbol);
      if (it?.q) render(it);
    }
    dirty.clear();
    arrange();
    demo.hidden = ![...items.values()].some((it) => it.q?.source === "sim");
    judge();
    // The sparklines' histories only after the prices are on screen: they must not hold them back.
    if (historyQueue.length) {
      const batch = historyQueue.splice(0);
      setTimeout(() => { for (const [symbol, it] of batch) if (!destroyed && items.get(symbol) === it) loadHistory(symbol, it); }, 0);
    }
  }

  function render(it) {
    const { li, q } = it;
    const dir = ARROW[q.direction] !== undefined ? q.direction : "flat";
    const f = formatQuote(q, o.locale);
    set(li.dataset, "direction", dir);
    set(li.dataset, "market", q.market || "unknown");
    set(li.dataset, "source", q.source || "");
    text(li.querySelector(".price"), f.price);
    const arrow = li.querySelector(".arrow");
    text(arrow, ARROW[dir]);
    arrow.setAttribute("aria-label", WORD[dir]);
    text(li.querySelector(".change"), f.changePct);
    const market = li.querySelector(".market");
    text(market, q.market);
    market.hidden = !["pre", "post", "break", "closed"].includes(q.market);
    mark(it);
    if (o.sparklines) drawSpark(li.querySelector(".spark"), it.spark, q);
    if (it.flash) {
      li.classList.remove("flash-up", "flash-down");
      void li.offsetWidth; // restart the animation
      li.classList.add(`flash-${it.flash}`);
      // Drop the class when the animation is over, so it means "just changed".
      li.addEventListener("animationend", () => li.classList.remove("flash-up", "flash-down"), { once: true });
      it.flash = null;
    }
    if (scrolling) syncClone(li);
  }

  // data-stale / data-delayed, the stale mark, and the texts that depend on them.
  // Stale: the daemon says so, or the link has been down for longer than the
  // quote's max_age. Delayed: the link has been down past the grace period.
  function mark(it) {
    const { li, q } = it;
    const down = linkDown();
    const f = freshness(q, Date.now(), down ? lastContact() : Date.now(), defaultMaxAgeMs);
    const stale = f !== "fresh";
    const changed = li.dataset.stale !== String(stale) || li.dataset.delayed !== String(down);
    set(li.dataset, "stale", String(stale));
    set(li.dataset, "delayed", String(down));
    li.querySelector(".stale-mark").hidden = !stale;
    describe(it);
    if (changed && scrolling) syncClone(li);
  }

  // Title (hover) and accessible name; called again every few seconds for the ages.
  function describe({ li, q }) {
    const asOf = Date.parse(q.as_of);
    const age = Number.isFinite(asOf) ? formatAge(Date.now() - asOf) : "unknown time";
    const when = Number.isFinite(asOf) ? new Date(asOf).toLocaleTimeString(o.locale) : "?";
    const f = formatQuote(q, o.locale);
    const ref = q.class === "crypto" ? "over 24 h" : "since previous close";
    const marketNote = li.querySelector(".market").hidden ? "" : `, market ${q.market}`;
    const stale = li.dataset.stale === "true";
    const staleNote = stale ? `, stale: price from ${age} ago` : li.dataset.delayed === "true" ? ", delayed" : "";
    li.setAttribute("aria-label",
      `${q.symbol} ${q.name || ""}: ${f.price} ${q.currency || ""}, ${WORD[q.direction] || "unchanged"} ` +
      `${f.changePct}${marketNote}${staleNote}`.replace(/\s+/g, " "));
    li.title = [
      `${q.name || q.symbol} (${q.symbol}) · ${q.currency || ""}`,
      `${f.change} (${ARROW[q.direction] || ""} ${f.changePct}) ${ref}`.replace(/\(\s+/, "("),
      stale ? `STALE: no fresh price for ${age} (as of ${when})` : `As of ${when} (${age} ago)`,
      `Market: ${q.market} · source: ${q.source}`,
    ].join("\n");
  }

  function drawSpark(svg, spark, q) {
    const cut = Date.now() - span;
    const pts = spark.points.filter((p) => p[0] >= cut);
    const [ref, line, dot] = svg.children;
    svg.classList.toggle("empty", pts.length < 2);
    if (pts.length < 2) return;
    const t0 = pts[0][0];
    const t1 = Math.max(pts[pts.length - 1][0], t0 + 1);
    let lo = Math.min(...pts.map((p) => p[1]));
    let hi = Math.max(...pts.map((p) => p[1]));
    if (Number.isFinite(q.ref_price)) { lo = Math.min(lo, q.ref_price); hi = Math.max(hi, q.ref_price); }
    if (hi - lo < 1e-12) { hi += 1; lo -= 1; }
    const x = (t) => 1.5 + ((t - t0) / (t1 - t0)) * (SPARK_W - 4);
    const y = (p) => SPARK_H - 2 - ((p - lo) / (hi - lo)) * (SPARK_H - 4);
    line.setAttribute("points", pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" "));
    if (Number.isFinite(q.ref_price)) {
      const ry = y(q.ref_price).toFixed(1);
      for (const [k, v] of [["x1", 0], ["x2", SPARK_W], ["y1", ry], ["y2", ry]]) ref.setAttribute(k, v);
    }
    const last = pts[pts.length - 1];
    dot.setAttribute("cx", x(last[0]).toFixed(1));
    dot.setAttribute("cy", y(last[1]).toFixed(1));
    dot.setAttribute("r", "1.6");
  }

  // Items in the order asked for (?symbols=) or else the daemon's; drop removed ones.
  function arrange(all) {
    if (all) {
      const keep = new Set(all.map((q) => q.symbol));
      for (const [symbol, it] of items) if (!keep.has(symbol)) { it.li.remove(); items.delete(symbol); }
    }
    const order = [...items.keys()].filter((s) => items.get(s).q);
    if (wanted) order.sort((a, b) => wanted.indexOf(a) - wanted.indexOf(b));
    let moved = list.children.length !== order.length;
    order.forEach((symbol, i) => {
      const li = items.get(symbol).li;
      if (list.children[i] !== li) { list.insertBefore(li, list.children[i] || null); moved = true; }
    });
    placeholder.hidden = order.length > 0;
    checkOverflow(moved);
  }

  // Marquee only when the items do not fit: a second, aria-hidden copy of the
  // list follows the first and the track slides by exactly one list width.
  function checkOverflow(rebuild = false) {
    const width = list.scrollWidth;
    const over = width > viewport.clientWidth + 1 && list.children.length > 0;
    if (over !== scrolling) {
      scrolling = over;
      rebuild = true;
      bar.toggleAttribute("data-scrolling", over);
      if (over) track.append(cloneList);
      else cloneList.remove();
    }
    if (!scrolling) return;
    if (rebuild) cloneList.replaceChildren(...[...list.children].map(cloneOf));
    // Constant speed: the duration follows the width, rounded so ticks do not restart it.
    const duration = `${Math.max(10, Math.round(width / o.speed))}s`;
    if (bar.style.getPropertyValue("--tkd-duration") !== duration) bar.style.setProperty("--tkd-duration", duration);
  }

  function cloneOf(li) {
    const c = li.cloneNode(true);
    c.dataset.cloneOf = li.dataset.symbol;
    delete c.dataset.symbol;
    c.removeAttribute("aria-label");
    return c;
  }

  function syncClone(li) {
    const i = [...list.children].indexOf(li);
    if (i >= 0 && cloneList.children[i]) cloneList.children[i].replaceWith(cloneOf(li));
  }

  // Freshness, shown as text (not only the dot's colour) and announced once per
  // outage; screen readers hear about the connection only, never about ticks.
  let feed = null;
  const lastContact = () => feed?.lastMessageAt() || 0;
  const linkDown = () => downSince > 0 && Date.now() - downSince >= GRACE_MS;
  const hhmm = (t) => new Date(t).toLocaleTimeString(o.locale, { hour: "2-digit", minute: "2-digit" });
  let announced = null; // "down" while an outage has been announced
  let judgeTimer = 0;

  function onStatus(s) {
    linkState = s.state;
    if (s.state === "open") {
      everOpen = true;
      if (downSince && Date.now() - downSince > 120e3 && o.sparklines) {
        for (const [symbol, it] of items) { it.spark.tries = 0; loadHistory(symbol, it); }
      }
      downSince = 0;
    } else {
      downSince ||= Date.now();
    }
    status.dataset.state = s.state;
    status.dataset.transport = s.transport;
    const via = TRANSPORT_TEXT[s.transport];
    status.title = s.state === "open"
      ? `Connected via ${via}${s.transport === "ws" ? "" : " (fallback)"}`
      : s.state === "closed" ? "Disconnected"
      : `${STATUS_TEXT[s.state]} via ${via}${s.retryInMs ? `, next try in ${Math.ceil(s.retryInMs / 1000)} s` : ""}` +
        (s.error ? ` (${s.error})` : "");
    judge();
  }

  // Decides what the bar says about its prices; runs on every status change,
  // after every render, and every second while the link is down.
  function judge() {
    if (destroyed) return;
    const now = Date.now();
    const shown = [...items.values()].filter((it) => it.q);
    const down = linkDown();
    let mode;
    if (linkState === "closed") mode = "closed";
    else if (!shown.length) mode = linkState === "open" ? "waiting" : everOpen ? "reconnecting" : "connecting";
    else if (!down) mode = "live";
    else {
      const expired = shown.some((it) => freshness({ ...it.q, stale: false }, now, lastContact(), defaultMaxAgeMs) !== "fresh");
      mode = expired || now - downSince >= DELAYED_AFTER_MS ? "delayed" : "reconnecting";
    }
    for (const it of shown) mark(it);
    const since = lastContact() || downSince;
    const label = {
      live: "", closed: "Disconnected",
      connecting: "", waiting: "", // the placeholder says it
      reconnecting: shown.length ? "Reconnecting…" : "",
      delayed: `Prices delayed since ${hhmm(since)}`,
    }[mode];
    text(notice, label);
    notice.hidden = !label;
    text(placeholder, {
      connecting: "Connecting…",
      waiting: "Waiting for the first prices…",
      reconnecting: "Cannot reach the price server, retrying…",
      closed: "Disconnected",
    }[mode] || "");
    set(bar.dataset, "freshness", mode);
    statusText.textContent = {
      live: "Live prices", waiting: "Connected, no prices yet", connecting: "Connecting",
      reconnecting: "Reconnecting", delayed: notice.textContent, closed: "Disconnected",
    }[mode];
    // One announcement when an outage starts to show, one when it ends.
    const isDown = mode === "reconnecting" || mode === "delayed" || mode === "closed";
    if (isDown && announced !== "down" && everOpen) {
      announced = "down";
      live.textContent = mode === "closed" ? "Live prices stopped."
        : `Live prices interrupted; prices shown are from ${hhmm(since)}. Reconnecting.`;
    } else if (mode === "live" && announced === "down") {
      announced = null;
      live.textContent = "Live prices restored.";
    }
    clearTimeout(judgeTimer);
    // While down, look again every second (grace, max_age, the 30 s step).
    if (downSince && linkState !== "closed") judgeTimer = setTimeout(judge, downSince && !down ? Math.max(50, downSince + GRACE_MS - now) : 1000);
  }

  feed = connect({
    url: o.url,
    symbols: wanted,
    transports: o.transports,
    ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
    onStatus,
    onSnapshot: (quotes, info) => {
      onQuotes(info.changed || quotes);
      arrange(quotes);
    },
    onUpdate: onQuotes,
    onRemoved: (symbols) => {
      for (const symbol of symbols) {
        items.get(symbol)?.li.remove();
        items.delete(symbol);
        dirty.delete(symbol);
      }
      arrange();
      checkOverflow(true); // the marquee's second copy must lose them too
    },
  });

  const ages = setInterval(() => { for (const it of items.values()) if (it.q) { describe(it); if (scrolling) syncClone(it.li); } }, 10e3);
  const resize = globalThis.ResizeObserver ? new ResizeObserver(() => checkOverflow()) : null;
  resize?.observe(viewport);

  return {
    feed,
    destroy() {
      destroyed = true;
      feed.close();
      clearInterval(ages);
      clearTimeout(judgeTimer);
      cancelAnimationFrame(frame);
      clearTimeout(frameTimer);
      resize?.disconnect();
      bar.remove();
    },
  };
}

function h(tag, attrs = {}, content) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (content != null) el.textContent = content;
  return el;
}

function set(obj, key, value) {
  if (obj[key] !== value) obj[key] = value;
}

function text(el, value) {
  if (el.textContent !== value) el.textContent = value;
}

// Adds the stylesheet (next to this module) once per document or shadow root.
// A <link> the page already has counts even with a query (a daemon may add
// ?v=<hash> to the URLs in its pages).
function loadCss(root, css) {
  if (css === false) return Promise.resolve();
  const href = new URL(css || DEFAULT_CSS, import.meta.url).href;
  const path = href.replace(/[?#].*$/, "");
  const host = root instanceof ShadowRoot ? root : document.head;
  let link = [...host.querySelectorAll("link[rel=stylesheet]")].find((l) => l.href.replace(/[?#].*$/, "") === path);
  if (link?.sheet) return Promise.resolve();
  if (!link) {
    link = h("link", { rel: "stylesheet", href });
    host.append(link);
  }
  return new Promise((resolve) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
    setTimeout(resolve, 3000);
  });
}
