// tickerd-core.js: the pure part of the tickerd browser client (no DOM, no
// network), so that node can unit-test it: quote/seq merging, back-off and
// URL building. tickerd.js adds the transports on top of it.
//
// Sequence numbers (see README "Sequence numbers"): every message carries the
// store seq it reflects and every Quote carries the seq at which it last
// changed. A copy of a quote is newer only if its own seq is larger.

/** The set of quotes a page holds, plus the seq to resume the stream from. */
export class QuoteBook {
  /** @param {string[]|null} symbols the subscription; null means every symbol. */
  constructor(symbols = null) {
    this.quotes = new Map(); // symbol -> Quote, in the daemon's (config) order
    this.seq = 0; // seq of the last message applied: the `since` to resume from
    this.symbols = symbols ? new Set(symbols) : null;
  }

  wants(symbol) {
    return this.symbols === null || this.symbols.has(symbol);
  }

  /** Array of the quotes held, in order. */
  list() {
    return [...this.quotes.values()];
  }

  /** Stores one quote if it is wanted and newer than the copy held. */
  put(q) {
    if (!isQuote(q) || !this.wants(q.symbol)) return false;
    const held = this.quotes.get(q.symbol);
    if (held && !(q.seq > held.seq)) return false;
    this.quotes.set(q.symbol, q);
    return true;
  }

  /**
   * Applies one stream message (WebSocket or SSE: same JSON) or an HTTP
   * /v1/snapshot body (pass type "snapshot").
   * `replace` (for the first snapshot of a connection made without `since`):
   * the snapshot is the whole truth, quotes it leaves out are dropped.
   * Anything else merges quote by quote by seq. A "removed" message (the
   * daemon's config was reloaded without these symbols) drops them, from the
   * quotes and from an explicit subscription list, so a reconnect does not ask
   * for ids the daemon no longer knows.
   * Returns {changed: Quote[], removed: string[], resync: bool}; resync means
   * the server is behind the seq we resumed from (e.g. another daemon): the
   * caller should reconnect without `since`.
   */
  apply(msg, { replace = false } = {}) {
    const out = { changed: [], removed: [], resync: false };
    if (!msg || typeof msg !== "object") return out;
    const seq = Number.isSafeInteger(msg.seq) ? msg.seq : null;
    const quotes = Array.isArray(msg.quotes) ? msg.quotes : [];
    if (msg.type === "snapshot" && msg.since != null && seq !== null && seq < msg.since) {
      out.resync = true;
      return out;
    }
    if (msg.type === "snapshot" && replace) {
      const next = new Map();
      for (const q of quotes) {
        if (!isQuote(q) || !this.wants(q.symbol)) continue;
        const held = this.quotes.get(q.symbol);
        if (!held || held.seq !== q.seq) out.changed.push(q);
        next.set(q.symbol, q);
      }
      for (const symbol of this.quotes.keys()) if (!next.has(symbol)) out.removed.push(symbol);
      this.quotes = next;
      if (seq !== null) this.seq = seq; // authoritative, even if lower (daemon replaced)
      return out;
    }
    if (msg.type === "snapshot" || msg.type === "update") {
      for (const q of quotes) if (this.put(q)) out.changed.push(q);
    }
    if (msg.type === "removed" && Array.isArray(msg.symbols)) {
      for (const symbol of msg.symbols) {
        if (typeof symbol !== "string") continue;
        const had = this.quotes.delete(symbol);
        const listed = this.symbols !== null && this.symbols.delete(symbol);
        if (had || listed) out.removed.push(symbol);
      }
    }
    if (seq !== null && seq > this.seq && msg.type !== "error") this.seq = seq;
    return out;
  }

  /**
   * Changes the subscription (null: everything). Quotes of symbols no longer
   * wanted are dropped. Returns {added, removed} symbol lists; `added` is
   * null when a list became "everything" (which ids that adds is unknown).
   */
  setSymbols(symbols) {
    const before = this.symbols;
    this.symbols = symbols ? new Set(symbols) : null;
    const removed = [];
    for (const symbol of [...this.quotes.keys()]) {
      if (!this.wants(symbol)) {
        this.quotes.delete(symbol);
        removed.push(symbol);
      }
    }
    // From "everything" to a list adds nothing; from a list to "everything": unknown (null).
    const added = this.symbols === null ? (before === null ? [] : null) : [...this.symbols].filter((s) => before && !before.has(s));
    return { added, removed };
  }
}

function isQuote(q) {
  return q !== null && typeof q === "object" && typeof q.symbol === "string" && Number.isFinite(q.seq);
}

/**
 * Reconnect delay for the given attempt (0 = first retry): base × 2^attempt,
 * capped at max, then "equal jitter": a random point in [delay/2, delay], so
 * many pages reconnecting at once spread out but never wait longer than max.
 */
export function backoffDelay(attempt, { baseMs = 500, maxMs = 30000, random = Math.random } = {}) {
  const n = Math.max(0, Math.floor(Number(attempt) || 0));
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(n, 52));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * The daemon's base URL, "http(s)://host:port[/prefix]" without a trailing
 * slash. `url` may be empty (the page's origin) or relative to `pageUrl`.
 */
export function baseUrl(url, pageUrl) {
  let u;
  try {
    u = new URL(url || "/", pageUrl || undefined);
  } catch {
    throw new Error(`tickerd: bad daemon url ${JSON.stringify(url)}`);
  }
  if (u.protocol === "ws:") u.protocol = "http:";
  if (u.protocol === "wss:") u.protocol = "https:";
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new Error(`tickerd: daemon url must be http(s), got ${u.protocol}`);
  }
  return u.origin + u.pathname.replace(/\/+$/, "");
}

function withQuery(path, { symbols, since, window, points } = {}) {
  const q = [];
  if (symbols && symbols.length) q.push("symbols=" + symbols.map(encodeURIComponent).join(","));
  if (window) q.push("window=" + encodeURIComponent(window));
  if (points > 0) q.push("points=" + Math.floor(points));
  if (since) q.push("since=" + since);
  return q.length ? `${path}?${q.join("&")}` : path;
}

/** ws(s)://…/v1/stream[?symbols=A,B][&since=N] for a base URL. */
export function streamUrl(base, opts = {}) {
  return withQuery(base.replace(/^http/, "ws") + "/v1/stream", opts);
}

/** http(s)://…/v1/events (Server-Sent Events), same query as the stream. */
export function eventsUrl(base, opts = {}) {
  return withQuery(base + "/v1/events", opts);
}

/** http(s)://…/v1/snapshot[?symbols=A,B]. */
export function snapshotUrl(base, { symbols } = {}) {
  return withQuery(base + "/v1/snapshot", { symbols });
}

/**
 * http(s)://…/v1/history/{id}?window=W[&points=N]; ids with "/" are escaped.
 * `points` asks the daemon for about that many points (a daemon that does not
 * know the parameter ignores it and sends its own resolution).
 */
export function historyUrl(base, symbol, window = "1d", points = 0) {
  return withQuery(`${base}/v1/history/${encodeURIComponent(symbol)}`, { window, points });
}

/** "NVDA, btc ,,X" or ["NVDA"] -> ["NVDA", "btc", "X"]; null for none. */
export function parseSymbols(value) {
  if (value == null) return null;
  const list = (Array.isArray(value) ? value : String(value).split(","))
    .map((s) => String(s).trim())
    .filter(Boolean);
  return list.length ? [...new Set(list)] : null;
}

/** Seconds/minutes/hours text for an age in ms: "45 s", "12 min", "3 h 5 min". */
export function formatAge(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

// ---------------------------------------------------------------------------
// Freshness and formatting

/** Default age limit of a quote whose object has no `max_age` (seconds). */
export const DEFAULT_MAX_AGE_MS = 15 * 60e3;

/** A quote's own age limit in ms: its `max_age` (seconds) when the daemon sends one, else the default. */
export function maxAgeMs(q, defaultMs = DEFAULT_MAX_AGE_MS) {
  const s = q?.max_age;
  return typeof s === "number" && s > 0 && Number.isFinite(s) ? s * 1000 : defaultMs;
}

/**
 * Whether a quote can still be shown as current, at `now` (ms), given when the
 * page last heard from the daemon (`lastContact`, ms; any message, heartbeats
 * included). The daemon re-judges every quote against its max_age and sends a
 * change when one turns stale, so while messages arrive its `stale` flag is
 * the truth; once they stop, a quote is stale when the last contact is older
 * than its max_age. (Its received_at alone cannot say: an unchanged price is
 * not sent again, so a quiet but confirmed price has an old received_at.)
 * Returns "fresh", "stale" (the daemon said so) or "expired" (not heard of
 * within max_age).
 */
export function freshness(q, now, lastContact, defaultMaxAgeMs = DEFAULT_MAX_AGE_MS) {
  if (q?.stale) return "stale";
  if (!(lastContact > 0) || now - lastContact > maxAgeMs(q, defaultMaxAgeMs)) return "expired";
  return "fresh";
}

const numberFormats = new Map();
function numberFormat(locale, digits, style = "decimal") {
  const key = `${locale}|${digits}|${style}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style, minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(key, f);
  }
  return f;
}

/** Decimals of a quote's price: those of its display string ("71,420.00" → 2), else of the number. */
function priceDecimals(q) {
  const shown = q?.display?.price;
  if (typeof shown === "string") {
    const m = /\.(\d+)$/.exec(shown);
    return m ? m[1].length : 0;
  }
  const m = /\.(\d+)$/.exec(String(q?.price ?? ""));
  return m ? Math.min(m[1].length, 20) : 0;
}

/**
 * The strings a ticker shows for a quote: {price, change, changePct}.
 * Without a locale, the daemon's own `display` strings (en-US style:
 * "1,284.30", "+17.98", "1.42%", no arrow). With one (a BCP 47 tag such as
 * "vi-VN"), the numbers formatted by Intl.NumberFormat with the symbol's
 * decimals: 25412 is "25.412" in vi-VN.
 */
export function formatQuote(q, locale) {
  const d = q?.display || {};
  const stripArrow = (s) => String(s).replace(/^[▲▼]\s*/, "");
  if (!locale) {
    return {
      price: d.price ?? String(q?.price ?? ""),
      change: d.change ?? String(q?.change ?? ""),
      changePct: stripArrow(d.change_pct ?? `${q?.change_pct ?? ""}%`),
    };
  }
  const digits = priceDecimals(q);
  const price = Number.isFinite(q?.price) ? numberFormat(locale, digits).format(q.price) : String(q?.price ?? "");
  const change = Number.isFinite(q?.change)
    ? (q.change > 0 ? "+" : "") + numberFormat(locale, digits).format(q.change)
    : String(q?.change ?? "");
  const changePct = Number.isFinite(q?.change_pct)
    ? numberFormat(locale, 2, "percent").format(Math.abs(q.change_pct) / 100)
    : stripArrow(d.change_pct ?? "");
  return { price, change, changePct };
}
