// Types of @tickerd/client's main entry (client.js). Hand-written; checked by
// ctest "web: TypeScript declarations" (tsc --noEmit on tests/web/types/usage.ts).

/** One instrument's quote, as the daemon sends it (docs/protocol.md, "The Quote object"). */
export interface Quote {
  symbol: string;
  name?: string;
  class?: "equity" | "crypto" | "fx";
  currency?: string;
  price: number;
  ref_price?: number;
  change?: number;
  change_pct?: number;
  direction: "up" | "down" | "flat";
  display?: { price: string; change: string; change_pct: string };
  market?: "open" | "pre" | "post" | "break" | "closed" | "always" | "unknown";
  stale: boolean;
  /** Seconds without a confirmation after which the daemon marks the quote stale (newer daemons). */
  max_age?: number;
  source?: string;
  /** ISO 8601: the upstream's time for the price. */
  as_of?: string;
  /** ISO 8601: when the daemon first received this price. */
  received_at?: string;
  seq: number;
}

export type Transport = "ws" | "sse" | "poll";

export interface Status {
  state: "connecting" | "open" | "reconnecting" | "closed";
  transport: Transport;
  /** Consecutive failed attempts. */
  attempt: number;
  error?: string;
  retryInMs?: number;
}

export interface UpdateInfo {
  /** The seq to resume from (the last one applied). */
  seq: number;
  /** The `since` of a resumed snapshot, else null. */
  since: number | null;
  removed: string[];
  transport: Transport;
  /** onSnapshot only: the quotes that changed. */
  changed?: Quote[];
}

/** The part of a WebSocket that connect() uses (the browser's, or e.g. the `ws` package's). */
export interface WebSocketLike {
  readyState: number;
  onmessage: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

/** The part of an EventSource that connect() uses. */
export interface EventSourceLike {
  onerror: ((ev: any) => void) | null;
  addEventListener(type: string, listener: (ev: any) => void): void;
  close(): void;
}

export interface ConnectOptions {
  /** The daemon's base URL, e.g. "https://quotes.example.com". Default: the page's origin (required under node). */
  url?: string;
  /** Symbols to follow, as a list or "NVDA,BTC". Default: every symbol. */
  symbols?: string[] | string | null;
  onSnapshot?: (quotes: Quote[], info: UpdateInfo) => void;
  onUpdate?: (quotes: Quote[], info: UpdateInfo) => void;
  onRemoved?: (symbols: string[], info: UpdateInfo) => void;
  onStatus?: (status: Status) => void;
  onError?: (message: string) => void;
  /** Allowed transports in order of preference. Default ["ws", "sse", "poll"]. */
  transports?: Transport[];
  /** The daemon's heartbeat interval: 2 × this without any message is a dead link. Default 15000. */
  heartbeatMs?: number;
  /** Polling period. Default 3000. */
  pollMs?: number;
  /** On a fallback, how often to retry the better transports. Default 60000. */
  upgradeMs?: number;
  /** Reconnect back-off: first delay and cap. Defaults 500 and 30000. */
  baseMs?: number;
  maxMs?: number;
  /** A WebSocket constructor to use instead of globalThis.WebSocket (under node: `import {WebSocket} from "ws"`). */
  WebSocket?: new (url: string) => WebSocketLike;
  /** An EventSource constructor to use instead of globalThis.EventSource. */
  EventSource?: new (url: string) => EventSourceLike;
}

export interface Feed {
  /** The quotes held, in the daemon's order. */
  quotes(): Quote[];
  quote(symbol: string): Quote | undefined;
  subscribe(symbols: string[] | string): void;
  unsubscribe(symbols: string[] | string): void;
  /** null: every symbol. */
  setSymbols(symbols: string[] | string | null): void;
  status(): Status;
  /** Date.now() when the last message (heartbeats included) came from the daemon; 0 before any. */
  lastMessageAt(): number;
  /** The seq to resume from. */
  readonly seq: number;
  close(): void;
}

export function connect(options?: ConnectOptions): Feed;

export interface History {
  symbol: string;
  window: "1h" | "6h" | "1d";
  resolution_s: number;
  /** [Unix ms, price], oldest first. */
  points: Array<[number, number]>;
}

export function fetchHistory(
  url: string | undefined,
  symbol: string,
  window?: "1h" | "6h" | "1d",
  options?: { signal?: AbortSignal; points?: number },
): Promise<History>;

/**
 * The strings to show for a quote. Without a locale, the daemon's display
 * strings ("1,284.30", "+17.98", "1.42%"); with one, Intl.NumberFormat's
 * ("vi-VN": 25412 → "25.412"). changePct has no arrow and no sign.
 */
export function formatQuote(quote: Quote, locale?: string): { price: string; change: string; changePct: string };
