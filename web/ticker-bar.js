// ticker-bar.js: renders a live ticker strip into any element.
//
//   import { mountTicker } from "http://HOST:8080/tickerd.js";
//   mountTicker(document.getElementById("ticker"), { symbols: "NVDA,BTC" });
//
// DOM (stable hooks, see also index.html):
//   .tkd-bar[data-theme][data-scrolling]            the strip
//     .tkd-status[data-state][data-transport]       connection dot (+ id="status" with ids:true)
//     .tkd-demo[hidden]                             DEMO badge (+ id="demo-badge")
//     .tkd-pause[aria-pressed]                      pause button, shown only with [data-scrolling]
//     li.tkd-item[data-symbol][data-direction][data-stale][data-market][data-source]
//        .symbol .price .arrow .change .spark .market .stale-mark
//     [aria-live=polite]                            status announcements only
// Items in the marquee copy carry data-clone-of instead of data-symbol.

import { connect, fetchHistory } from "./tickerd.js";
import { formatAge, parseSymbols } from "./tickerd-core.js";

const ARROW = { up: "▲", down: "▼", flat: "" };
const WORD = { up: "up", down: "down", flat: "unchanged" };
const STATUS_TEXT = { connecting: "Connecting", open: "Live", reconnecting: "Reconnecting", closed: "Disconnected" };
const TRANSPORT_TEXT = { ws: "WebSocket", sse: "Server-Sent Events", poll: "polling" };
const WINDOW_MS = { "1h": 3600e3, "6h": 6 * 3600e3, "1d": 24 * 3600e3 };
const SPARK_W = 56;
const SPARK_H = 18;
const SVG = "http://www.w3.org/2000/svg";

/**
 * Options: url (default: the server this module came from), symbols,
 * transports (as for connect()), theme "dark"|"light",
 * ids (true: also set id="status" / id="demo-badge"), shadow (render in a
 * shadow root), css (stylesheet URL, false for none), historyWindow "1h"|"6h"|"1d",
 * speed (marquee px/s), label (accessible name).
 * Returns {feed, destroy()}.
 */
export function mountTicker(element, options = {}) {
  // The daemon defaults to where this module was loaded from, so an embed
  // needs no URL: <script type=module> importing http://HOST:8080/tickerd.js.
  const o = { theme: "dark", historyWindow: "1d", speed: 40, label: "Market prices", ...options };
  o.url ||= new URL(".", import.meta.url).href;
  const root = o.shadow ? element.shadowRoot || element.attachShadow({ mode: "open" }) : element;
  const wanted = parseSymbols(o.symbols);
  const span = WINDOW_MS[o.historyWindow] || WINDOW_MS["1d"];

  const bar = h("div", { class: "tkd-bar", role: "region", "aria-label": o.label, "data-theme": o.theme });
  const status = h("div", { class: "tkd-status", "data-state": "connecting" });
  const statusText = h("span", { class: "tkd-sr" }, "Connecting");
  status.append(h("span", { class: "tkd-dot", "aria-hidden": "true" }), statusText);
  const demo = h("span", { class: "tkd-demo", title: "Simulated prices (source: sim), not market data", hidden: "" }, "DEMO");
  const viewport = h("div", { class: "tkd-viewport" });
  const track = h("div", { class: "tkd-track" });
  const list = h("ul", { class: "tkd-items", role: "list" });
  const cloneList = h("ul", { class: "tkd-items tkd-clone", "aria-hidden": "true" });
  const placeholder = h("span", { class: "tkd-placeholder" }, "Loading prices…");
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
  bar.append(status, demo, viewport, pause, live);

  const cssReady = loadCss(root, o.css);
  bar.style.visibility = "hidden";
  cssReady.then(() => { bar.style.visibility = ""; checkOverflow(); });
  root.append(bar);

  const items = new Map(); // symbol -> {li, q, spark, flashAt}
  const dirty = new Set();
  let frame = 0;
  let frameTimer = 0;
  let scrolling = false;
  let destroyed = false;
  let downSince = 0; // when the link went down, to refill the sparklines after a long gap

  function item(symbol) {
    let it = items.get(symbol);
    if (it) return it;
    const li = h("li", { class: "tkd-item", "data-symbol": symbol });
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", `0 0 ${SPARK_W} ${SPARK_H}`);
    svg.setAttribute("width", SPARK_W);
    svg.setAttribute("height", SPARK_H);
    svg.setAttribute("aria-hidden", "true");
    for (const [tag, cls] of [["line", "spark-ref"], ["polyline", "spark-line"], ["circle", "spark-dot"]]) {
      const el = document.createElementNS(SVG, tag);
      el.setAttribute("class", cls);
      svg.append(el);
    }
    li.append(
      h("span", { class: "symbol" }, symbol),
      h("span", { class: "price" }),
      h("span", { class: "arrow", role: "img" }),
      h("span", { class: "change" }),
      svg,
      h("span", { class: "market", hidden: "" }),
      h("span", { class: "stale-mark", hidden: "" }, "stale"),
    );
    it = { li, q: null, spark: { points: [], res: 60e3, tries: 0 }, flashAt: 0 };
    items.set(symbol, it);
    loadHistory(symbol, it);
    return it;
  }

  async function loadHistory(symbol, it) {
    it.spark.tries++;
    try {
      const hist = await fetchHistory(o.url, symbol, o.historyWindow);
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
      if (Number.isFinite(q.price)) addLivePoint(it.spark, q);
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
  }

  function render(it) {
    const { li, q } = it;
    const dir = ARROW[q.direction] !== undefined ? q.direction : "flat";
    const d = q.display || {};
    set(li.dataset, "direction", dir);
    set(li.dataset, "stale", String(!!q.stale));
    set(li.dataset, "market", q.market || "unknown");
    set(li.dataset, "source", q.source || "");
    text(li.querySelector(".price"), d.price ?? String(q.price));
    const arrow = li.querySelector(".arrow");
    text(arrow, ARROW[dir]);
    arrow.setAttribute("aria-label", WORD[dir]);
    text(li.querySelector(".change"), String(d.change_pct ?? `${q.change_pct}%`).replace(/^[▲▼]\s*/, ""));
    const market = li.querySelector(".market");
    text(market, q.market);
    market.hidden = !["pre", "post", "break", "closed"].includes(q.market);
    li.querySelector(".stale-mark").hidden = !q.stale;
    describe(it);
    drawSpark(li.querySelector(".spark"), it.spark, q);
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

  // Title (hover) and accessible name; called again every few seconds for the ages.
  function describe({ li, q }) {
    const asOf = Date.parse(q.as_of);
    const age = Number.isFinite(asOf) ? formatAge(Date.now() - asOf) : "unknown time";
    const when = Number.isFinite(asOf) ? new Date(asOf).toLocaleTimeString() : "?";
    const d = q.display || {};
    const ref = q.class === "crypto" ? "over 24 h" : "since previous close";
    const marketNote = li.querySelector(".market").hidden ? "" : `, market ${q.market}`;
    const staleNote = q.stale ? `, stale: price from ${age} ago` : "";
    li.setAttribute("aria-label",
      `${q.symbol} ${q.name || ""}: ${d.price ?? q.price} ${q.currency || ""}, ${WORD[q.direction] || "unchanged"} ` +
      `${String(d.change_pct ?? "").replace(/^[▲▼]\s*/, "")}${marketNote}${staleNote}`.replace(/\s+/g, " "));
    li.title = [
      `${q.name || q.symbol} (${q.symbol}) · ${q.currency || ""}`,
      `${d.change ?? q.change} (${d.change_pct ?? q.change_pct}) ${ref}`,
      q.stale ? `STALE: no fresh price for ${age} (as of ${when})` : `As of ${when} (${age} ago)`,
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

  // Screen readers hear about the connection only, debounced, never about ticks.
  let spoken = null; // the state last announced
  let pending = null; // the state being held before announcing it
  let speakTimer = 0;
  function onStatus(s) {
    if (s.state !== "open") downSince ||= Date.now();
    else if (downSince) {
      if (Date.now() - downSince > 120e3) for (const [symbol, it] of items) { it.spark.tries = 0; loadHistory(symbol, it); }
      downSince = 0;
    }
    status.dataset.state = s.state;
    status.dataset.transport = s.transport;
    const via = TRANSPORT_TEXT[s.transport];
    statusText.textContent = `${STATUS_TEXT[s.state]} prices`;
    status.title = s.state === "open"
      ? `Live prices via ${via}${s.transport === "ws" ? "" : " (fallback)"}`
      : s.state === "closed" ? "Disconnected"
      : `${STATUS_TEXT[s.state]} via ${via}${s.retryInMs ? `, next try in ${Math.ceil(s.retryInMs / 1000)} s` : ""}` +
        (s.error ? ` (${s.error})` : "");
    // Announce a state only once it has held for a moment (retries flap).
    const key = s.state === "open" ? "open" : s.state === "closed" ? "closed" : "down";
    if (spoken === null) { // silent until the first connect, and about it
      if (key === "open") spoken = pending = "open";
      return;
    }
    if (key === pending) return;
    clearTimeout(speakTimer);
    pending = key;
    if (key === spoken) return;
    speakTimer = setTimeout(() => {
      spoken = key;
      live.textContent = { open: "Live prices restored.", closed: "Live prices stopped.", down: "Live prices interrupted, reconnecting." }[key];
    }, key === "open" ? 1000 : 4000);
  }

  const feed = connect({
    url: o.url,
    symbols: wanted,
    transports: o.transports,
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
      clearTimeout(speakTimer);
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

// Adds ticker.css (next to this module) once per document or shadow root.
function loadCss(root, css) {
  if (css === false) return Promise.resolve();
  const href = new URL(css || "./ticker.css", import.meta.url).href;
  const host = root instanceof ShadowRoot ? root : document.head;
  let link = [...host.querySelectorAll("link[rel=stylesheet]")].find((l) => l.href === href);
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
